"""Outbound safety: loopback, private, link-local, metadata, IPv6 loopback, IPv4-mapped, integer hosts are refused.

The address table itself is decided once for every caller: ``ringnity/tests/test_outbound_addresses.py``.
"""

import pytest
from django.utils import timezone

from apps.webhooks import delivery, outbound
from apps.webhooks.events import event_emit
from apps.webhooks.models import WebhookAttempt, WebhookDelivery
from apps.webhooks.tests.factories import endpoint_make, webhook_headers, webhook_tenant
from apps.webhooks.tests.receiver import Receiver
from ringnity.outbound import addresses

pytestmark = pytest.mark.django_db
URL = "/api/server/webhooks"

REFUSED = [
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://2130706433/hook",
    "http://2130706433/",
    "https://0x7f000001/hook",
    "https://localhost/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://192.168.1.10/hook",
    "https://[fe80::1]/hook",
    "https://100.64.0.1/hook",
]


@pytest.fixture
def tenant():
    return webhook_tenant()


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_targets_are_refused_at_create(api_client, assert_contract, tenant, settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = api_client.post(URL, {"url": url, "events": ["*"]}, format="json", **webhook_headers(tenant))
    assert_contract(response, "createWebhook", status=400)
    body = response.json()
    assert body["code"] == "SERVER_WEBHOOK_VALIDATION_FAILED"
    assert body["details"][0].startswith("url:")


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_targets_are_refused_at_send(tenant, settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = outbound.post(url, b"{}", {})
    assert response.status is None
    assert response.error.startswith("refused")


def test_allowing_loopback_allows_only_loopback_and_http(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert outbound.create_time_problems("http://127.0.0.1:9/hook") == []
    assert outbound.create_time_problems("http://[::1]:9/hook") == []
    for url in ("http://10.0.0.1/", "https://169.254.169.254/", "https://[::ffff:127.0.0.1]/", "https://192.168.1.1/"):
        assert outbound.create_time_problems(url), url


def test_an_endpoint_whose_target_became_unsafe_is_refused_at_send(
    tenant, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        settings.WEBHOOKS_ALLOW_LOOPBACK = False
        with django_capture_on_commit_callbacks(execute=False):
            event_emit(tenant=tenant, event_type="contact.created", payload={})
        row = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        delivery.attempt(delivery_id=row.pk, countdown_ok=False)
        assert receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.error_message == "refused: must use https."


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(settings, monkeypatch):
    """DNS rebinding: the first answer is checked and connected to; a later answer is never asked for."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    answers = iter([[(0, 0, 0, "", ("127.0.0.1", 0))], [(0, 0, 0, "", ("10.0.0.1", 0))]])
    monkeypatch.setattr(addresses.socket, "getaddrinfo", lambda *args, **kwargs: next(answers))
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        response = outbound.post(f"http://rebind.example.test:{port}/hook", b"{}", {"Content-Type": "application/json"})
        assert response.status == 200
        assert receiver.requests[0].headers["Host"] == f"rebind.example.test:{port}"


def _self_signed(tmp_path):
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

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
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_verifies_the_certificate_of_the_pinned_address(settings, tmp_path):
    """The HTTPS path connects to the checked address and still verifies the certificate (no silent trust)."""
    import ssl

    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    cert_path, key_path = _self_signed(tmp_path)
    with Receiver() as receiver:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
        port = receiver.server.server_address[1]
        response = outbound.post(f"https://127.0.0.1:{port}/hook", b"{}", {"Content-Type": "application/json"})
        assert response.status is None
        assert "CERTIFICATE_VERIFY_FAILED" in response.error
        assert receiver.requests == []


def test_https_delivers_to_the_pinned_address_when_the_certificate_is_trusted(settings, tmp_path, monkeypatch):
    import ssl

    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    cert_path, key_path = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    with Receiver() as receiver:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
        port = receiver.server.server_address[1]
        response = outbound.post(f"https://127.0.0.1:{port}/hook", b"{}", {"Content-Type": "application/json"})
        assert (response.status, response.error) == (200, "")
        assert receiver.requests[0].body == b"{}"
