"""Writes for contacts. Keyword-only, atomic, emitting ``contact.*`` events.

The upsert rule (also in the API schema description of ``upsertContact``):

1. ``externalId`` given → the tenant's contact with that external id; if none, a contact
   of this tenant *without* an external id that has the same normalized e-mail (else the
   same normalized phone) is adopted and gets the external id; otherwise a new contact.
2. no ``externalId`` → the contact with the same normalized e-mail (lowercased), preferring
   one without an external id; with no e-mail, the same normalized phone (E.164 when
   ``ringnity.api.phones``); otherwise a new contact.

Matched contacts are locked (``SELECT ... FOR UPDATE``) and updated with the given
fields. Concurrent upserts of the same key race on a partial unique constraint; the
loser's savepoint rolls back and it retries, now finding the winner's row.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from apps.chat.events import emit
from apps.chat.models import Contact, ContactTag
from apps.plans import entitlements
from apps.tenants.services import tenant_row_lock
from ringnity.api.errors import ErrorCode, not_found, validation_failed
from ringnity.api.phones import phone_for_tenant

UPSERT_ATTEMPTS = 4


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def normalize_tags(tags) -> list[str]:
    """Trimmed, case-insensitively de-duplicated, first spelling and order kept."""
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags or []:
        tag = str(tag).strip()
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return out


def _prepare(tenant, fields: dict) -> dict:
    """Model field values (with the normalized keys) from validated input in model names."""
    values = {}
    for key in ("external_id", "name", "phone", "email", "company", "notes"):
        if key in fields:
            values[key] = (fields[key] or "").strip()
    if "email" in values:
        values["email_normalized"] = normalize_email(values["email"])
    if "phone" in values:
        values["phone"] = values["phone_normalized"] = phone_for_tenant(
            values["phone"], tenant=tenant, code=ErrorCode.SERVER_CONTACT_VALIDATION_FAILED
        )
    if "tags" in fields:
        values["tags"] = normalize_tags(fields["tags"])
    return values


def _sync_tags(contact: Contact) -> None:
    wanted = {tag.lower() for tag in contact.tags}
    rows = ContactTag.objects.for_tenant(contact.tenant).filter(contact=contact)
    rows.exclude(tag__in=wanted).delete()
    existing = set(rows.values_list("tag", flat=True))
    ContactTag.objects.bulk_create(
        [ContactTag(tenant=contact.tenant, contact=contact, tag=tag) for tag in sorted(wanted - existing)]
    )


def _match(tenant, values: dict) -> Contact | None:
    contacts = Contact.objects.for_tenant(tenant).select_for_update().order_by("id")
    email, phone = values.get("email_normalized", ""), values.get("phone_normalized", "")
    keyed_by_contact_data = contacts.filter(external_id="")
    if values.get("external_id"):
        found = contacts.filter(external_id=values["external_id"]).first()
        if found is None and email:
            found = keyed_by_contact_data.filter(email_normalized=email).first()
        if found is None and phone:
            found = keyed_by_contact_data.filter(phone_normalized=phone).first()
        return found
    if email:
        return (
            keyed_by_contact_data.filter(email_normalized=email).first()
            or contacts.filter(email_normalized=email).first()
        )
    if phone:
        return (
            keyed_by_contact_data.filter(email_normalized="", phone_normalized=phone).first()
            or contacts.filter(phone_normalized=phone).first()
        )
    return None


def _check_contact_quota(tenant) -> None:
    """Under the tenant row lock (as developer settings): two concurrent creates cannot both take the last slot."""
    tenant_row_lock(tenant)
    total = Contact.objects.for_tenant(tenant).count()
    entitlements.for_tenant(tenant).require_quota("contacts", requested_total=total + 1)


def _upsert_once(tenant, values: dict) -> tuple[Contact, bool]:
    contact = _match(tenant, values)
    if contact is None:
        _check_contact_quota(tenant)
        contact = Contact.objects.create(tenant=tenant, **values)
        _sync_tags(contact)
        emit(tenant=tenant, event_type="contact.created", instance=contact)
        return contact, True
    changed = [key for key, value in values.items() if getattr(contact, key) != value]
    if changed:
        for key in changed:
            setattr(contact, key, values[key])
        contact.save(update_fields=[*changed, "updated_at"])
        if "tags" in changed:
            _sync_tags(contact)
        emit(tenant=tenant, event_type="contact.updated", instance=contact)
    return contact, False


def contact_upsert(*, tenant, fields: dict) -> tuple[Contact, bool]:
    """Creates or updates one contact by the upsert rule above; returns ``(contact, created)``."""
    values = _prepare(tenant, fields)
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                return _upsert_once(tenant, values)
        except IntegrityError:
            # A concurrent upsert inserted the same key first; its row is committed now.
            if attempt == UPSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _conflicts(contact: Contact, values: dict) -> list[str]:
    """Which identity fields of a patched contact another contact of the tenant already holds."""
    external_id = values.get("external_id", contact.external_id)
    email = values.get("email_normalized", contact.email_normalized)
    phone = values.get("phone_normalized", contact.phone_normalized)
    others = Contact.objects.for_tenant(contact.tenant).exclude(pk=contact.pk)
    problems = []
    if external_id and others.filter(external_id=external_id).exists():
        problems.append("externalId: another contact of this tenant already has this externalId.")
    if not external_id and email and others.filter(external_id="", email_normalized=email).exists():
        problems.append("email: another contact of this tenant already has this email.")
    if (
        not external_id
        and not email
        and phone
        and others.filter(Q(external_id="") & Q(email_normalized=""), phone_normalized=phone).exists()
    ):
        problems.append("phone: another contact of this tenant already has this phone.")
    return problems


@transaction.atomic
def contact_update(*, contact: Contact, fields: dict) -> Contact:
    """Partial update of the given fields; identity collisions → 400 naming the field."""
    contact = Contact.objects.for_tenant(contact.tenant).select_for_update().filter(pk=contact.pk).first()
    if contact is None:  # deleted since the caller read it
        raise not_found("Contact")
    values = _prepare(contact.tenant, fields)
    changed = [key for key, value in values.items() if getattr(contact, key) != value]
    if not changed:
        return contact
    problems = _conflicts(contact, values)
    if problems:
        raise validation_failed(problems, code=ErrorCode.SERVER_CONTACT_VALIDATION_FAILED)
    for key in changed:
        setattr(contact, key, values[key])
    try:
        with transaction.atomic():
            contact.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        raise validation_failed(
            ["externalId: another contact of this tenant has the same identity."],
            code=ErrorCode.SERVER_CONTACT_VALIDATION_FAILED,
        ) from exc
    if "tags" in changed:
        _sync_tags(contact)
    emit(tenant=contact.tenant, event_type="contact.updated", instance=contact)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> str:
    public_id, tenant = contact.public_id, contact.tenant
    deleted, _ = Contact.objects.for_tenant(tenant).filter(pk=contact.pk).delete()
    if not deleted:  # a concurrent DELETE won: one deletion, one event
        raise not_found("Contact")
    emit(tenant=tenant, event_type="contact.deleted", instance=contact)
    return public_id


def contact_count(tenant) -> int:
    """The ``contacts`` quota's usage counter (registered with the entitlement engine)."""
    return Contact.objects.for_tenant(tenant).count()
