from collections import Counter

from apps.audit.commands import AuditedCommand
from apps.plans.seed import catalog_seed


class Command(AuditedCommand):
    help = (
        "Create the default plan catalog (feature keys, quota keys, free/starter/professional/enterprise). "
        "Safe to re-run: existing rows are kept unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Put every default key, plan and contract back to its default."
        )
        parser.add_argument("--verbose-rows", action="store_true", help="Print one line per row.")

    def handle(self, *args, reset, verbose_rows, **options):
        report = catalog_seed(reset=reset)
        counts = Counter(action for action, _ in report)
        for action, what in report:
            if verbose_rows or action != "kept":
                self.stdout.write(f"{action:8} {what}")
        summary = ", ".join(f"{counts.get(a, 0)} {a}" for a in ("created", "kept", "reset", "removed"))
        self.stdout.write(self.style.SUCCESS(f"seed_plans: {summary}."))
