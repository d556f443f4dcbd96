"""URL ingest and reindex: pages fetched by the task with outbound safety; a real web server on loopback."""

import datetime
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from apps.ai.knowledge import fetch as fetching
from apps.ai.models import KnowledgeChunk, KnowledgeDocument
from apps.ai.tests.factories import admin_headers, ai_tenant, indexed_document, visitor_headers
from ringnity.testing.contract import assert_contract as checked

pytestmark = pytest.mark.django_db

URLS = "/api/admin-sdk/ai/knowledge/urls"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def page(text: str, title: str = "Help") -> bytes:
    return f"<html><head><title>{title}</title></head><body><main><p>{text}</p></main></body></html>".encode()


def ingest(client, tenant, url, capture):
    with capture(execute=True):
        response = client.post(URLS, {"url": url}, format="json", **admin_headers(tenant))
    checked(response, "ingestAdminKnowledgeUrl", status=201)
    return response


def search_sources(client, tenant, query):
    response = client.post(
        "/api/ai/visitor/knowledge/search", {"query": query}, format="json", **visitor_headers(tenant)
    )
    checked(response, "searchAiVisitorKnowledge", status=200)
    return [r["source"] for r in response.json()["data"]["results"]]


def test_a_page_is_fetched_indexed_and_searchable(
    api_client, assert_contract, web_server, django_capture_on_commit_callbacks
):
    tenant = ai_tenant()
    web_server.routes["/faq"] = (200, HTML, page("Gift cards never expire and work in every store.", "Gift cards"))
    url = web_server.url("/faq")
    body = assert_contract(
        ingest(api_client, tenant, url, django_capture_on_commit_callbacks), "ingestAdminKnowledgeUrl", status=201
    )
    assert (body["data"]["status"], body["data"]["type"], body["data"]["source"]) == ("queued", "url", url)
    document = KnowledgeDocument.objects.get()
    assert (document.status, document.title) == ("ready", "Gift cards")
    assert search_sources(api_client, tenant, "do gift cards expire") == [url]
    assert web_server.requests[0]["headers"]["User-Agent"].startswith("RingnityKnowledgeBot")


def test_the_fetch_checks_the_address_again_when_it_runs(
    api_client, web_server, settings, django_capture_on_commit_callbacks
):
    """Accepted at create (loopback allowed then); by the time the task fetches it no longer is."""
    tenant = ai_tenant()
    web_server.routes["/faq"] = (200, HTML, page("Internal admin notes."))
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(URLS, {"url": web_server.url("/faq")}, format="json", **admin_headers(tenant))
    checked(response, "ingestAdminKnowledgeUrl", status=201)
    settings.AI_INGEST_ALLOW_LOOPBACK = False
    for callback in callbacks:
        callback()
    document = KnowledgeDocument.objects.get()
    assert document.status == "failed"
    assert "private, loopback" in document.status_reason
    assert web_server.requests == []
    assert not KnowledgeChunk.objects.exists()


def test_a_redirect_to_a_link_local_address_is_refused(api_client, web_server, django_capture_on_commit_callbacks):
    tenant = ai_tenant()
    web_server.routes["/go"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    ingest(api_client, tenant, web_server.url("/go"), django_capture_on_commit_callbacks)
    document = KnowledgeDocument.objects.get()
    assert (document.status, document.chunk_count) == ("failed", 0)
    assert "private, loopback" in document.status_reason


def test_a_redirect_to_a_safe_page_is_followed(api_client, web_server, django_capture_on_commit_callbacks):
    tenant = ai_tenant()
    web_server.routes["/old"] = (301, {"Location": "/new"}, b"")
    web_server.routes["/new"] = (200, HTML, page("Returns are free for members."))
    ingest(api_client, tenant, web_server.url("/old"), django_capture_on_commit_callbacks)
    assert KnowledgeDocument.objects.get().status == "ready"
    assert [r["path"] for r in web_server.requests] == ["/old", "/new"]


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ((200, {"Content-Type": "image/png"}, b"\x89PNG"), "Unsupported content type 'image/png'."),
        ((500, HTML, b"oops"), "The page answered HTTP 500."),
        ((200, HTML, b"<html><body><main><p>" + b"word " * 600 + b"</p></main></body></html>"), "larger than"),
    ],
)
def test_bad_pages_fail_with_a_reason(
    api_client, web_server, settings, django_capture_on_commit_callbacks, route, reason
):
    settings.AI_INGEST_MAX_BYTES = 2000
    tenant = ai_tenant()
    web_server.routes["/p"] = route
    ingest(api_client, tenant, web_server.url("/p"), django_capture_on_commit_callbacks)
    document = KnowledgeDocument.objects.get()
    assert document.status == "failed"
    assert reason in document.status_reason


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("ftp://example.com/file", "url: Only http and https URLs can be ingested."),
        ("https://user:pw@example.com/", "url: URLs with credentials are not accepted."),
        ("not a url", "url: Only http and https URLs can be ingested."),
    ],
)
def test_urls_of_the_wrong_shape_are_refused_before_anything_is_written(api_client, assert_contract, url, detail):
    tenant = ai_tenant()
    response = api_client.post(URLS, {"url": url}, format="json", **admin_headers(tenant))
    assert assert_contract(response, "ingestAdminKnowledgeUrl", status=400)["details"] == [detail]
    assert not KnowledgeDocument.objects.exists()


def test_url_input_types_are_strict(api_client, assert_contract):
    tenant = ai_tenant()
    response = api_client.post(URLS, {"url": 12}, format="json", **admin_headers(tenant))
    assert assert_contract(response, "ingestAdminKnowledgeUrl", status=400)["details"] == [
        "url: Must be a string, not a number."
    ]


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254", "100.64.0.1"])
def test_private_and_internal_addresses_are_never_allowed(settings, address):
    """Loopback only, where the setting allows it: private ranges stay refused (the table is shared)."""
    settings.AI_INGEST_ALLOW_LOOPBACK = True
    with pytest.raises(fetching.FetchError, match="private, loopback"):
        fetching.check_public_url(f"http://{address}/")
    fetching.check_public_url("http://127.0.0.1/")
    settings.AI_INGEST_ALLOW_LOOPBACK = False
    for url in ("http://127.0.0.1/", "http://[::1]/"):
        with pytest.raises(fetching.FetchError, match="private, loopback"):
            fetching.check_public_url(url)


def test_a_host_resolving_to_loopback_is_refused_after_dns(settings):
    settings.AI_INGEST_ALLOW_LOOPBACK = False
    assert socket.getaddrinfo("localhost", 80)  # resolves on this machine, to loopback
    with pytest.raises(fetching.FetchError, match="private, loopback"):
        fetching.fetch("http://localhost/anything")


def test_reindex_replaces_the_passages_with_the_current_page(
    api_client, assert_contract, web_server, django_capture_on_commit_callbacks
):
    tenant = ai_tenant()
    web_server.routes["/hours"] = (200, HTML, page("We open at eight on weekdays."))
    ingest(api_client, tenant, web_server.url("/hours"), django_capture_on_commit_callbacks)
    document = KnowledgeDocument.objects.get()
    web_server.routes["/hours"] = (200, HTML, page("Sunday brunch is served until noon."))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/admin-sdk/ai/knowledge/{document.public_id}/reindex", **admin_headers(tenant))
    assert assert_contract(response, "reindexAdminKnowledge", status=200)["data"]["status"] == "queued"
    document.refresh_from_db()
    assert document.status == "ready"
    assert search_sources(api_client, tenant, "brunch") == [web_server.url("/hours")]
    assert search_sources(api_client, tenant, "weekdays") == []


def test_a_reindex_that_fails_removes_the_old_passages_and_says_why(
    api_client, web_server, django_capture_on_commit_callbacks
):
    tenant = ai_tenant()
    web_server.routes["/p"] = (200, HTML, page("Lockers are on the second floor."))
    ingest(api_client, tenant, web_server.url("/p"), django_capture_on_commit_callbacks)
    document = KnowledgeDocument.objects.get()
    web_server.routes["/p"] = (404, HTML, b"gone")
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(f"/api/admin-sdk/ai/knowledge/{document.public_id}/reindex", **admin_headers(tenant))
    document.refresh_from_db()
    assert (document.status, document.status_reason) == ("failed", "The page answered HTTP 404.")
    assert not KnowledgeChunk.objects.filter(document=document).exists()


def test_reindexing_a_file_keeps_it_searchable(api_client, django_capture_on_commit_callbacks):
    tenant = ai_tenant()
    document = indexed_document(tenant, "pets.txt", "Dogs on a leash are welcome in the store.")
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(f"/api/admin-sdk/ai/knowledge/{document.public_id}/reindex", **admin_headers(tenant))
    document.refresh_from_db()
    assert (document.status, document.chunk_count) == ("ready", 1)
    assert search_sources(api_client, tenant, "are dogs welcome") == ["pets.txt"]


def _self_signed_https_server(tmp_path):
    """An HTTPS server on loopback with a self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    served = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"secret")

        def log_message(self, *args):
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, served


def test_https_pages_need_a_certificate_the_system_trusts(settings, tmp_path):
    settings.AI_INGEST_ALLOW_LOOPBACK = True
    httpd, served = _self_signed_https_server(tmp_path)
    try:
        with pytest.raises(fetching.FetchError, match="could not be fetched"):
            fetching.fetch(f"https://127.0.0.1:{httpd.server_address[1]}/page")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert served == []
