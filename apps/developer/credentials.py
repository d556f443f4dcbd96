"""Server API secrets: ``rn_sk_<environment>_<random>``, stored as digests (``ringnity.api.secrets``)."""

import secrets

SECRET_PREFIX = "rn_sk_"  # noqa: S105 - a prefix, not a secret


def server_secret_generate(environment: str) -> str:
    """``rn_sk_<env>_<43 URL-safe characters>`` (32 random bytes)."""
    return f"{SECRET_PREFIX}{environment}_{secrets.token_urlsafe(32)}"
