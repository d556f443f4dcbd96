from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "apps.realtime"
    label = "realtime"
    verbose_name = "Realtime gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.ai.streaming import register_stream_sink
        from apps.plans import entitlements
        from apps.realtime.connections import realtime_connection_count
        from apps.realtime.durable import is_durable, publish_committed
        from apps.realtime.ephemeral import ai_stream_sink
        from apps.webhooks.events import Outlet, register_outlet

        # The event log keeps every message.*, conversation.* and call.* event and hands the committed
        # ones to the gateway (apps.realtime.durable), beside the webhook outbox.
        register_outlet(Outlet(name="realtime", logs=is_durable, publish=publish_committed))
        entitlements.register_usage_counter("realtime_connections", realtime_connection_count)
        # Streamed AI replies (POST /ai/visitor/chat with stream: true) reach the sockets as ai.delta / ai.done.
        register_stream_sink("realtime", ai_stream_sink)
