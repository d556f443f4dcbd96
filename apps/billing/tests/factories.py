"""Factories for AI billing rows; ``fund_ai`` tops a tenant up through the ledger."""

from __future__ import annotations

import factory

from apps.billing.models import AiBalance, AiUsageKind, AiUsageLog
from apps.billing.services import ai_balance_top_up
from apps.tenants.tests.factories import TenantFactory


class AiUsageLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AiUsageLog

    tenant = factory.SubFactory(TenantFactory)
    kind = AiUsageKind.CHAT_REPLY
    input_tokens = 3000
    output_tokens = 1000


def fund_ai(tenant, cents: int, **settings) -> AiBalance:
    """Gives ``tenant`` an AI balance of ``cents`` through the ledger (so balance == ledger sum)."""
    if cents > 0:
        ai_balance_top_up(tenant=tenant, amount_cents=cents, note="test funding")
    balance, _ = AiBalance.objects.get_or_create(tenant=tenant)
    if settings:
        AiBalance.objects.filter(pk=balance.pk).update(**settings)
        balance.refresh_from_db()
    return balance
