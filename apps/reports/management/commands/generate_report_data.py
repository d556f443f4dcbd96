"""``manage.py generate_report_data --tenant SLUG --conversations N --messages-per-conversation M --calls K --days D``.

Bulk-writes realistic chat and call volumes for one tenant (``apps.reports.generator``, COPY),
with a progress bar on stderr, then rolls the closed days up. ``--create`` makes the tenant
if it does not exist (timezone ``--timezone``).

The rows are fake and cannot be told apart from real ones, so the command refuses to run unless
``DEBUG`` is on or ``--yes-write-fake-data-into SLUG`` repeats the tenant's slug (the benchmark's
throwaway database runs with ``DEBUG`` off and says so).
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.reports.generator import generate
from apps.reports.models import RollupState
from apps.reports.rollups import rollup_catch_up
from apps.tenants.models import Tenant


def progress_bar(stream):
    """One self-overwriting line per stage on ``stream`` (a management command ``OutputWrapper``)."""
    started = time.monotonic()

    def show(label: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        rate = done / max(time.monotonic() - started, 1e-6)
        bar = "#" * filled + "-" * (width - filled)
        stream.write(f"\r{label:>13} [{bar}] {done:>9,}/{total:,} ({rate:,.0f}/s)", ending="")
        if done >= total:
            stream.write("")
        stream.flush()

    return show


class Command(BaseCommand):
    help = "Bulk-generate chat and call data for a tenant (reports benchmark), then roll up closed days."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--conversations", type=int, default=1000)
        parser.add_argument("--messages-per-conversation", type=int, default=10)
        parser.add_argument("--calls", type=int, default=500)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--agents", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--create", action="store_true", help="create the tenant when it does not exist")
        parser.add_argument("--timezone", default="Europe/Berlin", help="timezone of a tenant made by --create")
        parser.add_argument("--no-rollup", action="store_true", help="leave the rollups to the periodic task")
        parser.add_argument(
            "--yes-write-fake-data-into",
            metavar="SLUG",
            default="",
            help="required without DEBUG: the tenant's slug again, to confirm writing fake data into it",
        )

    def handle(self, *args, **opts):
        if not settings.DEBUG and opts["yes_write_fake_data_into"] != opts["tenant"]:
            raise CommandError(
                f"this writes fake conversations, messages and calls into tenant {opts['tenant']!r}: "
                f"run it with DEBUG=true, or confirm with --yes-write-fake-data-into {opts['tenant']}"
            )
        for name in ("conversations", "messages_per_conversation", "calls", "days", "agents"):
            if opts[name] < 0 or (name in ("days", "messages_per_conversation") and opts[name] < 1):
                raise CommandError(f"--{name.replace('_', '-')} is out of range")
        tenant = Tenant.objects.filter(slug=opts["tenant"]).first()
        if tenant is None:
            if not opts["create"]:
                raise CommandError(f"no tenant {opts['tenant']!r} (add --create)")
            tenant = Tenant.objects.create(
                slug=opts["tenant"],
                name=opts["tenant"],
                timezone=opts["timezone"],
                email=f"{opts['tenant']}@example.com",
            )
        started = time.monotonic()
        try:
            with transaction.atomic():
                counts = generate(
                    tenant=tenant,
                    conversations=opts["conversations"],
                    messages_per_conversation=opts["messages_per_conversation"],
                    calls=opts["calls"],
                    days=opts["days"],
                    agents=opts["agents"],
                    seed=opts["seed"],
                    progress=progress_bar(self.stderr),
                )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        written = time.monotonic() - started
        self.stdout.write(f"wrote {counts} in {written:.1f}s")
        if not opts["no_rollup"]:
            started = time.monotonic()
            RollupState.objects.filter(tenant=tenant).delete()  # old days got new rows: roll everything again
            rows = rollup_catch_up(tenant=tenant)
            self.stdout.write(f"rolled up {rows} rows in {time.monotonic() - started:.1f}s")
