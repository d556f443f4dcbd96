from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.reports import signals
        from apps.reports.tasks import ROLLUP_INTERVAL_SECONDS
        from ringnity.celery import app

        signals.connect()
        app.conf.beat_schedule.setdefault(
            "reports-refresh-rollups", {"task": "reports.refresh_rollups", "schedule": ROLLUP_INTERVAL_SECONDS}
        )
