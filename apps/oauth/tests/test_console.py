"""The platform console shows OAuth clients, codes and tokens without their secrets, and mints nothing."""

import pytest
from django.urls import reverse
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from apps.oauth.models import OAuthClient, OAuthConsent
from apps.oauth.tests.factories import exchange, get_code, make_client
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, TenantFactory

pytestmark = pytest.mark.django_db


def _urls(model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return changelist, reverse(f"admin:{opts.app_label}_{opts.model_name}_add")


def test_console_lists_oauth_rows_without_any_secret(client):
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"))
    oauth_client, secret = make_client(owner.tenant)
    code, verifier = get_code(client, oauth_client, owner)
    tokens = exchange(client, oauth_client, code, verifier, secret=secret).json()
    pending_code, _ = get_code(client, oauth_client, owner)
    stored_secret = OAuthClient.objects.get(pk=oauth_client.pk).client_secret
    secrets = [secret, stored_secret, code, pending_code, tokens["access_token"], tokens["refresh_token"]]
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.OWNER))

    models = (OAuthClient, get_grant_model(), get_access_token_model(), get_refresh_token_model(), OAuthConsent)
    for model in models:
        changelist, add = _urls(model)
        listed = client.get(changelist)
        assert listed.status_code == 200
        searched = client.get(f"{changelist}?q={tokens['access_token'][:10]}")
        for page in (listed, searched):
            assert not any(value in page.content.decode() for value in secrets), model
        assert client.get(add).status_code == 403
    assert "Shop plugin" in client.get(_urls(OAuthClient)[0]).content.decode()
