from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the default plan catalog (lands with the platform issue)."

    def handle(self, *args, **options):
        self.stdout.write("seed_plans: the plan catalog is not built yet; nothing to seed.")
