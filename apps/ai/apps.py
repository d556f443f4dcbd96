from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "apps.ai"
    label = "ai"
    verbose_name = "AI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.ai.knowledge_services import knowledge_document_count
        from apps.plans import entitlements

        entitlements.register_usage_counter("knowledge_documents", knowledge_document_count)
