"""Production fails closed: DEBUG is off unless set, and then the process needs its real services.

Each probe starts a fresh interpreter on ``ringnity.settings`` (the production module, not the
test settings) with exactly the environment under test.
"""

import http.client
import json
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
from django.db import connection

from ringnity.testing.ci import require_postgresql
from ringnity.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_ENV = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "BEHIND_TLS_PROXY",
    "DB_CONN_MAX_AGE",
    "ALLOWED_HOSTS",
    "OIDC_RSA_PRIVATE_KEY",
    "OIDC_RSA_PREVIOUS_KEYS",
    "RINGNITY_PUBLIC_URL",
}
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://ringnity@127.0.0.1:5432/ringnity",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _run(args: list[str], env: dict, tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV and k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "ringnity.settings", **env},
    )


def _settings(env: dict, tmp_path, argv: tuple[str, ...] = ()) -> dict:
    """The settings a process started with ``env`` (and ``sys.argv[1:] == argv``) ends up with."""
    code = (
        f"import sys; sys.argv[1:] = {list(argv)!r}\n"
        "import json, django; django.setup(); from django.conf import settings as s\n"
        "db = s.DATABASES['default']\n"
        "print(json.dumps({'DEBUG': s.DEBUG, 'SECURE_SSL_REDIRECT': s.SECURE_SSL_REDIRECT,"
        " 'SECURE_HSTS_SECONDS': s.SECURE_HSTS_SECONDS, 'SECURE_HSTS_INCLUDE_SUBDOMAINS':"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'SECURE_HSTS_PRELOAD': s.SECURE_HSTS_PRELOAD,"
        " 'SESSION_COOKIE_SECURE': s.SESSION_COOKIE_SECURE, 'CSRF_COOKIE_SECURE': s.CSRF_COOKIE_SECURE,"
        " 'SECURE_PROXY_SSL_HEADER': s.SECURE_PROXY_SSL_HEADER, 'CONN_MAX_AGE': db['CONN_MAX_AGE'],"
        " 'CONN_HEALTH_CHECKS': db['CONN_HEALTH_CHECKS'], 'HASHER': s.PASSWORD_HASHERS[0],"
        " 'DISABLE_SERVER_SIDE_CURSORS': db.get('DISABLE_SERVER_SIDE_CURSORS', False)}))"
    )
    result = _run(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_no_environment_is_production_and_refuses_to_start_naming_every_missing_variable(tmp_path):
    result = _run(["manage.py", "check"], {}, tmp_path)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG=true"):
        assert name in last, last


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_names_the_one_missing_variable(tmp_path, missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}
    result = _run(["manage.py", "check"], env, tmp_path)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert f"{missing} is not set" in last
    assert all(name not in last for name in PRODUCTION if name != missing), last


def test_production_defaults_are_the_secure_ones(tmp_path):
    assert _settings(PRODUCTION, tmp_path) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        # X-Forwarded-Proto is a client-controlled header unless a TLS proxy is declared.
        "SECURE_PROXY_SSL_HEADER": None,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "HASHER": "django.contrib.auth.hashers.Argon2PasswordHasher",
        "DISABLE_SERVER_SIDE_CURSORS": False,
    }


def test_security_settings_come_from_the_environment(tmp_path):
    env = {
        **PRODUCTION,
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "600",
        "SECURE_HSTS_PRELOAD": "false",
        "BEHIND_TLS_PROXY": "true",
        "DB_CONN_MAX_AGE": "300",
    }
    got = _settings(env, tmp_path)
    assert got["SECURE_SSL_REDIRECT"] is False
    assert got["SECURE_HSTS_SECONDS"] == 600
    assert got["SECURE_HSTS_PRELOAD"] is False
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["CONN_MAX_AGE"] == 300


def test_debug_relaxes_https_for_local_development(tmp_path):
    got = _settings({"DEBUG": "true"}, tmp_path)
    assert got["DEBUG"] is True
    assert (got["SECURE_SSL_REDIRECT"], got["SECURE_HSTS_SECONDS"], got["SESSION_COOKIE_SECURE"]) == (False, 0, False)


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    """Production as the README's table sets it, the OpenID Connect key and public https URL included."""
    env = {**PRODUCTION, "OIDC_RSA_PRIVATE_KEY": _rsa_pem(), "RINGNITY_PUBLIC_URL": "https://api.ringnity.example"}
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    # The one line Django always prints; any warning would be listed above it.
    assert result.stdout.strip().startswith("System check identified no issues"), result.stdout


@pytest.mark.parametrize("command", ["runserver", "rundemo"])
def test_the_dev_server_never_keeps_connections(tmp_path, command):
    """Its per-request threads never reuse a connection, so persisting one only leaks it."""
    got = _settings({**PRODUCTION, "DB_CONN_MAX_AGE": "60"}, tmp_path, argv=(command, "127.0.0.1:0"))
    assert (got["CONN_MAX_AGE"], got["CONN_HEALTH_CHECKS"]) == (0, True)


def test_server_side_cursors_can_be_switched_off_for_pgbouncer(tmp_path):
    assert _settings(PRODUCTION, tmp_path)["DISABLE_SERVER_SIDE_CURSORS"] is False
    behind_pgbouncer = _settings({**PRODUCTION, "DB_DISABLE_SERVER_SIDE_CURSORS": "true"}, tmp_path)
    assert behind_pgbouncer["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_the_suite_hashes_with_cheap_argon2_and_production_with_the_default(tmp_path):
    assert settings.PASSWORD_HASHERS[0] == "ringnity.testing.hashers.FastArgon2PasswordHasher"
    assert make_password("a-long-passphrase").startswith("argon2$")
    assert get_hasher().memory_cost == 8
    assert _settings(PRODUCTION, tmp_path)["HASHER"] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def _get(port: int, path: str, headers: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        return conn.getresponse().status
    finally:
        conn.close()


def _connections_to(dbname: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [dbname])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_dev_server_on_postgresql_closes_each_request_connection(tmp_path):
    """40 parallel requests to ``runserver`` leave no PostgreSQL connection behind."""
    require_postgresql("the dev-server connection test needs PostgreSQL (DATABASE_URL)")
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = free_port()
    env = {"DEBUG": "true", "DATABASE_URL": url, "REDIS_URL": os.environ.get("REDIS_URL", "")}
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**clean, "DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "ringnity.settings", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(port, "/api/sdk/health")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        before = _connections_to(db["NAME"])
        # An unknown Server API key is looked up in the database: one query per request.
        headers = {"Authorization": "Bearer rn_sk_test_" + "x" * 40}
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: _get(port, "/api/server/contacts", headers), range(40)))
        assert set(statuses) == {401}, statuses
        time.sleep(0.5)
        assert _connections_to(db["NAME"]) <= before
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_broker_key_prefix_reaches_celery(tmp_path):
    """Deployments or test runs sharing one Redis keep their queues apart (kombu's global_keyprefix)."""
    code = "import django; django.setup(); from ringnity.celery import app; print(app.conf.broker_transport_options)"
    result = _run(["-c", code], {**PRODUCTION, "CELERY_BROKER_KEY_PREFIX": "run-7:"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'global_keyprefix': 'run-7:'}"
