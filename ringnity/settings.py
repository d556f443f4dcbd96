"""Ringnity settings: the one module that reads the environment.

It fails closed: without ``DEBUG=true`` it is production, and start-up refuses to go on
without ``SECRET_KEY``, ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (django-redis cache,
throttles, session revocation and the Celery broker, shared by every worker), naming what is
missing. ``make run`` / ``make test`` set ``DEBUG=true`` themselves; with DEBUG on and nothing
else set the project runs in its *embedded default*: a SQLite file under ``DATA_DIR``, the
local-memory cache, Celery in eager mode and files on local disk.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
# Production needs these; one worker's memory (locmem cache) cannot hold session revocation or
# throttles for several gunicorn workers, and an embedded SQLite file is not a production database.
PRODUCTION_REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
if not DEBUG and (missing := [name for name in PRODUCTION_REQUIRED if not env_str(name)]):
    raise ImproperlyConfigured(
        f"DEBUG is off (production) and {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
        f"set the {', '.join(missing)} environment variable{'s' if len(missing) > 1 else ''}, "
        "or DEBUG=true for local development (make run and make test do)."
    )
DATA_DIR = Path(env_str("DATA_DIR") or BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env_str("SECRET_KEY") or "insecure-embedded-default-key-only-for-local-development"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", ".localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Workspace dashboards live on `{slug}.<RINGNITY_BASE_DOMAIN>`.
RINGNITY_BASE_DOMAIN = env_str("RINGNITY_BASE_DOMAIN", "localhost")
RINGNITY_DASHBOARD_URL = env_str("RINGNITY_DASHBOARD_URL") or "http://127.0.0.1:8192"
# Unset, the dev server (manage.py rundemo, i.e. make run) replaces it with the address it serves.
RINGNITY_DASHBOARD_URL_FROM_ENVIRONMENT = bool(env_str("RINGNITY_DASHBOARD_URL"))
# Local development has no per-tenant host; the X-Ringnity-Tenant header names the workspace instead.
RINGNITY_ALLOW_TENANT_HEADER = env_bool("RINGNITY_ALLOW_TENANT_HEADER", default=DEBUG)

INSTALLED_APPS = [
    "apps.platform.console_config.ConsoleAdminConfig",  # django.contrib.admin with the console's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "channels",
    # Lowest layer first; an app imports only from the ones above it in this list (import-linter).
    "apps.audit",
    "apps.tenants",
    "apps.idempotency",
    "apps.plans",
    "apps.billing",
    "apps.identity",
    "apps.developer",
    "apps.runtime",
    "apps.webhooks",
    "apps.chat",
    "apps.calls",
    "apps.oauth",
    "apps.reports",
    "apps.ai",
    "apps.realtime",
    "apps.inbox",
    "apps.platform",
    "apps.widget",
]

MIDDLEWARE = [
    "ringnity.api.http_middleware.HeadWithoutBodyMiddleware",
    "ringnity.api.middleware.RequestIdMiddleware",
    "ringnity.ops.middleware.RequestMetricsMiddleware",
    "ringnity.api.http_middleware.ChunkedBodyRefusedMiddleware",
    "ringnity.api.http_middleware.NulInPathRefusedMiddleware",
    "ringnity.api.http_middleware.PrivateApiResponsesMiddleware",
    "ringnity.api.http_middleware.RateLimitHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ringnity.urls"
WSGI_APPLICATION = "ringnity.wsgi.application"
ASGI_APPLICATION = "ringnity.asgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Persistent connections only where a process reuses them (gunicorn and Celery workers). The dev
# server answers each request in a new thread whose connection would stay open, unused, until
# PostgreSQL refuses new clients; there every request closes its connection.
RUNNING_DEV_SERVER = len(sys.argv) > 1 and sys.argv[1] in {"runserver", "rundemo"}
DB_CONN_MAX_AGE = 0 if RUNNING_DEV_SERVER else env_int("DB_CONN_MAX_AGE", 60)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True)}
    # Behind PgBouncer in transaction mode a server-side cursor cannot outlive its transaction's connection.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, rate limits, locks ---------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "ringnity")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A Redis that stops answering fails the request (and readiness) instead of hanging it.
                "SOCKET_CONNECT_TIMEOUT": 5,
                "SOCKET_TIMEOUT": 5,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ringnity-embedded",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

# --- Realtime gateway (Django Channels) ------------------------------------
# The channel layer carries fan-out between processes: Redis when there is one, else in-process
# (the embedded default has one process). It is lossy by design (capacity, expiry); the gateway
# repairs any gap from the event log (apps.realtime.feed), so nothing here decides correctness.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{CACHE_KEY_PREFIX}:rt", "capacity": 1000, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
REALTIME_AUTH_TIMEOUT_SECONDS = env_int("REALTIME_AUTH_TIMEOUT_SECONDS", 5)
REALTIME_PING_SECONDS = env_int("REALTIME_PING_SECONDS", 25)
# How often each gateway process re-checks the credentials of its sockets (revocation closes them).
REALTIME_REVALIDATE_SECONDS = env_int("REALTIME_REVALIDATE_SECONDS", 3)
# Frames waiting for one slow socket before it is closed with 4009 (resync required).
REALTIME_SEND_QUEUE_LIMIT = env_int("REALTIME_SEND_QUEUE_LIMIT", 1000)
REALTIME_MAX_CONNECTIONS_PER_IP = env_int("REALTIME_MAX_CONNECTIONS_PER_IP", 200)
# Durable events are kept this long for resume (and webhook history); older cursors get resync_required.
EVENTS_RETENTION_DAYS = env_int("EVENTS_RETENTION_DAYS", 7)

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
# Several deployments (or test runs) on one Redis: every broker key (queues, unacked, bindings) gets this prefix.
CELERY_BROKER_KEY_PREFIX = env_str("CELERY_BROKER_KEY_PREFIX")
if CELERY_BROKER_KEY_PREFIX:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": CELERY_BROKER_KEY_PREFIX}
# Without a broker the embedded default runs tasks in-process, at enqueue time.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not bool(REDIS_URL or env_str("CELERY_BROKER_URL"))
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers keep the project's logging (JSON lines with the request id) instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Webhook deliveries have their own queue, so slow receivers never delay other work.
CELERY_TASK_ROUTES = {"webhooks.*": {"queue": "webhooks"}}
# Development and tests only: lets webhook endpoints use http:// and loopback addresses.
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", default=False)
# The whole of one webhook attempt (DNS, connect, TLS, send, read) must fit in this.
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)
# Finished webhook deliveries (and their attempts) are kept this long, then pruned daily.
WEBHOOKS_RETENTION_DAYS = env_int("WEBHOOKS_RETENTION_DAYS", 30)
CELERY_BEAT_SCHEDULE = {
    "prune-session-records": {"task": "identity.prune_session_records", "schedule": 24 * 60 * 60},
    "webhooks-enqueue-due": {"task": "webhooks.enqueue_due", "schedule": 60},
    "webhooks-prune": {"task": "webhooks.prune", "schedule": 24 * 60 * 60},
    "idempotency-purge": {"task": "idempotency.purge", "schedule": 60 * 60},
    # Events whose process died between commit and numbering (apps.webhooks.events).
    "webhooks-sequence-events": {"task": "webhooks.sequence_events", "schedule": 60},
    "prune-chat-sessions": {"task": "chat.prune_chat_sessions", "schedule": 24 * 60 * 60},
    # Past days' report rollups (apps.reports.tasks.ROLLUP_INTERVAL_SECONDS; today is computed live).
    "reports-refresh-rollups": {"task": "reports.refresh_rollups", "schedule": 15 * 60},
    # AI holds whose call died between the hold and its settle (apps.billing.hold_services).
    "billing-release-expired-holds": {"task": "billing.release_expired_holds", "schedule": 60},
    # AI voice sessions past their cap whose countdown task was lost (apps.ai.voice_services).
    "ai-end-overdue-voice-sessions": {"task": "ai.end_overdue_voice_sessions", "schedule": 60},
}

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = ["apps.tenants.backends.PlatformOperatorBackend"]
#: The dashboard session scheme, for apps that may not import ``apps.identity`` (developer settings).
RINGNITY_DASHBOARD_AUTHENTICATION = "apps.identity.authentication.DashboardJWTAuthentication"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The admin logs operators in by e-mail; e-mail is unique per login population
# (platform operators, tenant owners) through partial constraints, not globally.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "/admin/login/"
# Sign in with Google for tenant owners: the OAuth client id (the ID token's `aud`) and the
# key set the ID token's RS256 signature is checked against. Without a client id it is off.
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_JWKS_URL = env_str("GOOGLE_JWKS_URL", "https://www.googleapis.com/oauth2/v3/certs")


# --- Login with Ringnity (OpenID Connect provider on django-oauth-toolkit) ------
# Issuer and every endpoint URL of the discovery document, and call-link URLs, derive from this one
# public URL. Unset, the dev server (manage.py rundemo, i.e. make run PORT=...) replaces it with the
# address it actually serves once it is bound; other servers keep the default.
RINGNITY_PUBLIC_URL = (env_str("RINGNITY_PUBLIC_URL") or "http://127.0.0.1:8192").rstrip("/")
RINGNITY_PUBLIC_URL_FROM_ENVIRONMENT = bool(env_str("RINGNITY_PUBLIC_URL"))


def _embedded_oidc_key(path: Path) -> str:
    """The embedded default's ID-token signing key: generated once into DATA_DIR (0600), then reused."""
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_name(f"{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        try:  # link, not rename: of two first starts racing, exactly one key wins and both read it
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text()


# RS256 private key (PEM) from the environment in production; OIDC_RSA_PREVIOUS_KEYS holds the PEMs of
# earlier keys whose public halves stay in the JWKS during a rotation.
OIDC_RSA_KEY_FROM_ENVIRONMENT = bool(env_str("OIDC_RSA_PRIVATE_KEY"))
OIDC_RSA_PRIVATE_KEY = env_str("OIDC_RSA_PRIVATE_KEY") or _embedded_oidc_key(DATA_DIR / "oidc-rsa-key.pem")
OIDC_RSA_PREVIOUS_KEYS = env_str("OIDC_RSA_PREVIOUS_KEYS")
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth.OAuthClient"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth.AuthorizationCode"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "OIDC_ISS_ENDPOINT": RINGNITY_PUBLIC_URL,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_SERVER_CLASS": "apps.oauth.server.RingnityOAuthServer",
    "OAUTH2_VALIDATOR_CLASS": "apps.oauth.validators.RingnityOAuth2Validator",
    "SCOPES_BACKEND_CLASS": "apps.oauth.scopes.RingnityScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 900,
    "ID_TOKEN_EXPIRE_SECONDS": 900,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 60 * 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "PKCE_REQUIRED": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
}

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or DATA_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security ---------------------------------------------------------------
# Secure by default in production; each can be relaxed from the environment (e.g. a proxy that
# redirects to HTTPS itself). DEBUG relaxes them for http://127.0.0.1.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", [])
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# X-Forwarded-Proto is trusted only behind a TLS proxy that sets it (and drops a client's own).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
# Request rate limits where a tenant's plan sets no number (and for operators and anonymous callers):
# requests a minute per credential, and per client address (``ringnity.api.throttling``).
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)
API_RATE_LIMIT_PER_IP_PER_MINUTE = env_int("API_RATE_LIMIT_PER_IP_PER_MINUTE", 1200)
# How many reverse proxies append to X-Forwarded-For in front of the app (0: trust REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- REST framework ---------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["ringnity.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ringnity.api.parsers.SafeJSONParser"],
    # Each view names the authentication classes of its security scheme(s).
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["ringnity.api.permissions.PrincipalPermission"],
    # Every API view: per-credential and per-address budgets with RateLimit-* headers (README, API).
    "DEFAULT_THROTTLE_CLASSES": ["ringnity.api.throttling.RequestRateThrottle"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "ringnity.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "ringnity.api.schema.EnvelopeAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ringnity Developer Platform API",
    "DESCRIPTION": (
        "The schema generated from the running code. The contract lives in docs/contract/. Realtime (WebSocket "
        "`/realtime/v1`: live messages, resume from a cursor, typing, presence, call signalling, AI streaming) is "
        "documented separately as AsyncAPI 3.0: [ringnity-realtime.asyncapi.yaml](/api/docs/realtime.asyncapi.yaml)."
    ),
    "VERSION": "0.2.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ErrorCode": "ringnity.api.errors.ErrorCode"},
    "POSTPROCESSING_HOOKS": [
        "ringnity.api.schema_docs.name_enums_from_contract",
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ringnity.api.schema_docs.publish_named_enums",
        "ringnity.api.schema.add_error_envelope",
        "ringnity.api.schema.add_response_headers",
        "ringnity.api.schema_docs.apply_contract_docs",
    ],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY") or SECRET_KEY,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- Contacts ---------------------------------------------------------------
# The region (ISO 3166 country code, e.g. "US") a phone number without its country code is read in,
# for tenants whose own phone number names none (ringnity/api/phones.py). Unset: numbers need "+<code>".
RINGNITY_PHONE_REGION = env_str("RINGNITY_PHONE_REGION").upper()
if RINGNITY_PHONE_REGION and not (len(RINGNITY_PHONE_REGION) == 2 and RINGNITY_PHONE_REGION.isalpha()):
    raise ImproperlyConfigured(f"RINGNITY_PHONE_REGION must be a country code like US, got {RINGNITY_PHONE_REGION!r}")

# --- Live chat abuse budgets (README "Live chat"); windows are 10 minutes, per tenant ---
# New anonymous visitors per client address: tenant-header starts and /sdk/session without a context token.
CHAT_ANONYMOUS_STARTS_PER_IP = env_int("CHAT_ANONYMOUS_STARTS_PER_IP", 60)
# Attachments of one visitor (declared or uploaded) and the bytes it uploads, per window.
CHAT_UPLOADS_PER_VISITOR = env_int("CHAT_UPLOADS_PER_VISITOR", 10)
CHAT_UPLOAD_MB_PER_VISITOR = env_int("CHAT_UPLOAD_MB_PER_VISITOR", 100)
# What one conversation may hold in all: attachments and stored megabytes.
CHAT_UPLOADS_PER_CONVERSATION = env_int("CHAT_UPLOADS_PER_CONVERSATION", 50)
CHAT_UPLOAD_MB_PER_CONVERSATION = env_int("CHAT_UPLOAD_MB_PER_CONVERSATION", 250)

# --- AI provider (OpenAI-compatible HTTP API); unset = the built-in extractive provider ---
AI_PROVIDER_BASE_URL = env_str("AI_PROVIDER_BASE_URL")
AI_PROVIDER_API_KEY = env_str("AI_PROVIDER_API_KEY")
AI_PROVIDER_TIMEOUT_SECONDS = env_int("AI_PROVIDER_TIMEOUT_SECONDS", 30)
# The longest AI voice call when the plan's ai_voice feature config sets no maxCallMinutes.
AI_VOICE_MAX_CALL_MINUTES = env_int("AI_VOICE_MAX_CALL_MINUTES", 30)
# Knowledge base: PostgreSQL text-search configuration, upload and URL-ingest limits.
AI_KNOWLEDGE_SEARCH_CONFIG = env_str("AI_KNOWLEDGE_SEARCH_CONFIG", "english")
AI_KNOWLEDGE_MAX_UPLOAD_BYTES = env_int("AI_KNOWLEDGE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
AI_INGEST_MAX_BYTES = env_int("AI_INGEST_MAX_BYTES", 2 * 1024 * 1024)
AI_INGEST_TIMEOUT_SECONDS = env_int("AI_INGEST_TIMEOUT_SECONDS", 10)
# Only for tests against a loopback server; production must never fetch loopback/private addresses.
AI_INGEST_ALLOW_LOOPBACK = env_bool("AI_INGEST_ALLOW_LOOPBACK", default=False)

# --- Operations: logs, health, metrics -------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# json: one JSON object per line (production default); plain: one readable line (DEBUG default).
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
# Bearer token for /api/health/ready and /metrics; unset, nobody may read them.
OPS_TOKEN = env_str("OPS_TOKEN")
# Each readiness check (and the metrics' broker read) gives up after this long.
HEALTH_CHECK_TIMEOUT_SECONDS = env_int("HEALTH_CHECK_TIMEOUT_SECONDS", 3)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ringnity.api.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [request_id=%(request_id)s] %(message)s"},
        "json": {"()": "ringnity.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR", "handlers": ["console"], "propagate": False},
        # Django's own DEBUG console handler on "django" would print every line a second time
        # (e.g. the reloader's "Watching for file changes"); the root handler prints it once.
        "django": {"level": LOG_LEVEL, "propagate": True},
        # One line per request (ringnity.ops.metrics); runserver prints its own, so only in production.
        "ringnity.access": {"level": "WARNING" if DEBUG else LOG_LEVEL},
    },
}
