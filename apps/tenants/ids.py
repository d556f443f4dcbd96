"""Public identifiers: prefixed, random, URL-safe, never the database key."""

import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_public_id(prefix: str, length: int = 20) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def tenant_public_id() -> str:
    return new_public_id("cl")


def user_public_id() -> str:
    return new_public_id("usr")


def department_public_id() -> str:
    return new_public_id("dep")


def position_public_id() -> str:
    return new_public_id("pos")


def widget_key() -> str:
    """The tenant's public widget/install key. Public by design (it ships in web pages)."""
    return "rn_pk_" + secrets.token_urlsafe(24)


def server_key_public_id() -> str:
    return new_public_id("sak")


def device_public_id() -> str:
    return new_public_id("dev")
