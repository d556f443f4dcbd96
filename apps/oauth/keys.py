"""The RS256 keys of Login with Ringnity's ID tokens.

``OIDC_RSA_PRIVATE_KEY`` signs (django-oauth-toolkit reads it from ``OAUTH2_PROVIDER``; the
``kid`` it puts in each ID token header is the key's RFC 7638 thumbprint). During a rotation
``OIDC_RSA_PREVIOUS_KEYS`` holds the earlier keys as PEM blocks (private or public, one after
the other); only their public halves are published, so ID tokens signed before the rotation
still verify until they expire.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from django.conf import settings
from jwcrypto import jwk

_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.DOTALL)


@lru_cache(maxsize=4)
def _load(pem: str) -> jwk.JWK:
    """A PEM as set in the environment; ``\\n`` escapes (one-line env files) are read as newlines."""
    return jwk.JWK.from_pem(pem.strip().replace("\\n", "\n").encode())


def signing_key() -> jwk.JWK:
    return _load(settings.OIDC_RSA_PRIVATE_KEY)


def previous_keys() -> list[jwk.JWK]:
    return [_load(block) for block in _PEM_BLOCK.findall(settings.OIDC_RSA_PREVIOUS_KEYS or "")]


def public_jwk(key: jwk.JWK) -> dict:
    data = json.loads(key.export_public())
    return {"kty": data["kty"], "kid": key.thumbprint(), "use": "sig", "alg": "RS256", "n": data["n"], "e": data["e"]}


def jwks() -> dict:
    """The current key first, then the previous ones; a key listed twice is published once."""
    published, seen = [], set()
    for key in (signing_key(), *previous_keys()):
        entry = public_jwk(key)
        if entry["kid"] not in seen:
            seen.add(entry["kid"])
            published.append(entry)
    return {"keys": published}
