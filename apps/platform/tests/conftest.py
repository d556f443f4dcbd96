import pytest

from apps.identity.sessions import SessionScope, session_issue
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import PlatformOperatorFactory


def platform_headers(user) -> dict:
    tokens = session_issue(user=user, scope=SessionScope.PLATFORM)
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.access}"}


@pytest.fixture
def operator(db):
    return PlatformOperatorFactory(platform_role=PlatformRole.ADMIN)


@pytest.fixture
def admin_headers(operator):
    return platform_headers(operator)


@pytest.fixture
def support_headers(db):
    return platform_headers(PlatformOperatorFactory(platform_role=PlatformRole.SUPPORT))
