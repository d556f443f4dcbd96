"""Factories for developer settings: Server API keys (the plain secret on ``key.secret``)."""

import factory

from apps.developer.credentials import server_secret_generate
from apps.developer.models import ServerApiKey
from apps.tenants.tests.factories import TenantFactory
from ringnity.api.secrets import secret_digest


class ServerApiKeyFactory(factory.django.DjangoModelFactory):
    """``ServerApiKeyFactory(tenant=t, scopes=[...])``; the plain secret is on ``key.secret``."""

    class Meta:
        model = ServerApiKey

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Backend key {n}")
    environment = "live"
    scopes = factory.LazyFunction(lambda: ["server:health"])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        secret = server_secret_generate(kwargs.get("environment", "live"))
        kwargs["secret_digest"] = secret_digest(secret)
        kwargs["secret_last4"] = secret[-4:]
        key = super()._create(model_class, *args, **kwargs)
        key.secret = secret
        return key


def server_key_headers(key) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key.secret}"}
