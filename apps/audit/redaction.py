"""What an audit row may never hold: a secret, a digest of one, a token or a password.

A value is dropped when its key names a credential (``secret``, ``digest``, ``token``, ``password``,
``hash``, ``private``) or when the value itself looks like one (a Server API or webhook secret, a
hex digest). The row then says ``"[redacted]"`` where the value was, so a reader sees it changed.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(r"secret|digest|token|password|passwd|hash|private|credential_value", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"rn_sk_|whsec_|^[0-9a-f]{40,}$|^pbkdf2_|^argon2|^bcrypt", re.IGNORECASE)


def redact(value, *, key: str = ""):
    if key and _SECRET_KEY.search(key):
        return REDACTED if value not in (None, "", [], {}) else value
    if isinstance(value, dict):
        return {str(k): redact(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str) and _SECRET_VALUE.search(value):
        return REDACTED
    return value
