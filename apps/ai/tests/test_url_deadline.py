"""Knowledge URL ingest has one deadline for the whole fetch (issue 22, finding 2).

``AI_INGEST_TIMEOUT_SECONDS`` bounds DNS, connect, TLS, send and every read, redirects included:
real misbehaving servers on loopback (``ringnity.testing.slow_peers``) drip the body, never
answer, or drip the headers; every byte arrives well within any per-read timeout.
"""

import time

import pytest

from apps.ai.knowledge import fetch as fetching
from apps.ai.models import KnowledgeDocument
from apps.ai.tests.factories import admin_headers, ai_tenant
from ringnity.testing.contract import assert_contract as checked
from ringnity.testing.slow_peers import SlowPeer, elapsed

pytestmark = pytest.mark.django_db
SLACK = 3.0


@pytest.mark.parametrize("mode", ["drip_body", "silent", "drip_headers"])
def test_the_index_task_gives_up_at_the_deadline_whatever_the_server_does(
    api_client, settings, django_capture_on_commit_callbacks, mode
):
    settings.AI_INGEST_ALLOW_LOOPBACK = True
    settings.AI_INGEST_TIMEOUT_SECONDS = 1
    tenant = ai_tenant()
    with SlowPeer(mode, interval=0.25, drip_bytes=40) as peer:  # a whole page after 10 s without a deadline
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(
                "/api/admin-sdk/ai/knowledge/urls", {"url": peer.url("/faq")}, format="json", **admin_headers(tenant)
            )
        took = elapsed(started)
    checked(response, "ingestAdminKnowledgeUrl", status=201)
    document = KnowledgeDocument.objects.get()
    assert (document.status, document.status_reason) == ("failed", "The page did not load within 1 s.")
    assert took < 1 + SLACK


def test_redirects_share_the_one_deadline(web_server, settings):
    """Each hop does not get a fresh deadline: a redirect to a silent server ends at the first deadline."""
    settings.AI_INGEST_TIMEOUT_SECONDS = 1
    with SlowPeer("silent") as peer:
        web_server.routes["/moved"] = (302, {"Location": peer.url("/faq")}, b"")
        started = time.monotonic()
        with pytest.raises(fetching.FetchError, match="did not load within 1 s"):
            fetching.fetch(web_server.url("/moved"))
        assert elapsed(started) < 1 + SLACK
