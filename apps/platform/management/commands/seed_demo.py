from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.tenants import services
from apps.tenants.models import StaffRole, Tenant

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.ringnity.local"
DEMO_PASSWORD = "ringnity-demo-2026"  # noqa: S105 - local demo data, refused outside DEBUG
DEMO_AGENTS = ("agent1", "agent2")


class Command(BaseCommand):
    help = "Create the demo tenant 'demo' with an owner and two agents (idempotent; DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    @transaction.atomic
    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates well-known credentials; it runs only with DEBUG on (or --force).")
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            tenant = services.tenant_create(
                slug=DEMO_SLUG, name="Demo Company", owner_email=DEMO_OWNER_EMAIL, owner_password=DEMO_PASSWORD
            )
            self.stdout.write(f"created tenant '{DEMO_SLUG}'")
        else:
            self.stdout.write(f"kept tenant '{DEMO_SLUG}'")
        for username in DEMO_AGENTS:
            if tenant.users.filter(username=username).exists():
                self.stdout.write(f"kept agent '{username}'")
                continue
            services.staff_create(
                tenant=tenant,
                username=username,
                password=DEMO_PASSWORD,
                role=StaffRole.AGENT,
                name=username.capitalize(),
                department_name="Support",
            )
            self.stdout.write(f"created agent '{username}'")
        self.stdout.write(
            "Demo credentials (local only):\n"
            f"  owner login:     {DEMO_OWNER_EMAIL} / {DEMO_PASSWORD}\n"
            f"  workspace login: tenant '{DEMO_SLUG}', users {', '.join(DEMO_AGENTS)} / {DEMO_PASSWORD}\n"
            f"  clientId {tenant.public_id}, public widget key {tenant.public_widget_key}"
        )
