"""Digests of high-entropy secrets and their constant-time comparison; encryption of what must be read back.

SHA-256 (not a password hash) is right for API keys and one-time tokens: they carry >= 190 bits
of randomness, so there is nothing to brute-force, and a lookup by digest must be fast.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def secret_digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret or token (API keys, entry and push tokens): a lookup key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def digests_match(stored_digest: str, secret: str) -> bool:
    return hmac.compare_digest(stored_digest, secret_digest(secret))


class Sealer:
    """Encryption at rest of what the server must read back (Fernet under a key derived with HKDF-SHA256 from
    ``SECRET_KEY``, one ``salt``/``info`` per purpose); keys in ``SECRET_KEY_FALLBACKS`` still open, so the
    Django key rotates the documented way."""

    def __init__(self, *, salt: bytes, info: bytes) -> None:
        self.salt = salt
        self.info = info
        self._ciphers: dict[tuple[str, ...], MultiFernet] = {}

    def _key(self, django_key: str) -> bytes:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=self.salt, info=self.info)
        return base64.urlsafe_b64encode(hkdf.derive(django_key.encode()))

    def _cipher(self) -> MultiFernet:
        keys = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", []))
        cipher = self._ciphers.get(keys)
        if cipher is None:  # keyed by the keys, so a changed SECRET_KEY (tests, rotation) gets a new cipher
            cipher = MultiFernet([Fernet(self._key(key)) for key in keys])
            self._ciphers = {keys: cipher}
        return cipher

    def seal(self, text: str) -> str:
        return self._cipher().encrypt(text.encode()).decode()

    def open(self, token: str) -> str:
        """The plaintext; ``InvalidToken`` when no current or fallback key opens it."""
        return self._cipher().decrypt(token.encode()).decode()
