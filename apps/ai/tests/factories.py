"""Helpers for the AI tests: tenants on an AI plan, runtime headers, documents, a tiny PDF writer."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.ai.knowledge.indexing import knowledge_document_index
from apps.ai.models import AiVoiceSession, KnowledgeDocument, KnowledgeKind
from apps.billing.hold_services import ai_hold_place
from apps.billing.models import AiUsageKind
from apps.plans.tests.factories import subscribe
from apps.runtime.tests.fixtures import runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.tests.factories import TenantFactory

AI_FEATURES = {"chat": True, "ai_chat": True, "ai_voice": True, "knowledge_base": True, "server_api": True}


def ai_tenant(*, features=None, quotas=None, **fields):
    tenant = TenantFactory(**fields)
    subscribe(
        tenant,
        features=features or AI_FEATURES,
        quotas=quotas
        or {
            "knowledge_documents": 20,
            "ai_chat_replies": "unlimited",
            "ai_voice_minutes": 100,
            "contacts": "unlimited",
        },
    )
    return tenant


def admin_headers(tenant, **kw) -> dict:
    return runtime_headers(tenant, TokenKind.ADMIN, subject="adm_test", **kw)


def visitor_headers(tenant, subject="vis_ai_test", **kw) -> dict:
    return runtime_headers(tenant, TokenKind.VISITOR, subject=subject, **kw)


def indexed_document(tenant, name: str, text: str) -> KnowledgeDocument:
    """A ready text document, indexed synchronously (no API, no Celery)."""
    data = text.encode()
    document = KnowledgeDocument.objects.create(
        tenant=tenant, kind=KnowledgeKind.FILE, title=name, source=name, size_bytes=len(data), source_bytes=data
    )
    knowledge_document_index(document_pk=document.pk)
    document.refresh_from_db()
    return document


def voice_session_for(conversation, *, max_seconds: int = 300) -> AiVoiceSession:
    """An open AI voice call of the conversation's visitor, with its hold (no provider, no API)."""
    hold = ai_hold_place(
        tenant=conversation.tenant, kind=AiUsageKind.VOICE, units=5, unit_estimate_micros=0, ttl_seconds=600
    )
    started = timezone.now()
    return AiVoiceSession.objects.create(
        tenant=conversation.tenant,
        visitor=conversation.visitor,
        conversation=conversation,
        hold=hold,
        started_at=started,
        max_seconds=max_seconds,
        ends_at=started + timedelta(seconds=max_seconds),
    )


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(lines: list[str], title: str = "") -> bytes:
    """A valid one-page PDF showing ``lines`` in Helvetica (correct xref offsets)."""
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({_pdf_escape(line)}) '" for line in lines) + " ET"
    info = f"<< /Title ({_pdf_escape(title)}) >>" if title else "<< >>"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        info,
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
