"""ringnity.api.throttling.LoginThrottle, and its use on the console's sign-in form."""

import pytest
from django.core.cache import cache

from apps.platform.console import console_login_throttle
from apps.tenants.tests.factories import DEFAULT_PASSWORD, PlatformOperatorFactory
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.throttling import LoginThrottle


def test_account_lock_after_limit_with_retry_after():
    throttle = LoginThrottle("t1", account_limit=3, ip_limit=100, window=60, lockout=120)
    for n in range(3):
        throttle.check(ip=f"1.1.1.{n}", account="A@x.example")
        throttle.record_failure(ip=f"1.1.1.{n}", account="A@x.example")
    with pytest.raises(ApiError) as info:
        throttle.check(ip="2.2.2.2", account="a@X.example ")  # same account, other spelling and IP
    assert info.value.code == ErrorCode.RATE_LIMITED
    assert info.value.status == 429
    assert 118 <= int(info.value.headers["Retry-After"]) <= 120
    throttle.check(ip="2.2.2.2", account="b@x.example")  # other accounts unaffected


def test_ip_lock_covers_every_account():
    throttle = LoginThrottle("t2", account_limit=100, ip_limit=2)
    throttle.record_failure(ip="9.9.9.9", account="a@x.example")
    throttle.record_failure(ip="9.9.9.9", account="b@x.example")
    with pytest.raises(ApiError):
        throttle.check(ip="9.9.9.9", account="c@x.example")
    throttle.check(ip="9.9.9.8", account="c@x.example")


def test_reset_forgets_the_account_but_not_the_ip():
    throttle = LoginThrottle("t3", account_limit=2, ip_limit=3)
    throttle.record_failure(ip="3.3.3.3", account="a@x.example")
    throttle.record_failure(ip="3.3.3.3", account="a@x.example")
    throttle.reset(account="a@x.example")
    throttle.check(ip="3.3.3.4", account="a@x.example")
    throttle.record_failure(ip="3.3.3.3", account="z@x.example")
    with pytest.raises(ApiError):
        throttle.check(ip="3.3.3.3")


def test_scopes_are_independent_and_keys_hold_no_email():
    LoginThrottle("owner", account_limit=1).record_failure(account="a@x.example")
    LoginThrottle("platform", account_limit=5).check(account="a@x.example")
    if hasattr(cache, "keys"):
        assert not [k for k in cache.keys("throttle:*") if "a@x" in k]


@pytest.mark.django_db
def test_console_sign_in_is_throttled(client):
    operator = PlatformOperatorFactory()
    for _ in range(console_login_throttle.limits["account"]):
        client.post("/admin/login/", {"username": operator.email, "password": "wrong-password-1"})
    response = client.post("/admin/login/", {"username": operator.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_console_sign_in_works(client):
    operator = PlatformOperatorFactory()
    response = client.post("/admin/login/?next=/admin/", {"username": operator.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
