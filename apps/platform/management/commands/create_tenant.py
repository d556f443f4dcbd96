from django.core.management.base import CommandError
from django.db import transaction

from apps.audit.commands import AuditedCommand
from apps.plans import services as plan_services
from apps.tenants import services
from apps.tenants.management.commands._errors import api_errors_as_command_errors
from apps.tenants.models import Tenant


class Command(AuditedCommand):
    help = "Create a tenant with its owner. Re-running with the same slug and owner e-mail changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)
        parser.add_argument("--plan", default=None, help="Plan slug to subscribe the tenant to.")

    def handle(self, *args, slug, name, owner_email, owner_password, plan, **options):
        existing = Tenant.objects.filter(slug=slug.strip()).first()
        if existing is not None:
            if not existing.users.filter(role="owner", email__iexact=owner_email.strip()).exists():
                raise CommandError(f"Tenant '{slug}' already exists with another owner.")
            self.stdout.write(f"Tenant '{slug}' already exists (clientId {existing.public_id}); nothing changed.")
            return
        with api_errors_as_command_errors(), transaction.atomic():
            tenant = services.tenant_create(
                slug=slug, name=name, owner_email=owner_email, owner_password=owner_password
            )
            if plan:
                plan_services.subscription_set(tenant=tenant, plan_slug=plan)
        self.stdout.write(self.style.SUCCESS(f"Created tenant '{tenant.slug}' (clientId {tenant.public_id})."))
