import pytest

from apps.tenants.models import PlatformRole
from apps.tenants.sessions import SessionScope, session_issue
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


@pytest.fixture
def contract(assert_contract):
    """``assert_contract`` that always returns the decoded body.

    The harness returns None for error statuses documented through a ``$ref``'d
    response (the contract's ``4XX: {$ref: ErrorResponse}``), without validating them;
    so error bodies are validated against ``ErrorEnvelope`` here as well.
    """
    from ringnity.testing.contract import CONTRACT_URI, _registry

    def check(response, operation_id, status=None):
        body = assert_contract(response, operation_id, status=status)
        if body is None and response.status_code >= 400:
            from jsonschema import Draft202012Validator

            body = response.json()
            schema = {"$ref": f"{CONTRACT_URI}#/components/schemas/ErrorEnvelope"}
            errors = list(Draft202012Validator(schema, registry=_registry()).iter_errors(body))
            assert not errors, f"{operation_id} {response.status_code}: {[e.message for e in errors]} in {body}"
        return body

    return check
