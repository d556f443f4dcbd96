"""The workspace owner most Login with Ringnity tests sign in as, and a confidential client of its tenant."""

import pytest

from apps.oauth.tests.factories import make_client
from apps.tenants.tests.factories import OwnerFactory, TenantFactory


@pytest.fixture
def owner():
    return OwnerFactory(tenant=TenantFactory(slug="acme"), name="Ada Owner", email="ada@acme.example.com")


@pytest.fixture
def confidential(owner):
    """``(client, secret)``."""
    return make_client(owner.tenant)
