from celery import shared_task

from apps.chat.visitor_services import chat_sessions_prune


@shared_task(name="chat.prune_chat_sessions", autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def prune_chat_sessions() -> int:
    """Daily: forget chat session tokens expired or revoked over a week ago. Idempotent."""
    return chat_sessions_prune()
