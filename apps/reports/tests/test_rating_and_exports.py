"""The visitor rating extension route, the export task and its storage record."""

import json

import pytest
from django.core.files.storage import default_storage

from apps.reports.models import ConversationRating, ExportStatus, ReportExport
from apps.reports.periods import period_resolve
from apps.reports.services import export_request
from apps.reports.tasks import generate_export
from apps.reports.tests import factories as f
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.tests.factories import PlatformOperatorFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _rate(api_client, conv, headers, body):
    return api_client.post(f"/api/chat/visitor/conversations/{conv.public_id}/rating", body, format="json", **headers)


@pytest.fixture
def closed():
    tenant = ready_tenant(timezone="Europe/Berlin")
    agent = StaffFactory(tenant=tenant)
    visitor = f.visitor(tenant, subject="vis_rater01")
    conv = f.conversation(
        tenant, at=f.local("2026-01-10 09:00"), agent=agent, status="closed", closed_after=60, who=visitor
    )
    headers = runtime_headers(tenant, TokenKind.VISITOR, subject="vis_rater01")
    return {"tenant": tenant, "agent": agent, "visitor": visitor, "conv": conv, "headers": headers}


def test_visitor_rates_its_closed_conversation_once(api_client, closed):
    response = _rate(api_client, closed["conv"], closed["headers"], {"score": 4, "comment": "quick"})
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["conversationId"], data["score"], data["comment"]) == (closed["conv"].public_id, 4, "quick")
    rating = ConversationRating.objects.get(conversation=closed["conv"])
    assert rating.agent == closed["agent"]
    assert rating.tenant == closed["tenant"]
    again = _rate(api_client, closed["conv"], closed["headers"], {"score": 5})
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


def test_open_conversation_cannot_be_rated(api_client, closed):
    conv = f.conversation(closed["tenant"], at=f.local("2026-01-11 09:00"), status="open", who=closed["visitor"])
    response = _rate(api_client, conv, closed["headers"], {"score": 5})
    assert response.status_code == 409
    assert not ConversationRating.objects.exists()


def test_bad_rating_lists_every_field_and_writes_nothing(api_client, closed):
    response = _rate(api_client, closed["conv"], closed["headers"], {"score": "5", "comment": 7})
    assert response.status_code == 400
    assert sorted(d.split(":")[0] for d in response.json()["details"]) == ["comment", "score"]
    for score in (0, 6, None):
        assert _rate(api_client, closed["conv"], closed["headers"], {"score": score}).status_code == 400
    assert not ConversationRating.objects.exists()


def test_another_visitors_or_tenants_conversation_is_404(api_client, closed):
    stranger = runtime_headers(closed["tenant"], TokenKind.VISITOR, subject="vis_stranger1")
    assert _rate(api_client, closed["conv"], stranger, {"score": 5}).status_code == 404
    other = ready_tenant()
    foreign = runtime_headers(other, TokenKind.VISITOR, subject="vis_rater01")
    assert _rate(api_client, closed["conv"], foreign, {"score": 5}).status_code == 404
    assert not ConversationRating.objects.exists()


def test_rating_needs_a_visitor_credential(api_client, closed):
    response = _rate(api_client, closed["conv"], {}, {"score": 5})
    assert response.status_code == 401
    assert response.json()["code"] == "SDK_SESSION_REQUIRED"
    admin = runtime_headers(closed["tenant"], TokenKind.ADMIN, subject="adm_1")
    assert _rate(api_client, closed["conv"], admin, {"score": 5}).status_code == 401


def test_rating_is_documented_in_the_generated_schema_as_an_extension():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/chat/visitor/conversations/{conversationId}/rating"]["post"]
    assert operation["operationId"] == "rateVisitorConversation"
    assert operation["x-ringnity-extension"] is True
    chat = schema["components"]["schemas"]["ReportChatSummaryOutput"]["properties"]
    assert "firstResponseSeconds" in chat
    assert "resolutionSeconds" in chat


def test_export_task_writes_the_file_and_records_it(closed, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tenant = closed["tenant"]
    operator = PlatformOperatorFactory()
    period = period_resolve(tenant=tenant, period="custom", start_date="2026-01-10", end_date="2026-01-10")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = export_request(tenant=tenant, period=period, fmt="csv", requested_by=operator)
    assert export.status == ExportStatus.PENDING
    assert len(callbacks) == 1
    generate_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    assert export.requested_by == operator
    assert tenant.slug in export.file.name
    assert export.file.name.endswith(".csv")
    content = default_storage.open(export.file.name).read()
    assert export.size_bytes == len(content)
    assert b"section,summary" in content
    generate_export(export.pk)  # idempotent: a finished export stays as it is
    assert ReportExport.objects.get(pk=export.pk).file.name == export.file.name


def test_json_export_file_is_the_api_envelope(closed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tenant = closed["tenant"]
    period = period_resolve(tenant=tenant, period="custom", start_date="2026-01-10", end_date="2026-01-10")
    export = ReportExport.objects.create(
        tenant=tenant, period_type="custom", first_day=period.first_day, last_day=period.last_day, format="json"
    )
    generate_export(export.pk)
    export.refresh_from_db()
    body = json.loads(default_storage.open(export.file.name).read())
    assert body["success"] is True
    assert body["data"]["report"]["summary"]["totalConversations"] == 1
