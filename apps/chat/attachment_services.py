"""Attachments: metadata records and uploads, checked against the plan, the budgets and the file's own bytes.

* Size: at most the plan's ``attachment_mb`` quota (a ``disabled`` quota allows nothing;
  ``unlimited``/``custom`` fall back to ``HARD_LIMIT_MB``); beyond it 413 ``PAYLOAD_TOO_LARGE``.
* Type: sniffed (``apps.chat.filetypes``, read in bounded pieces); not allowlisted, or carrying markup
  or active content → 400 naming why. An empty file → 400.
* Budgets (README "Live chat"): a visitor declares or uploads at most ``CHAT_UPLOADS_PER_VISITOR``
  files and ``CHAT_UPLOAD_MB_PER_VISITOR`` megabytes per ``UPLOAD_WINDOW_SECONDS`` (429
  ``RATE_LIMITED`` + ``Retry-After``); a conversation holds at most ``CHAT_UPLOADS_PER_CONVERSATION``
  attachments and ``CHAT_UPLOAD_MB_PER_CONVERSATION`` stored megabytes (409 ``CONFLICT``); the tenant
  stores at most its plan's ``attachment_storage_mb`` (400 ``QUOTA_EXCEEDED``). The conversation and
  tenant totals are checked under the tenant row lock, with the file already written, so parallel
  uploads cannot pass a limit together and the lock is never held while bytes are copied.
* Storage: Django's default storage under ``chat/<tenant>/<conversation>/<attachment id><ext>``,
  a name the server makes; the client's file name is only kept (cleaned) for display. A refused
  or rolled-back upload leaves no file behind.
* An upload becomes a message of type ``attachment`` in the conversation.
"""

from __future__ import annotations

import math
import os
import unicodedata

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from apps.chat.filetypes import ALLOWED_CONTENT_TYPES, FileRefused, sniff
from apps.chat.message_services import message_send
from apps.chat.models import (
    Attachment,
    AttachmentStatus,
    Conversation,
    SenderType,
    Visitor,
)
from apps.chat.selectors import STORAGE_QUOTA, attachment_totals
from apps.plans import entitlements
from apps.tenants.services import tenant_row_lock
from ringnity.api.errors import ApiError, ErrorCode, not_found, validation_failed
from ringnity.api.throttling import Window, rate_limited, window_charge

MB = 1024 * 1024
UPLOAD_WINDOW_SECONDS = 600
HARD_LIMIT_MB = 100
FILENAME_MAX_LENGTH = 255


def attachment_limit_bytes(tenant) -> int:
    quota = entitlements.for_tenant(tenant).quota("attachment_mb")
    if quota.value_type == "disabled":
        return 0
    megabytes = quota.limit if quota.value_type == "number" and quota.limit is not None else HARD_LIMIT_MB
    return min(megabytes, HARD_LIMIT_MB) * 1024 * 1024


def _too_large(limit: int) -> ApiError:
    return ApiError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        "The file is larger than this plan allows.",
        status=413,
        details=[f"file: at most {limit} bytes on this plan."],
    )


#: Room for the multipart framing and the other form fields around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def attachment_body_check(*, tenant, content_length) -> None:
    """413 for an upload whose declared body size alone is beyond the plan's limit (plus framing)."""
    try:
        declared = int(content_length or 0)
    except (TypeError, ValueError):
        return
    limit = attachment_limit_bytes(tenant)
    if declared > limit + MULTIPART_OVERHEAD_BYTES:
        raise _too_large(limit)


def clean_filename(name: str) -> str:
    """The client's file name for display only: base name, no control characters, bounded."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:FILENAME_MAX_LENGTH]


def _visitor_budget_charge(visitor: Visitor, *, files: int, size: int) -> None:
    """Counts ``files`` and ``size`` bytes against the visitor's window; 429 beyond either."""
    key = f"chat-upload:{visitor.tenant_id}:{visitor.pk}"
    budgets = [
        (Window(f"{key}:files", settings.CHAT_UPLOADS_PER_VISITOR, UPLOAD_WINDOW_SECONDS, files), "files"),
        (Window(f"{key}:bytes", settings.CHAT_UPLOAD_MB_PER_VISITOR * MB, UPLOAD_WINDOW_SECONDS, size), "bytes"),
    ]
    budgets = [(window, unit) for window, unit in budgets if window.amount]
    if not budgets:
        return
    charge = window_charge([window for window, _ in budgets])
    if charge.refused:
        over = [(window, unit) for (window, unit), state in zip(budgets, charge.states, strict=True) if state.over]
        raise rate_limited(
            "Too many uploads from this visitor; retry later.",
            charge.retry_after,
            [
                f"file: at most {window.limit} {unit} per {UPLOAD_WINDOW_SECONDS // 60} minutes per visitor."
                for window, unit in over
            ],
        )


def _totals_require(conversation: Conversation, *, files: int, size: int) -> None:
    """Under the tenant row lock: the conversation's attachment budget and the plan's storage quota."""
    tenant = conversation.tenant
    tenant_row_lock(tenant)
    held = attachment_totals(tenant=tenant, conversation=conversation)
    problems = []
    if files and held["files"] + files > settings.CHAT_UPLOADS_PER_CONVERSATION:
        problems.append(f"conversation: holds at most {settings.CHAT_UPLOADS_PER_CONVERSATION} attachments.")
    if size and held["bytes"] + size > settings.CHAT_UPLOAD_MB_PER_CONVERSATION * MB:
        problems.append(f"conversation: holds at most {settings.CHAT_UPLOAD_MB_PER_CONVERSATION} MB of attachments.")
    if problems:
        raise ApiError(ErrorCode.CONFLICT, "This conversation's attachment budget is used up.", 409, problems)
    stored = attachment_totals(tenant=tenant)["bytes"]
    entitlements.for_tenant(tenant).require_quota(STORAGE_QUOTA, requested_total=math.ceil((stored + size) / MB))


@transaction.atomic
def attachment_declare(
    *, conversation: Conversation, visitor: Visitor, filename: str, content_type: str, size: int, metadata: dict
) -> Attachment:
    """A metadata-only attachment (status ``pending``); its bytes come with a later upload naming it."""
    conversation.require_active()
    problems = []
    if content_type not in ALLOWED_CONTENT_TYPES:
        problems.append(f"contentType: one of {', '.join(sorted(ALLOWED_CONTENT_TYPES))}.")
    if size < 1:
        problems.append("size: must be at least 1 byte.")
    if problems:
        raise validation_failed(problems)
    limit = attachment_limit_bytes(conversation.tenant)
    if size > limit:
        raise _too_large(limit)
    _visitor_budget_charge(visitor, files=1, size=0)
    _totals_require(conversation, files=1, size=0)
    attachment = Attachment.objects.create(
        tenant=conversation.tenant,
        conversation=conversation,
        uploaded_by_visitor=visitor,
        original_filename=clean_filename(filename),
        declared_content_type=content_type,
        size=size,
        metadata=metadata or {},
    )
    attachment.conversation = conversation
    return attachment


def _pending(conversation: Conversation, attachment_id: str) -> Attachment:
    attachment = (
        Attachment.objects.for_tenant(conversation.tenant)
        .select_for_update()
        .filter(conversation=conversation, public_id=attachment_id, status=AttachmentStatus.PENDING)
        .first()
        if attachment_id and len(attachment_id) <= 32 and "\x00" not in attachment_id
        else None
    )
    if attachment is None:
        raise not_found("Attachment")
    return attachment


@transaction.atomic
def attachment_upload(*, conversation: Conversation, visitor: Visitor, upload, attachment_id: str = "") -> dict:
    """Stores an uploaded file and posts it as a message: ``{"attachment", "message"}``."""
    conversation.require_active()
    limit = attachment_limit_bytes(conversation.tenant)
    if upload.size > limit:
        raise _too_large(limit)
    if upload.size == 0:
        raise validation_failed(["file: the file is empty."])
    try:
        kind = sniff(upload)
    except FileRefused as refused:
        raise validation_failed([f"file: {refused}"]) from refused
    attachment = _pending(conversation, attachment_id) if attachment_id else None
    _visitor_budget_charge(visitor, files=0 if attachment else 1, size=upload.size)
    if attachment is None:
        attachment = Attachment(tenant=conversation.tenant, conversation=conversation, uploaded_by_visitor=visitor)
    path = f"chat/{conversation.tenant.public_id}/{conversation.public_id}/{attachment.public_id}{kind.extension}"
    stored = default_storage.save(path, upload)
    try:
        _totals_require(conversation, files=0 if attachment.pk else 1, size=upload.size)
        attachment.file.name = stored
        attachment.original_filename = clean_filename(upload.name) or attachment.original_filename
        attachment.content_type, attachment.size = kind.content_type, upload.size
        attachment.status = AttachmentStatus.UPLOADED
        attachment.save()
        message, _ = message_send(
            conversation=conversation,
            sender_type=SenderType.VISITOR,
            visitor=visitor,
            body=attachment.original_filename or f"{attachment.public_id}{kind.extension}",
            message_type="attachment",
            metadata={
                "attachmentId": attachment.public_id,
                "contentType": kind.content_type,
                "size": upload.size,
            },
        )
        attachment.message = message
        attachment.save(update_fields=["message"])
    except BaseException:
        default_storage.delete(stored)  # refused or rolled back: do not keep its file
        raise
    attachment.conversation = conversation
    return {"attachment": attachment, "message": message}


def attachment_for_download(*, conversation: Conversation, attachment_id: str) -> Attachment:
    """An uploaded, not deleted attachment of ``conversation`` (already resolved for the caller)."""
    attachment = (
        Attachment.objects.for_tenant(conversation.tenant)
        .filter(conversation=conversation, public_id=attachment_id, status=AttachmentStatus.UPLOADED)
        .first()
        if attachment_id and len(attachment_id) <= 32 and "\x00" not in attachment_id
        else None
    )
    if attachment is None or not attachment.file:
        raise not_found("Attachment")
    return attachment
