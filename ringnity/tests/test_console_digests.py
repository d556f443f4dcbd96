"""One rule for digests and secrets in the platform console: no page shows them (issue 9, finding 4).

A digest is as good as the secret for anyone who can query by it, and a push token is a credential;
the console's change and list pages of every model that holds one render neither.
"""

import pytest

from apps.developer.tests.factories import ServerApiKeyFactory
from apps.identity.models import WorkspaceEntryToken
from apps.runtime.models import DevicePushToken
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory
from ringnity.api.secrets import secret_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client):
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.OWNER, is_superuser=True))
    return client


def _rows():
    owner = OwnerFactory()
    tenant = owner.tenant
    key = ServerApiKeyFactory(tenant=tenant)
    push = DevicePushToken.objects.create(
        tenant=tenant,
        platform="android",
        token="push-credential-0123456789",
        token_digest=secret_digest("push-credential-0123456789"),
        subject="vis_1",
    )
    entry = WorkspaceEntryToken.objects.create(
        tenant=tenant,
        user=owner,
        token_digest=secret_digest("entry-token-0123456789"),
        expires_at=push.created_at,
    )
    return [
        ("developer/serverapikey", key.pk, [key.secret_digest, key.secret]),
        ("runtime/devicepushtoken", push.pk, [push.token_digest, push.token]),
        ("identity/workspaceentrytoken", entry.pk, [entry.token_digest]),
    ]


def test_no_console_page_shows_a_digest_or_a_secret(console):
    for path, pk, secrets in _rows():
        for url in (f"/admin/{path}/", f"/admin/{path}/{pk}/change/"):
            response = console.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            for secret in secrets:
                assert secret not in html, f"{url} shows a secret or digest"
