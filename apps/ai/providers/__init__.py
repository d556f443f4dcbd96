"""Provider selection: the configured OpenAI-compatible provider, else the built-in extractive one."""

from django.conf import settings

from apps.ai.providers.base import Limits, Passage, Provider, ProviderError, RealtimeNotSupported, Reply
from apps.ai.providers.extractive import ExtractiveProvider
from apps.ai.providers.openai_compatible import OpenAICompatibleProvider

__all__ = ["Limits", "Passage", "Provider", "ProviderError", "RealtimeNotSupported", "Reply", "current_provider"]


def current_provider() -> Provider:
    if settings.AI_PROVIDER_BASE_URL and settings.AI_PROVIDER_API_KEY:
        return OpenAICompatibleProvider(
            base_url=settings.AI_PROVIDER_BASE_URL,
            api_key=settings.AI_PROVIDER_API_KEY,
            timeout=settings.AI_PROVIDER_TIMEOUT_SECONDS,
        )
    return ExtractiveProvider()
