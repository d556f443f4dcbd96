"""The production process set, end to end, over HTTP: ``make serve`` against its own PostgreSQL database.

Exactly the Procfile's processes (gunicorn, the Celery default and webhooks workers, beat), no test
client. One flow: a tenant and an agent made by command, the owner's login, a Server API key, a
contact, a visitor's chat, the agent's reply, every event delivered to a loopback receiver and
verified with ``standardwebhooks``, the report summary, and Login with Ringnity's code flow with
authlib. Then writes run from several threads while the set gets SIGTERM: every write that was
answered 2xx is in the database, and after a restart every recorded webhook delivery arrives.

PostgreSQL and Redis only (fails under CI without them, skips otherwise). The Celery broker is a
Redis database of its own (``E2E_BROKER_DB``, 15) under a key prefix of its own
(``CELERY_BROKER_KEY_PREFIX``), so neither the suite's queues nor another run's are consumed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from standardwebhooks import Webhook

from bench.harness import Served, throwaway_postgres
from ringnity.testing.ci import missing

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "e2e-" + secrets.token_urlsafe(12)
OWNER = "owner@e2e.example"
SCOPES = [
    "server:contacts:read",
    "server:contacts:write",
    "server:webhook:read",
    "server:webhook:write",
    "server:reports:read",
    "server:agent-token:write",
]
pytestmark = [pytest.mark.e2e]


class Receiver:
    """A loopback webhook receiver: 200 to every POST, keeps the raw body and headers."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verified(self, secret: str) -> dict[str, dict]:
        """``{webhook-id: body}`` of every receipt; raises if any signature does not verify."""
        webhook = Webhook(secret)
        with self.lock:
            return {headers["webhook-id"]: webhook.verify(body, headers) for headers, body in self.received}


class _FormReader(HTMLParser):
    """The hidden inputs of a server-rendered form (the CSRF token)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"]] = values.get("value") or ""


def _hidden_fields(html: str) -> dict:
    reader = _FormReader()
    reader.feed(html)
    return reader.fields


def _manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


#: Read back from the database, with the models: which accepted writes exist, and the deliveries.
CHECK = """
import json, os
from apps.chat.models import Contact, Message
from apps.webhooks.models import WebhookDelivery
accepted = json.loads(open(os.environ["E2E_ACCEPTED"]).read())
contacts = set(Contact.objects.filter(external_id__in=accepted["contacts"]).values_list("external_id", flat=True))
messages = set(Message.objects.filter(public_id__in=accepted["messages"]).values_list("public_id", flat=True))
deliveries = dict(WebhookDelivery.objects.values_list("public_id", "status"))
print(json.dumps({
    "missing_contacts": sorted(set(accepted["contacts"]) - contacts),
    "missing_messages": sorted(set(accepted["messages"]) - messages),
    "deliveries": deliveries,
}))
"""


def _require_services():
    vendor_ok = settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and settings.REDIS_URL
    if vendor_ok:
        return
    reason = "the production set needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)"
    missing(reason)


@pytest.fixture
def production(tmp_path):
    _require_services()
    db = settings.DATABASES["default"]
    server_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    database_url, drop = throwaway_postgres(server_url)
    redis_parts = urlsplit(settings.REDIS_URL)
    broker = urlunsplit(redis_parts._replace(path=f"/{os.environ.get('E2E_BROKER_DB', '15')}"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR"}},
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": broker,
        "CELERY_BROKER_KEY_PREFIX": f"e2e-{uuid.uuid4().hex[:8]}:",  # runs sharing the Redis never share queues
        "CACHE_KEY_PREFIX": f"e2e-{uuid.uuid4().hex[:8]}",
        "DATA_DIR": str(tmp_path),
        "OPS_TOKEN": secrets.token_urlsafe(24),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "WEBHOOKS_ALLOW_LOOPBACK": "true",
        "LOG_LEVEL": "INFO",
        "SHUTDOWN_GRACE_SECONDS": "20",
        "WEB_CONCURRENCY": "2",
        "CELERY_WORKER_CONCURRENCY": "1",
        "WEBHOOKS_WORKER_CONCURRENCY": "2",
        "CHAT_ANONYMOUS_STARTS_PER_IP": "1000",
    }
    env.pop("DEBUG", None)
    try:
        yield env
    finally:
        drop()


def _log_lines(server: Served) -> list[dict]:
    """The JSON log lines of every process (honcho prefixes each with time and process name)."""
    lines = []
    for raw in server.log.read_text().splitlines():
        _, _, rest = raw.partition(" | ")
        if rest.startswith("{"):
            try:
                lines.append(json.loads(rest))
            except ValueError:
                continue
    return lines


def test_the_production_set_serves_one_full_flow_and_loses_nothing_on_sigterm(production, tmp_path):
    env = production
    receiver = Receiver()
    with Served(env) as server:
        api = server.url + "/api"
        # Ready for traffic: database, migrations, Redis, broker (readiness needs the ops token).
        ready = requests.get(f"{api}/health/ready", headers={"Authorization": f"Bearer {env['OPS_TOKEN']}"}, timeout=30)
        assert ready.status_code == 200, ready.text

        # A tenant and an agent, by command (the same database the processes serve).
        slug = f"e2e-{uuid.uuid4().hex[:6]}"
        _manage(env, "seed_plans")
        _manage(
            env,
            "create_tenant",
            "--slug",
            slug,
            "--name",
            "E2E",
            "--owner-email",
            OWNER,
            "--owner-password",
            PASSWORD,
            "--plan",
            "enterprise",
        )
        _manage(
            env, "create_staff", "--tenant", slug, "--username", "agent1", "--password", PASSWORD, "--role", "agent"
        )

        # The owner signs in and makes a Server API key.
        login = requests.post(f"{api}/auth/owner-login", json={"email": OWNER, "password": PASSWORD}, timeout=30)
        assert login.status_code == 200, login.text
        owner = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}
        created = requests.post(
            f"{api}/sdk/developer/server-api-credentials",
            json={"name": "e2e", "scopes": SCOPES},
            headers=owner,
            timeout=30,
        )
        assert created.status_code in (200, 201), created.text
        key = {"Authorization": f"Bearer {created.json()['data']['secret']}"}

        # Webhooks for every event go to the loopback receiver.
        hook = requests.post(
            f"{api}/server/webhooks", json={"url": receiver.url, "events": ["*"]}, headers=key, timeout=30
        )
        assert hook.status_code in (200, 201), hook.text
        hook_secret = hook.json()["data"]["secret"]

        contact = requests.post(
            f"{api}/server/contacts",
            json={"name": "Ada Lovelace", "externalId": "crm-ada", "phone": "+14155550100"},
            headers=key,
            timeout=30,
        )
        assert contact.status_code == 200, contact.text

        # A visitor starts a chat and writes; the agent replies.
        visitor_start = requests.post(
            f"{api}/chat/visitor/conversations",
            json={"subject": "Help"},
            headers={"X-Ringnity-Tenant": slug},
            timeout=30,
        )
        assert visitor_start.status_code in (200, 201), visitor_start.text
        started = visitor_start.json()["data"]
        conversation_id = started["conversation"]["conversationId"]
        visitor = {"X-Ringnity-Chat-Session": started["sessionToken"]}
        request_id = f"e2e-{uuid.uuid4().hex[:12]}"
        sent = requests.post(
            f"{api}/chat/visitor/conversations/{conversation_id}/messages",
            json={"body": "Where is my order?"},
            headers={**visitor, "X-Request-Id": request_id},
            timeout=30,
        )
        assert sent.status_code in (200, 201), sent.text
        assert sent.headers["X-Request-Id"] == request_id
        agent_token = requests.post(
            f"{api}/server/sdk-token/agent", json={"username": "agent1"}, headers=key, timeout=30
        )
        assert agent_token.status_code in (200, 201), agent_token.text
        agent = {"X-Ringnity-SDK-Session": agent_token.json()["data"]["token"]}
        reply = requests.post(
            f"{api}/agent-sdk/conversations/{conversation_id}/messages",
            json={"body": "On its way."},
            headers=agent,
            timeout=30,
        )
        assert reply.status_code in (200, 201), reply.text

        # The report sees today's conversation and both messages.
        summary = requests.get(f"{api}/server/reports/summary", params={"period": "today"}, headers=key, timeout=60)
        assert summary.status_code == 200, summary.text
        chat = summary.json()["data"]["summary"]["chat"]
        assert chat["totalConversations"] == 1
        assert chat["totalMessages"] >= 2

        # Login with Ringnity: the authorization-code flow with PKCE, driven by authlib.
        redirect_uri = "http://127.0.0.1:9/callback"
        client = requests.post(
            f"{api}/sdk/developer/oauth-clients",
            json={
                "name": "E2E app",
                "type": "confidential",
                "redirectUris": [redirect_uri],
                "allowedScopes": ["openid", "profile", "email"],
            },
            headers=owner,
            timeout=30,
        )
        assert client.status_code in (200, 201), client.text
        client_data = client.json()["data"]
        oauth = OAuth2Session(
            client_data["oauthClient"]["clientId"],
            client_data["clientSecret"],
            scope="openid profile email",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )
        verifier = secrets.token_urlsafe(48)
        authorize_url, _state = oauth.create_authorization_url(f"{api}/oauth/authorize", code_verifier=verifier)
        browser = requests.Session()
        page = browser.get(authorize_url, timeout=30)
        assert page.status_code == 200, page.text[:500]
        signed_in = browser.post(
            authorize_url,
            data={**_hidden_fields(page.text), "signin": "owner", "email": OWNER, "password": PASSWORD},
            timeout=30,
        )
        assert signed_in.status_code == 200, signed_in.text[:500]  # the consent page, after the 303
        decision = browser.post(
            authorize_url, data={**_hidden_fields(signed_in.text), "allow": "1"}, allow_redirects=False, timeout=30
        )
        assert decision.status_code == 302, decision.text[:500]
        token = oauth.fetch_token(
            f"{api}/oauth/token", authorization_response=decision.headers["Location"], code_verifier=verifier
        )
        assert "id_token" in token
        userinfo = oauth.get(f"{api}/oauth/userinfo", timeout=30)
        assert userinfo.status_code == 200, userinfo.text
        assert userinfo.json()["email"] == OWNER

        # Every event so far reaches the receiver, signed (standardwebhooks verifies each).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            types = {body["type"] for body in receiver.verified(hook_secret).values()}
            if {"contact.created", "conversation.created", "message.created"} <= types:
                break
            time.sleep(0.5)
        received = receiver.verified(hook_secret)
        types = [body["type"] for body in received.values()]
        assert {"contact.created", "conversation.created", "message.created"} <= set(types), types
        assert types.count("message.created") == 2

        # The delivery task the visitor's message enqueued logged under that request's id.
        task_lines = [line for line in _log_lines(server) if line.get("logger") == "ringnity.tasks"]
        assert any(line["request_id"] == request_id and line["task"] == "webhooks.deliver" for line in task_lines), (
            task_lines[-10:]
        )

        # Writes from several threads, then SIGTERM mid-load.
        accepted: dict[str, list[str]] = {"contacts": [], "messages": []}
        visitors = []
        for index in range(3):
            response = requests.post(
                f"{api}/chat/visitor/conversations",
                json={"subject": f"Load {index}"},
                headers={"X-Ringnity-Tenant": slug},
                timeout=30,
            )
            data = response.json()["data"]
            visitors.append((data["conversation"]["conversationId"], data["sessionToken"]))
        stop = threading.Event()
        failures: list[str] = []

        def write(kind: str, index: int):
            session = requests.Session()
            for number in range(100_000):
                if stop.is_set():
                    return
                try:
                    if kind == "contact":
                        external = f"load-{index}-{number}"
                        answer = session.post(
                            f"{api}/server/contacts",
                            json={
                                "name": f"Load {number}",
                                "externalId": external,
                                "phone": f"+1415{2 + index}{number:06d}",
                            },
                            headers=key,
                            timeout=60,
                        )
                        if answer.status_code == 200:
                            accepted["contacts"].append(external)
                    else:
                        conversation, token_ = visitors[index]
                        answer = session.post(
                            f"{api}/chat/visitor/conversations/{conversation}/messages",
                            json={"body": f"load {number}"},
                            headers={"X-Ringnity-Chat-Session": token_},
                            timeout=60,
                        )
                        if answer.status_code in (200, 201):
                            accepted["messages"].append(answer.json()["data"]["message"]["messageId"])
                    if answer.status_code >= 500:
                        failures.append(f"{kind}: {answer.status_code} {answer.text[:200]}")
                except requests.RequestException:
                    return  # the server is going away: this write was never answered

        writers = [threading.Thread(target=write, args=(kind, i)) for kind in ("contact", "message") for i in range(3)]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 300
        while (len(accepted["contacts"]) < 20 or len(accepted["messages"]) < 20) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert failures == []
        assert len(accepted["contacts"]) >= 20, "the contact writes are refused"
        assert len(accepted["messages"]) >= 20, "the message writes are refused"
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=120)
        stop.set()
        for writer in writers:
            writer.join(timeout=120)
        output = server.log.read_text()
        assert "SIGTERM received" in output
        assert failures == []

    # Every answered write is stored.
    accepted_file = tmp_path / "accepted.json"
    accepted_file.write_text(json.dumps(accepted))
    check_env = {**env, "E2E_ACCEPTED": str(accepted_file)}
    stored = json.loads(_manage(check_env, "shell", "-c", CHECK).strip().splitlines()[-1])
    assert stored["missing_contacts"] == []
    assert stored["missing_messages"] == []

    # After a restart every delivery recorded with a committed event arrives, verified.
    with Served(env):
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            stored = json.loads(_manage(check_env, "shell", "-c", CHECK).strip().splitlines()[-1])
            if set(stored["deliveries"].values()) == {"delivered"}:
                break
            time.sleep(3)
    received = receiver.verified(hook_secret)
    assert set(stored["deliveries"].values()) == {"delivered"}, stored["deliveries"]
    assert set(stored["deliveries"]) <= set(received)
    assert len(stored["deliveries"]) >= len(accepted["contacts"]) + len(accepted["messages"])
    assert re.search(r"sending SIGTERM to web", output)
