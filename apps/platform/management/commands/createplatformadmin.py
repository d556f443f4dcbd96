from apps.audit.commands import AuditedCommand
from apps.tenants import services
from apps.tenants.management.commands._errors import api_errors_as_command_errors
from apps.tenants.models import PlatformRole


class Command(AuditedCommand):
    help = "Create a platform operator, or reset an existing one's role and password."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=PlatformRole.values)

    def handle(self, *args, email, password, role, **options):
        with api_errors_as_command_errors():
            user, created = services.platform_operator_create(email=email, password=password, role=role)
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} platform operator {user.email} ({user.platform_role})."))
