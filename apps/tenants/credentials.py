"""Server API secrets: generation, digest, constant-time check."""

import hashlib
import hmac
import secrets

SECRET_PREFIX = "rn_sk_"  # noqa: S105 - a prefix, not a secret


def server_secret_generate(environment: str) -> str:
    """``rn_sk_<env>_<43 URL-safe characters>`` (32 random bytes)."""
    return f"{SECRET_PREFIX}{environment}_{secrets.token_urlsafe(32)}"


def secret_digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret or token (API keys, entry and push tokens): a lookup key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def digests_match(stored_digest: str, secret: str) -> bool:
    return hmac.compare_digest(stored_digest, secret_digest(secret))
