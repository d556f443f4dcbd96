"""Writes for the platform: plans, subscriptions, AI pricing and balances."""

from ringnity.api.errors import ApiError, ErrorCode


def subscription_set(*, tenant, plan_slug: str):
    """Subscribes ``tenant`` to the plan ``plan_slug``. The plan catalog lands with the platform issue."""
    raise ApiError(ErrorCode.VALIDATION_FAILED, "Validation failed.", details=[f"plan: unknown plan '{plan_slug}'."])
