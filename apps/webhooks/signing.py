"""Standard Webhooks secrets and signatures, and the encryption of secrets at rest.

* A secret is ``whsec_`` + standard base64 of at least 32 random bytes (we generate exactly 32);
  the HMAC key is the base64-decoded part, as every Standard Webhooks library expects.
* ``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``; several
  signatures (a secret change's 24-hour overlap) are separated by one space.
* We need the plaintext to sign, so secrets are stored encrypted with Fernet under a key derived
  (HKDF-SHA256) from ``SECRET_KEY``; keys in ``SECRET_KEY_FALLBACKS`` still decrypt, so the Django
  key can be rotated the documented way (keep the old one as a fallback until secrets are changed).
  Secrets are never logged and never shown after create or an explicit change; reads show a preview.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.fernet import InvalidToken

from ringnity.api.secrets import Sealer

PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_SECRET_BYTES = 64
# A random 32-byte key has ~30 distinct byte values; fewer than this means a made-up key ("aaaa...").
MIN_DISTINCT_BYTES = 16


def secret_generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key_bytes(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (raises ValueError when it is not one)."""
    if not isinstance(secret, str) or not secret.startswith(PREFIX):
        raise ValueError("must start with whsec_")
    try:
        return base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be whsec_ followed by standard base64") from exc


def secret_problems(secret: str) -> list[str]:
    """Why a customer-given secret is not acceptable (empty list when it is)."""
    try:
        key = secret_key_bytes(secret)
    except ValueError as exc:
        return [f"secret: {exc}."]
    if not SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        return [f"secret: must encode {SECRET_BYTES} to {MAX_SECRET_BYTES} bytes (got {len(key)})."]
    if len(set(key)) < MIN_DISTINCT_BYTES:
        return ["secret: too weak; use 32 random bytes (or omit it and one is generated)."]
    return []


def secret_preview(secret: str) -> str:
    """``whsec_…AbCd``: enough to tell two secrets apart, useless to an attacker (24 of 256+ bits)."""
    return f"{PREFIX}…{secret[len(PREFIX) :].rstrip('=')[-4:]}"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key_bytes(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(signing_secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in signing_secrets)


_SEALER = Sealer(salt=b"ringnity-webhooks", info=b"webhook-secret-at-rest")


def secret_encrypt(secret: str) -> str:
    return _SEALER.seal(secret)


def secret_decrypt(token: str) -> str:
    try:
        return _SEALER.open(token)
    except InvalidToken as exc:
        raise ValueError("the webhook secret cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS") from exc
