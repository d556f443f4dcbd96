"""Polyglot uploads (issue 22 F10): a file must be what it says all through, with no markup or active
content riding along. Every fixture is built here with Pillow or pypdf."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

from apps.chat.models import Attachment
from apps.chat.tests.chat_fixtures import chat_tenant, start_conversation, visitor_headers

pytestmark = pytest.mark.django_db

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description/></rdf:RDF>'
    b'</x:xmpmeta><?xpacket end="w"?>'
)


def _image(fmt: str, **save) -> bytes:
    buffer = io.BytesIO()
    mode = "P" if fmt == "GIF" else "RGB"
    Image.new(mode, (16, 16), 3 if mode == "P" else (200, 30, 30)).save(buffer, fmt, **save)
    return buffer.getvalue()


def _png_with_text(key: str, value: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return _image("PNG", pnginfo=info)


def _name(value: str) -> NameObject:
    return NameObject(value)


def _action(kind: str, **fields) -> DictionaryObject:
    action = DictionaryObject({_name("/S"): _name(kind)})
    action.update({_name(f"/{key}"): TextStringObject(value) for key, value in fields.items()})
    return action


def _pdf(change=None) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(72, 72)
    if change is not None:
        change(writer, page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _javascript_names(writer, page):
    tree = DictionaryObject(
        {_name("/Names"): ArrayObject([TextStringObject("a"), _action("/JavaScript", JS="app.alert(1)")])}
    )
    writer.root_object[_name("/Names")] = DictionaryObject({_name("/JavaScript"): tree})


def _launch_on_open(writer, page):
    writer.root_object[_name("/OpenAction")] = _action("/Launch", F="calc.exe")


def _javascript_when_a_page_opens(writer, page):
    page[_name("/AA")] = DictionaryObject({_name("/O"): _action("/JavaScript", JS="app.alert(1)")})


def _link(writer, page, action: DictionaryObject) -> None:
    rect = ArrayObject([FloatObject(0), FloatObject(0), FloatObject(10), FloatObject(10)])
    link = {_name("/Type"): _name("/Annot"), _name("/Subtype"): _name("/Link"), _name("/Rect"): rect}
    page[_name("/Annots")] = ArrayObject([writer._add_object(DictionaryObject({**link, _name("/A"): action}))])


def _javascript_link(writer, page):
    _link(writer, page, _action("/JavaScript", JS="app.alert(1)"))


def _embedded_file(writer, page):
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")


def _uri_link_and_fit_on_open(writer, page):
    _link(writer, page, _action("/URI", URI="https://example.com/help"))
    writer.root_object[_name("/OpenAction")] = ArrayObject([page.indirect_reference, _name("/Fit")])


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def chat(api_client):
    headers = visitor_headers(chat_tenant())
    return headers, start_conversation(api_client, headers)["conversationId"]


def _upload(client, chat, name, content):
    headers, cid = chat
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    url = f"/api/chat/visitor/conversations/{cid}/attachments/upload"
    return client.post(url, {"file": upload}, format="multipart", **headers)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", _image("JPEG", comment=b"<html><script>alert(1)</script></html>")),
        ("photo.jpg", b"\xff\xd8\xff\xe0<html><body><script>alert(1)</script></body></html>\xff\xd9"),
        ("anim.gif", _image("GIF", comment=b"<script>alert(document.domain)</script>")),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00<svg onload=alert(1)>;"),
        ("shot.png", _png_with_text("Comment", '<img src=x onerror="alert(1)">')),
        ("shot.webp", _image("WEBP", xmp=b"<html><script>alert(1)</script></html>")),
        ("notes.txt", b'Thanks! <img src=x onerror="alert(1)"> bye'),
        ("notes.txt", b'<s:svg xmlns:s="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("notes.txt", b"<a href='x' onmouseover=alert(1)>hover</a>"),
        ("doc.pdf", _pdf(_javascript_names)),
        ("doc.pdf", _pdf(_launch_on_open)),
        ("doc.pdf", _pdf(_javascript_when_a_page_opens)),
        ("doc.pdf", _pdf(_javascript_link)),
        ("doc.pdf", _pdf(_embedded_file)),
        ("doc.pdf", b"%PDF-1.4\n<script>alert(1)</script>\n%%EOF\n"),
    ],
    ids=[
        "jpeg-comment-html",
        "jpeg-shell-around-html",
        "gif-comment-script",
        "gif-shell-around-svg",
        "png-text-onerror",
        "webp-xmp-html",
        "text-img-onerror",
        "text-namespaced-svg-onload",
        "text-event-handler",
        "pdf-javascript",
        "pdf-launch-on-open",
        "pdf-page-open-javascript",
        "pdf-javascript-link",
        "pdf-embedded-file",
        "pdf-shell-not-a-pdf",
    ],
)
def test_a_polyglot_is_refused_and_nothing_is_stored(api_client, assert_contract, media, chat, name, content):
    response = _upload(api_client, chat, name, content)
    details = " ".join(assert_contract(response, "uploadVisitorConversationAttachment", status=400)["details"])
    assert details.startswith("file:")
    assert not Attachment.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.jpg", _image("JPEG", quality=90), "image/jpeg"),
        ("photo.jpg", _image("JPEG", xmp=XMP), "image/jpeg"),
        ("anim.gif", _image("GIF", comment=b"made with love"), "image/gif"),
        ("shot.png", _png_with_text("Software", "GIMP 2.10"), "image/png"),
        ("shot.webp", _image("WEBP"), "image/webp"),
        ("notes.txt", b"if a < b and c > d then 2<3 <3 -> fine", "text/plain"),
        ("doc.pdf", _pdf(), "application/pdf"),
        ("doc.pdf", _pdf(_uri_link_and_fit_on_open), "application/pdf"),
    ],
)
def test_real_files_with_harmless_metadata_still_pass(api_client, assert_contract, chat, name, content, content_type):
    response = _upload(api_client, chat, name, content)
    data = assert_contract(response, "uploadVisitorConversationAttachment", status=201)["data"]
    assert data["attachment"]["contentType"] == content_type
    download = api_client.get(data["attachment"]["downloadUrl"], **chat[0])
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
