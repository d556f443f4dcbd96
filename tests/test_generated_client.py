"""A generated client works: ``openapi-python-client`` (pinned in requirements-dev.txt) generates a Python
client from the schema a real server serves at ``/api/schema/``, and the test drives that server through it:
create a contact, list, upsert it, start a visitor chat, read a report summary.

Generation must not warn, except for the operations in ``GENERATOR_LIMITS`` (what the generator cannot
express, with why); every answer must parse into the generated models and render back to the same JSON,
so the schema is good enough for the clients people use. No network: the generator runs offline.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import urllib.request

import pytest

from apps.developer.models import AllowedDomain
from apps.developer.tests.factories import ServerApiKeyFactory
from apps.runtime.tests.fixtures import ALL_SERVER_SCOPES, ready_tenant
from ringnity.testing.servers import web_process

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "ringnity_client"
#: Operations the generator skips, and why; anything else it warns about is a schema defect to fix.
GENERATOR_LIMITS = {
    "POST /api/ai/visitor/realtime/call": "its body is the raw SDP offer (application/sdp or text/plain); "
    "openapi-python-client 0.29 generates request bodies for JSON, forms, multipart and octet-stream only",
}
ORIGIN = "https://shop.example.com"


@pytest.fixture(scope="module")
def server(django_db_setup):
    with web_process() as url:
        yield url


def _generate(url: str, directory) -> object:
    """Generates the client from the served schema into ``directory`` and imports it."""
    with urllib.request.urlopen(f"{url}/api/schema/?format=json", timeout=60) as response:  # noqa: S310 (loopback)
        (directory / "schema.json").write_bytes(response.read())
    (directory / "config.json").write_text(json.dumps({"post_hooks": [], "package_name_override": PACKAGE}))
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(directory / "schema.json")]
    command += ["--output-path", str(directory / PACKAGE), "--meta", "none", "--config", str(directory / "config.json")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warned = set(re.findall(r"WARNING parsing (\w+ \S+) within", output))
    assert warned == set(GENERATOR_LIMITS), f"the generator warned about {sorted(warned)}:\n{output}"
    assert "Unable to" not in output, output
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def _parsed(response, status: int):
    """The generated model of a documented answer, which renders back to exactly the JSON the server sent."""
    assert response.status_code == status, response.content[:1000]
    assert type(response.parsed).__name__ != "ErrorEnvelope", response.content[:1000]
    rendered, sent = _utc_z(response.parsed.to_dict()), _utc_z(json.loads(response.content))
    assert rendered == sent, "the generated model lost or changed fields"
    return response.parsed


def _utc_z(value):
    """UTC spelled one way: the models render a parsed ``date-time`` with ``isoformat()`` (``+00:00``), the server
    writes ``Z`` (report periods keep the tenant's own offset, ``+00:00`` for a UTC tenant)."""
    if isinstance(value, dict):
        return {key: _utc_z(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_utc_z(item) for item in value]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", value):
        return value.removesuffix("+00:00") + "Z"
    return value


def test_a_client_generated_from_the_served_schema_drives_the_server(server, tmp_path):
    tenant = ready_tenant(slug="generated")
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    key = ServerApiKeyFactory(tenant=tenant, scopes=[*ALL_SERVER_SCOPES, "server:reports:read"])
    client_package = _generate(server, tmp_path)
    modules = sys.modules.copy()
    try:
        _drive(client_package, server, tenant, key.secret)
    finally:
        for name in set(sys.modules) - set(modules):
            if name.startswith(PACKAGE):
                del sys.modules[name]


def _drive(package, url: str, tenant, secret: str) -> None:
    server_api = package.AuthenticatedClient(base_url=url, token=secret, raise_on_unexpected_status=True)
    upsert = _module("api.server_api.upsert_contact")
    contact_input = _module("models").ContactInputRequest

    body = contact_input(name="Ada Lovelace", phone="+14155550100", email="ada@example.com")
    contact_id = _parsed(upsert.sync_detailed(client=server_api, body=body), 200).data.contact.id
    listed = _parsed(_module("api.server_api.list_contacts").sync_detailed(client=server_api, search="ada"), 200)
    assert [c.id for c in listed.data.contacts] == [contact_id]
    again = contact_input(name="Ada King", phone="+1 415 555 0100", company="Analytical Engines")
    updated = _parsed(upsert.sync_detailed(client=server_api, body=again), 200).data.contact
    assert (updated.id, updated.name, updated.company) == (contact_id, "Ada King", "Analytical Engines")

    visitor_start = package.AuthenticatedClient(
        base_url=url,
        token=tenant.slug,
        prefix="",
        auth_header_name="X-Ringnity-Tenant",
        headers={"Origin": ORIGIN},
        raise_on_unexpected_status=True,
    )
    session = _parsed(_module("api.chat.create_visitor_chat_session").sync_detailed(client=visitor_start), 201)
    visitor = package.AuthenticatedClient(
        base_url=url,
        token=session.data.session_token,
        prefix="",
        auth_header_name="X-Ringnity-Chat-Session",
        headers={"Origin": ORIGIN},
        raise_on_unexpected_status=True,
    )
    conversation_input = _module("models").VisitorConversationInputRequest
    started = _module("api.chat.create_visitor_conversation").sync_detailed(
        client=visitor, body=conversation_input(subject="Where is my order?")
    )
    conversation = _parsed(started, 201).data.conversation
    assert (conversation.subject, conversation.conversation_id[:4]) == ("Where is my order?", "cnv_")

    period = _module("models").GetServerReportSummaryPeriod("7days")
    summary = _module("api.server_api.get_server_report_summary").sync_detailed(client=server_api, period=period)
    assert _parsed(summary, 200).data.summary.chat.total_conversations >= 1
