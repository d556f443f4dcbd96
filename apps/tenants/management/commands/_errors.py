from contextlib import contextmanager

from django.core.management.base import CommandError

from ringnity.api.errors import ApiError


@contextmanager
def api_errors_as_command_errors():
    """Services raise ApiError; a command shows the same problems as a CommandError."""
    try:
        yield
    except ApiError as exc:
        lines = [exc.message, *(f"  - {detail}" for detail in exc.details)]
        raise CommandError("\n".join(lines)) from exc
