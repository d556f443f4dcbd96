"""The base class of management commands that write: their rows name the command as the actor."""

from django.core.management.base import BaseCommand

from apps.audit.context import audit_actor
from apps.audit.models import ActorKind


class AuditedCommand(BaseCommand):
    def execute(self, *args, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        with audit_actor(kind=ActorKind.COMMAND, id=name):
            return super().execute(*args, **options)
