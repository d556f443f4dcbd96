"""The figures on a platform operator's console index: four aggregate queries, whatever the row counts."""

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.billing.models import AiUsageLog, format_cents
from apps.chat.models import ACTIVE_STATUSES, Conversation
from apps.tenants.models import Tenant
from apps.webhooks.models import DeliveryStatus, WebhookDelivery

NO_PLAN = "free (no subscription)"
MICROS_PER_CENT = 10_000


def operator_dashboard(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    by_plan = (
        Tenant.objects.values(plan=Coalesce("subscription__plan__slug", Value(NO_PLAN)))
        .annotate(tenants=Count("id"))
        .order_by("-tenants", "plan")
    )
    retail_micros = (
        AiUsageLog.objects.cross_tenant()
        .filter(created_at__gte=month)
        .aggregate(total=Sum("retail_charge_micros"))["total"]
    )
    return {
        "tenants_by_plan": list(by_plan),
        "active_conversations_today": Conversation.objects.cross_tenant()
        .filter(status__in=ACTIVE_STATUSES, last_message_at__gte=today)
        .count(),
        "failed_webhook_deliveries": WebhookDelivery.objects.cross_tenant()
        .filter(status=DeliveryStatus.FAILED, updated_at__gte=now - timedelta(hours=24))
        .count(),
        "ai_spend_month": format_cents((retail_micros or 0) // MICROS_PER_CENT),
        "month": f"{month:%B %Y}",
    }
