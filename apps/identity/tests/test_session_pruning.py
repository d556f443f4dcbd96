from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.identity.models import SessionFamily, WorkspaceEntryToken
from apps.identity.sessions import SessionScope, session_issue, session_revoke
from apps.identity.tasks import prune_session_records
from apps.tenants.tests.factories import OwnerFactory

pytestmark = pytest.mark.django_db


def test_pruning_removes_only_records_that_can_no_longer_authenticate():
    owner = OwnerFactory()
    session_issue(user=owner, scope=SessionScope.OWNER)
    live_family = str(SessionFamily.objects.get().id)
    dead = session_issue(user=owner, scope=SessionScope.OWNER)
    session_revoke(refresh_token=dead.refresh, scope=SessionScope.OWNER)
    now = timezone.now()
    WorkspaceEntryToken.objects.create(
        tenant=owner.tenant, user=owner, token_digest="a" * 64, expires_at=now - timedelta(minutes=5)
    )
    WorkspaceEntryToken.objects.create(
        tenant=owner.tenant, user=owner, token_digest="b" * 64, expires_at=now + timedelta(minutes=1)
    )
    later = now + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] + timedelta(minutes=1)

    assert prune_session_records.apply().get() == {"refreshTokens": 0, "families": 0, "entryTokens": 1}
    assert OutstandingToken.objects.count() == 2

    from apps.identity.sessions import session_records_prune

    assert session_records_prune(now=later) == {"refreshTokens": 2, "families": 1, "entryTokens": 1}
    # The live family stays (it is not revoked); the revoked one is gone.
    assert str(SessionFamily.objects.get().id) == live_family


def test_pruning_is_scheduled_daily_by_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["prune-session-records"]
    assert entry["task"] == prune_session_records.name
    assert entry["schedule"] == 24 * 60 * 60
