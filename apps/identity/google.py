"""Google Identity ID-token verification (Sign in with Google).

The token's RS256 signature is checked against the keys published at
``settings.GOOGLE_JWKS_URL`` (Google's by default; tests serve their own on
loopback), then ``aud`` (= ``settings.GOOGLE_CLIENT_ID``), ``iss``, ``exp``/``iat``
and ``email_verified``. Nothing from the token is used before all of that passed.

The key set is fetched over the shared outbound transport (``ringnity.outbound``) within
``KEY_SET_TIMEOUT_SECONDS`` for the whole fetch (it happens inside a sign-in request), and cached.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache

import jwt
from django.conf import settings

from ringnity import outbound
from ringnity.api.errors import ApiError, ErrorCode

logger = logging.getLogger(__name__)

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
_LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class GoogleIdentity:
    subject: str
    email: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    picture: str = ""

    def profile(self) -> dict:
        """The verified profile handed to the registration page."""
        profile = {"sub": self.subject, "email": self.email, "emailVerified": True}
        for key, value in (
            ("name", self.name),
            ("givenName", self.given_name),
            ("familyName", self.family_name),
            ("picture", self.picture),
        ):
            if value:
                profile[key] = value
        return profile


def _invalid(message: str = "The Google ID token is invalid.") -> ApiError:
    return ApiError(ErrorCode.AUTH_TOKEN_INVALID, message, status=401)


#: The deadline of one key-set fetch: DNS, connect, TLS, send and every read.
KEY_SET_TIMEOUT_SECONDS = 5
KEY_SET_MAX_BYTES = 256 * 1024


class _KeySetClient(jwt.PyJWKClient):
    """PyJWT's key-set client (cache, refetch on an unknown ``kid``) fetching with one deadline."""

    def fetch_data(self):
        jwk_set = None
        try:
            answer = outbound.request(
                "GET",
                self.uri,
                headers={"Accept": "application/json"},
                deadline=outbound.Deadline(KEY_SET_TIMEOUT_SECONDS),
                policy=outbound.OPERATOR_CONFIGURED,
                max_body_bytes=KEY_SET_MAX_BYTES,
            )
            if answer.status != 200 or answer.truncated:
                raise jwt.PyJWKClientConnectionError(f"the key set answered HTTP {answer.status}")
            jwk_set = json.loads(answer.body)
        except (outbound.DeadlineExceeded, outbound.TransportError, outbound.Refused) as exc:
            raise jwt.PyJWKClientConnectionError(f"the key set could not be fetched: {exc}") from exc
        finally:
            if self.jwk_set_cache is not None:
                self.jwk_set_cache.put(jwk_set)
        return jwk_set


@lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One client per JWKS URL: it caches the key set (5 minutes) and refetches on an unknown ``kid``."""
    return _KeySetClient(url, cache_jwk_set=True, lifespan=300)


def _unavailable() -> ApiError:
    return ApiError(ErrorCode.NETWORK_ERROR, "Google sign-in is unavailable right now; retry later.", status=503)


#: What fetching and reading the key set raises when Google is unreachable or answers with
#: something that is not a usable JWKS (not JSON, no keys, malformed keys): Google's fault, a 503.
_KEY_SET_ERRORS = (jwt.PyJWTError, ValueError, AttributeError, TypeError)


def _signing_key(id_token: str) -> jwt.PyJWK:
    """The published key named by the token's ``kid``; an unknown ``kid`` refetches the set once (rotation)."""
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
    except jwt.InvalidTokenError as exc:
        raise _invalid() from exc
    client = _jwks_client(settings.GOOGLE_JWKS_URL)
    for refresh in (False, True):
        try:
            keys = client.get_signing_keys(refresh=refresh)
        except _KEY_SET_ERRORS as exc:
            logger.warning("Google JWKS unusable: %s", exc)
            raise _unavailable() from exc
        key = next((key for key in keys if key.key_id == kid), None)
        if key is not None:
            return key
    raise _invalid()


def verify_google_id_token(id_token: str) -> GoogleIdentity:
    client_id = settings.GOOGLE_CLIENT_ID
    if not client_id:
        raise ApiError(ErrorCode.FEATURE_NOT_AVAILABLE, "Sign in with Google is not configured.", status=403)
    if not id_token or id_token.count(".") != 2:
        raise _invalid()
    signing_key = _signing_key(id_token)
    try:
        claims = jwt.decode(
            id_token,
            key=signing_key.key,
            algorithms=["RS256"],
            audience=client_id,
            issuer=GOOGLE_ISSUERS,
            leeway=_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(ErrorCode.TOKEN_EXPIRED, "The Google ID token has expired.", status=401) from exc
    except jwt.InvalidTokenError as exc:
        raise _invalid() from exc
    email = (claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified")
    if not email or verified not in (True, "true"):
        raise _invalid("The Google account's e-mail address is not verified.")
    return GoogleIdentity(
        subject=str(claims["sub"]),
        email=email,
        name=claims.get("name") or "",
        given_name=claims.get("given_name") or "",
        family_name=claims.get("family_name") or "",
        picture=claims.get("picture") or "",
    )
