"""Start-up checks for the plan catalog (run by ``manage.py check``, ``runserver``, ``migrate`` and the tests).

``plans.E001``: a quota key of the default catalog (``apps.plans.seed.QUOTA_KEYS``) that no app counts.
A running-total quota without a usage counter would never be enforced (``Entitlements.usage`` raises
for it); a key that only bounds one item belongs in ``seed.ITEM_LIMIT_QUOTAS``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core import checks

from apps.plans import entitlements, seed


def uncounted_quota_errors(keys: Iterable[str] | None = None) -> list[checks.Error]:
    """One ``plans.E001`` per key (default: the catalog's) with neither a usage counter nor an item-limit mark."""
    keys = [key for key, *_ in seed.QUOTA_KEYS] if keys is None else list(keys)
    return [
        checks.Error(
            f"Quota '{key}' has no usage counter, so no plan limit on it can be enforced.",
            hint=(
                f"Call apps.plans.entitlements.register_usage_counter('{key}', counter) in the AppConfig.ready() "
                f"of the app that owns what it counts, or add '{key}' to apps.plans.seed.ITEM_LIMIT_QUOTAS if it "
                "bounds a single item (like attachment_mb)."
            ),
            id="plans.E001",
        )
        for key in keys
        if key not in seed.ITEM_LIMIT_QUOTAS | seed.RATE_QUOTAS and not entitlements.has_usage_counter(key)
    ]


@checks.register()
def quota_keys_have_counters(app_configs=None, **kwargs) -> list[checks.Error]:
    return uncounted_quota_errors()
