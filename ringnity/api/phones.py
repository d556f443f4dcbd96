"""Phone numbers as stored: E.164 (``+14155550100``), checked against the numbering plan by ``phonenumbers``.

A number written with its country code (``+44 20 7946 0958``) is read as such. One without it
(``(415) 555-0100``) is read in the tenant's region: the country of the tenant's own phone number
(``Tenant.phone``), else ``RINGNITY_PHONE_REGION`` (an ISO 3166 country code, e.g. ``US``; unset by
default). With neither, a number must carry its country code. A number that is not a valid number of
its country (``12345``, ``+1 555 555 5555``) is refused: the caller answers 400 naming the field.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings

from ringnity.api.errors import ErrorCode, validation_failed

EXAMPLE = "+14155550100"
#: What this module's error details read as in the generated docs' examples (``ringnity.api.schema_docs``).
ERROR_EXAMPLE_VALUES = {"field": "phone", "exc": f"not a valid phone number; e.g. {EXAMPLE}."}


class PhoneNumberInvalid(ValueError):
    """Not a phone number; ``str()`` says why, in words for the API's ``details``."""


def phone_region(tenant) -> str | None:
    """Where a number without a country code is read, for ``tenant`` (see the module docstring)."""
    own = (getattr(tenant, "phone", "") or "").strip()
    if own.startswith("+"):
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(own, None))
        except phonenumbers.NumberParseException:
            region = None
        if region and region != "ZZ":
            return region
    return settings.RINGNITY_PHONE_REGION or None


def phone_e164(raw: str, *, region: str | None) -> str:
    """``raw`` as E.164; raises ``PhoneNumberInvalid``."""
    text = (raw or "").strip()
    where = f" (read in region {region})" if region and not text.startswith("+") else ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise PhoneNumberInvalid(f"not a phone number: give it with its country code, e.g. {EXAMPLE}.") from exc
        raise PhoneNumberInvalid(f"not a phone number{where}.") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberInvalid(f"not a valid phone number{where}; e.g. {EXAMPLE}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_for_tenant(raw: str, *, tenant, field: str = "phone", code: ErrorCode = ErrorCode.VALIDATION_FAILED) -> str:
    """``raw`` as stored for ``tenant`` (E.164; "" stays ""); else the 400 naming ``field``."""
    if not (raw or "").strip():
        return ""
    try:
        return phone_e164(raw, region=phone_region(tenant))
    except PhoneNumberInvalid as exc:
        raise validation_failed([f"{field}: {exc}"], code=code) from exc


def phone_or_blank(raw: str, *, tenant) -> str:
    """For identities already checked when they were signed: E.164, or "" for what is not a number."""
    try:
        return phone_e164(raw, region=phone_region(tenant)) if (raw or "").strip() else ""
    except PhoneNumberInvalid:
        return ""
