from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "apps.ai"
    label = "ai"
    verbose_name = "AI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at module level: the counters read models, which need the app registry ready.
        from apps.ai import signals
        from apps.ai.knowledge_services import knowledge_document_count, knowledge_ready_count
        from apps.developer import capabilities
        from apps.plans import entitlements

        entitlements.register_usage_counter("knowledge_documents", knowledge_document_count)
        capabilities.register_knowledge_counter(knowledge_ready_count)
        signals.connect()
