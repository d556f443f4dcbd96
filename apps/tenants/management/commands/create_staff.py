from django.core.management.base import CommandError

from apps.audit.commands import AuditedCommand
from apps.tenants import selectors, services
from apps.tenants.management.commands._errors import api_errors_as_command_errors
from apps.tenants.models import StaffRole


class Command(AuditedCommand):
    help = "Create a staff member (admin, supervisor or agent) in a tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=[r for r in StaffRole.values if r != StaffRole.OWNER])
        parser.add_argument("--department", default=None)
        parser.add_argument("--name", default="")

    def handle(self, *args, tenant, username, password, role, department, name, **options):
        tenant_obj = selectors.tenant_get_by_slug(slug=tenant)
        if tenant_obj is None:
            raise CommandError(f"No tenant with slug '{tenant}'.")
        with api_errors_as_command_errors():
            user = services.staff_create(
                tenant=tenant_obj,
                username=username,
                password=password,
                role=role,
                name=name,
                department_name=department,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.role} '{user.username}' in '{tenant_obj.slug}' (agentId {user.public_id})."
            )
        )
