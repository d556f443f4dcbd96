"""Digests of high-entropy secrets and their constant-time comparison.

SHA-256 (not a password hash) is right for API keys and one-time tokens: they carry >= 190 bits
of randomness, so there is nothing to brute-force, and a lookup by digest must be fast.
"""

import hashlib
import hmac


def secret_digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret or token (API keys, entry and push tokens): a lookup key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def digests_match(stored_digest: str, secret: str) -> bool:
    return hmac.compare_digest(stored_digest, secret_digest(secret))
