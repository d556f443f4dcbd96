"""Upload budgets (issue 22 F5): per visitor (rate), per conversation (size), per tenant (the plan's
storage quota, held under concurrency), and a type check that streams instead of reading it all."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.chat.filetypes import sniff
from apps.chat.models import Attachment
from apps.chat.tests.chat_fixtures import chat_tenant, start_conversation, visitor_headers
from apps.plans import entitlements
from ringnity.testing.ci import require_postgresql
from ringnity.testing.concurrency import run_parallel

pytestmark = pytest.mark.django_db

KB = 1024
MB = 1024 * KB


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _text(size: int) -> bytes:
    return (b"order 42 shipped\n" * (size // 17 + 1))[:size]


def _upload(client, headers, cid, content, name="notes.txt", **extra):
    url = f"/api/chat/visitor/conversations/{cid}/attachments/upload"
    upload = SimpleUploadedFile(name, content, content_type="text/plain")
    return client.post(url, {"file": upload, **extra}, format="multipart", **headers)


def _declare(client, headers, cid, size=10):
    url = f"/api/chat/visitor/conversations/{cid}/attachments"
    return client.post(url, {"filename": "a.txt", "contentType": "text/plain", "size": size}, format="json", **headers)


def _visitor_chat(client, tenant, subject):
    headers = visitor_headers(tenant, subject)
    return headers, start_conversation(client, headers)["conversationId"]


def test_a_visitor_uploads_at_most_the_files_of_its_window(api_client, assert_contract, settings):
    settings.CHAT_UPLOADS_PER_VISITOR = 2
    headers, cid = _visitor_chat(api_client, chat_tenant(), "vis_a")
    assert_contract(_upload(api_client, headers, cid, b"one"), "uploadVisitorConversationAttachment", status=201)
    assert_contract(_declare(api_client, headers, cid), "createVisitorConversationAttachment", status=201)
    over = _upload(api_client, headers, cid, b"three")
    assert assert_contract(over, "uploadVisitorConversationAttachment", status=429)["code"] == "RATE_LIMITED"
    assert 0 < int(over["Retry-After"]) <= 600
    declared = _declare(api_client, headers, cid)
    assert assert_contract(declared, "createVisitorConversationAttachment", status=429)["code"] == "RATE_LIMITED"
    assert Attachment.objects.count() == 2


def test_a_visitor_uploads_at_most_the_megabytes_of_its_window(api_client, assert_contract, settings):
    settings.CHAT_UPLOAD_MB_PER_VISITOR = 1
    tenant = chat_tenant()
    headers, cid = _visitor_chat(api_client, tenant, "vis_a")
    first = _upload(api_client, headers, cid, _text(600 * KB))
    assert_contract(first, "uploadVisitorConversationAttachment", status=201)
    second = _upload(api_client, headers, cid, _text(600 * KB))
    assert assert_contract(second, "uploadVisitorConversationAttachment", status=429)["code"] == "RATE_LIMITED"
    other_headers, other_cid = _visitor_chat(api_client, tenant, "vis_b")
    other = _upload(api_client, other_headers, other_cid, _text(600 * KB))
    assert_contract(other, "uploadVisitorConversationAttachment", status=201)


def test_a_conversation_holds_at_most_its_files_and_megabytes(api_client, assert_contract, settings):
    settings.CHAT_UPLOADS_PER_CONVERSATION = 2
    settings.CHAT_UPLOAD_MB_PER_CONVERSATION = 1
    tenant = chat_tenant()
    headers, cid = _visitor_chat(api_client, tenant, "vis_a")
    assert_contract(
        _upload(api_client, headers, cid, _text(700 * KB)), "uploadVisitorConversationAttachment", status=201
    )
    too_much = _upload(api_client, headers, cid, _text(400 * KB))
    body = assert_contract(too_much, "uploadVisitorConversationAttachment", status=409)
    assert body["code"] == "CONFLICT"
    assert "conversation" in " ".join(body["details"])
    assert_contract(
        _upload(api_client, headers, cid, _text(300 * KB)), "uploadVisitorConversationAttachment", status=201
    )
    third = _declare(api_client, headers, cid)
    assert assert_contract(third, "createVisitorConversationAttachment", status=409)["code"] == "CONFLICT"
    assert Attachment.objects.count() == 2


def test_the_tenant_stores_at_most_its_plans_attachment_storage(api_client, assert_contract):
    tenant = chat_tenant(attachment_storage_mb=1)
    first_headers, first_cid = _visitor_chat(api_client, tenant, "vis_a")
    second_headers, second_cid = _visitor_chat(api_client, tenant, "vis_b")
    ok = _upload(api_client, first_headers, first_cid, _text(600 * KB))
    assert_contract(ok, "uploadVisitorConversationAttachment", status=201)
    assert entitlements.for_tenant(tenant).usage("attachment_storage_mb") == 1
    refused = _upload(api_client, second_headers, second_cid, _text(600 * KB))
    body = assert_contract(refused, "uploadVisitorConversationAttachment", status=400)
    assert body["code"] == "QUOTA_EXCEEDED"
    assert "attachment_storage_mb" in " ".join(body["details"])
    assert Attachment.objects.count() == 1
    disabled = chat_tenant(attachment_storage_mb="disabled")
    headers, cid = _visitor_chat(api_client, disabled, "vis_c")
    none = _upload(api_client, headers, cid, b"hello")
    assert assert_contract(none, "uploadVisitorConversationAttachment", status=400)["code"] == "QUOTA_EXCEEDED"


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_stop_exactly_at_the_storage_quota(media):
    require_postgresql("needs PostgreSQL: parallel uploads serialised by the tenant row lock")
    tenant = chat_tenant(attachment_storage_mb=1)
    chats = [_visitor_chat(APIClient(), tenant, f"vis_{i}") for i in range(10)]
    run = run_parallel(lambda i: _upload(APIClient(), *chats[i], _text(300 * KB)), len(chats), timeout=120)
    assert not run.errors, run.errors
    statuses = sorted(r.status_code for r in run.results)
    assert statuses == [201] * 3 + [400] * 7, statuses  # 3 x 300 KB fit in 1 MB, a fourth does not
    assert {r.json()["code"] for r in run.results if r.status_code == 400} == {"QUOTA_EXCEEDED"}
    assert sum(Attachment.objects.values_list("size", flat=True)) <= MB
    assert len([p for p in media.rglob("*") if p.is_file()]) == 3  # refused files are not left behind


class _ReadRecorder:
    """A seekable file that records how much each ``read`` asked for."""

    def __init__(self, content: bytes):
        self._file = SimpleUploadedFile("f", content)
        self.size, self.reads = len(content), []

    def read(self, size=-1):
        data = self._file.read(size)
        self.reads.append(len(data))
        return data

    def __getattr__(self, name):
        return getattr(self._file, name)


def test_the_type_check_streams_the_file_in_bounded_reads():
    recorder = _ReadRecorder(_text(8 * MB))
    assert sniff(recorder).content_type == "text/plain"
    assert max(recorder.reads) <= 256 * KB, max(recorder.reads)
