from django.conf import settings
from django.core.management.base import CommandError

from apps.audit.commands import AuditedCommand
from apps.platform.demo import demo_seed, seed_banner


class Command(AuditedCommand):
    help = (
        "Create or complete the demo tenant 'demo' (idempotent; DEBUG only): plan 'professional', "
        "local origins, an owner, two agents, a platform operator and a Server API key with every scope."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument("--new-key", action="store_true", help="Disable the demo Server API key, issue a new one.")
        parser.add_argument("--base-url", default=settings.RINGNITY_DASHBOARD_URL, help="Where the server runs.")

    def handle(self, *args, force, new_key, base_url, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates well-known credentials; it runs only with DEBUG on (or --force).")
        seed = demo_seed(new_key=new_key)
        if options["verbosity"] > 0:
            self.stdout.write("\n".join(seed.actions))
            self.stdout.write(seed_banner(seed, base_url.rstrip("/")))
