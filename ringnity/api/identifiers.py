"""One form of a sign-in identifier, shared by the account lookup and the login throttle.

A throttle keyed one way and a lookup matching another let an attacker multiply their attempts:
``bo\u017fs@acme.test`` (long s) was counted apart from ``boss@acme.test`` by Python's ``lower()``,
yet PostgreSQL's ``UPPER()`` (behind ``email__iexact``) folds U+017F to ``S`` and U+0131 (dotless i) to ``I`` and
signed in as boss. So:

* ``fold``: NFKC (compatibility characters become their plain form: U+017F→``s``, the Kelvin
  sign U+212A→``K``, full-width letters→ASCII), then ``casefold()``; the throttle keys accounts on it.
* ``login_email``: the folded address, accepted only when it is ASCII (the domain may be an IDN,
  encoded to punycode). Accounts are stored with ASCII addresses (Django's e-mail validator), so an
  address that is not ASCII after folding cannot belong to anyone: it is looked up as nobody
  (the same answer as a wrong password) and never reaches a database comparison that folds case
  differently.
"""

import unicodedata


def fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def login_email(raw) -> str | None:
    """The address a sign-in form names, in the form accounts are looked up by; None when it names nobody."""
    if not isinstance(raw, str):
        return None
    local, at, domain = fold(raw).rpartition("@")
    if not at or not local or not domain or not local.isascii():
        return None
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return f"{local}@{domain}"
