"""Attachments: type from the bytes, plan size limit, server-made names, safe downloads, agent removal."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from apps.chat.models import Attachment, Message
from apps.chat.tests.chat_fixtures import agent_headers, chat_tenant, make_agent, start_conversation, visitor_headers

pytestmark = pytest.mark.django_db

LIMIT = 1024 * 1024  # chat_tenant(): attachment_mb = 1


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def chat(api_client):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation = start_conversation(api_client, headers)
    return tenant, headers, conversation["conversationId"]


def _upload(client, headers, cid, name, content, content_type="image/png", **extra):
    url = f"/api/chat/visitor/conversations/{cid}/attachments/upload"
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(url, {"file": upload, **extra}, format="multipart", **headers)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.png", png_bytes(), "image/png"),
        ("notes.txt", "Grüße, order #42\n".encode(), "text/plain"),
        ("contract.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("scan.pdf", pdf_bytes(), "application/pdf"),
    ],
)
def test_allowed_file_is_stored_under_a_server_name_and_posted(
    api_client, assert_contract, media, chat, name, content, content_type
):
    tenant, headers, cid = chat
    response = _upload(api_client, headers, cid, f"../../{name}", content, content_type="application/octet-stream")
    data = assert_contract(response, "uploadVisitorConversationAttachment", status=201)["data"]
    assert data["attachment"]["contentType"] == content_type
    assert data["attachment"]["filename"] == name
    assert data["message"]["messageType"] == "attachment"
    stored = Attachment.objects.get().file.name
    assert stored.startswith(f"chat/{tenant.public_id}/{cid}/att_")
    assert name not in stored
    assert (media / stored).read_bytes() == content
    download = api_client.get(data["attachment"]["downloadUrl"], **headers)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == content_type
    assert b"".join(download.streaming_content) == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("image.png", png_bytes()[:33] + b"<script>alert(1)</script>"),
        ("image.png", png_bytes() + b"<script>alert(1)</script>"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 30),
        ("picture.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
    ],
)
def test_disguised_or_unlisted_file_is_400_and_nothing_stored(api_client, assert_contract, media, chat, name, content):
    _, headers, cid = chat
    response = _upload(api_client, headers, cid, name, content)
    assert "file" in " ".join(assert_contract(response, "uploadVisitorConversationAttachment", status=400)["details"])
    assert not Attachment.objects.exists()
    assert not Message.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_empty_file_is_400(api_client, assert_contract, media, chat):
    _, headers, cid = chat
    response = _upload(api_client, headers, cid, "empty.txt", b"")
    assert_contract(response, "uploadVisitorConversationAttachment", status=400)
    assert not Attachment.objects.exists()


def test_one_byte_over_the_plan_limit_is_413_and_exactly_the_limit_passes(api_client, assert_contract, media, chat):
    _, headers, cid = chat
    over = _upload(api_client, headers, cid, "big.txt", b"a" * (LIMIT + 1))
    assert assert_contract(over, "uploadVisitorConversationAttachment", status=413)["code"] == "PAYLOAD_TOO_LARGE"
    assert not Attachment.objects.exists()
    exact = _upload(api_client, headers, cid, "big.txt", b"a" * LIMIT)
    assert_contract(exact, "uploadVisitorConversationAttachment", status=201)


def test_metadata_then_upload_completes_the_pending_attachment(api_client, assert_contract, media, chat):
    _, headers, cid = chat
    url = f"/api/chat/visitor/conversations/{cid}/attachments"
    declared = api_client.post(
        url, {"filename": "a.png", "contentType": "image/png", "size": 70}, format="json", **headers
    )
    attachment = assert_contract(declared, "createVisitorConversationAttachment", status=201)["data"]["attachment"]
    assert attachment["status"] == "pending"
    uploaded = _upload(api_client, headers, cid, "a.png", png_bytes(), attachmentId=attachment["attachmentId"])
    data = assert_contract(uploaded, "uploadVisitorConversationAttachment", status=201)["data"]
    assert data["attachment"]["attachmentId"] == attachment["attachmentId"]
    assert Attachment.objects.get().status == "uploaded"
    too_big = api_client.post(
        url, {"filename": "b.png", "contentType": "image/png", "size": LIMIT + 1}, format="json", **headers
    )
    assert_contract(too_big, "createVisitorConversationAttachment", status=413)
    bad = api_client.post(
        url, {"filename": "b.html", "contentType": "text/html", "size": "12"}, format="json", **headers
    )
    details = " ".join(assert_contract(bad, "createVisitorConversationAttachment", status=400)["details"])
    assert "size" in details
    assert Attachment.objects.count() == 1


def test_agent_deletes_attachment_message_keeping_who_why_when(
    api_client, assert_contract, media, chat, django_capture_on_commit_callbacks
):
    tenant, headers, cid = chat
    data = _upload(api_client, headers, cid, "a.png", png_bytes()).json()["data"]
    agent = make_agent(tenant)
    url = f"/api/agent-sdk/conversations/{cid}/messages/{data['message']['messageId']}/attachment"
    with django_capture_on_commit_callbacks(execute=True):
        deleted = api_client.delete(url, {"reason": "personal data"}, format="json", **agent_headers(agent))
    body = assert_contract(deleted, "deleteAgentConversationAttachment", status=200)["data"]
    assert body["deleted"] is True
    assert body["message"]["deletedAt"]
    assert body["message"]["body"] == ""
    message = Message.objects.get()
    assert message.deleted_by_agent == agent
    assert message.delete_reason == "personal data"
    assert not any(path.is_file() for path in media.rglob("*"))
    again = api_client.delete(url, **agent_headers(agent))
    assert_contract(again, "deleteAgentConversationAttachment", status=200)
    gone = api_client.get(data["attachment"]["downloadUrl"], **headers)
    assert gone.status_code == 404


def test_attachment_delete_of_a_text_message_is_404(api_client, assert_contract, chat):
    tenant, headers, cid = chat
    mid = api_client.post(
        f"/api/chat/visitor/conversations/{cid}/messages", {"body": "hi"}, format="json", **headers
    ).json()["data"]["message"]["messageId"]
    response = api_client.delete(
        f"/api/agent-sdk/conversations/{cid}/messages/{mid}/attachment", **agent_headers(make_agent(tenant))
    )
    assert_contract(response, "deleteAgentConversationAttachment", status=404)


def test_other_visitor_cannot_upload_or_download(api_client, assert_contract, media, chat):
    tenant, headers, cid = chat
    data = _upload(api_client, headers, cid, "a.png", png_bytes()).json()["data"]
    for stranger in (visitor_headers(tenant, "vis_stranger"), visitor_headers(chat_tenant(), "vis_test")):
        response = _upload(api_client, stranger, cid, "b.png", png_bytes())
        assert_contract(response, "uploadVisitorConversationAttachment", status=404)
        assert api_client.get(data["attachment"]["downloadUrl"], **stranger).status_code == 404
    agent_download = f"/api/agent-sdk/conversations/{cid}/attachments/{data['attachment']['attachmentId']}/download"
    assert api_client.get(agent_download, **agent_headers(make_agent(tenant))).status_code == 200
    assert api_client.get(agent_download, **agent_headers(make_agent(chat_tenant()))).status_code == 404
    assert Attachment.objects.count() == 1


def test_upload_without_a_file_is_400(api_client, assert_contract, chat):
    _, headers, cid = chat
    url = f"/api/chat/visitor/conversations/{cid}/attachments/upload"
    response = api_client.post(url, {"attachmentId": "att_x"}, format="multipart", **headers)
    assert "file" in " ".join(assert_contract(response, "uploadVisitorConversationAttachment", status=400)["details"])


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(api_client, assert_contract, media, chat):
    _, headers, cid = chat
    response = _upload(api_client, headers, cid, "huge.txt", b"a" * (2 * LIMIT))
    assert assert_contract(response, "uploadVisitorConversationAttachment", status=413)["code"] == "PAYLOAD_TOO_LARGE"
    assert not any(path.is_file() for path in media.rglob("*"))
