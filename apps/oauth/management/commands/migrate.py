"""Django's ``migrate``, which first repairs the history of a database from before the OAuth model swap."""

from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connections

from apps.oauth.upgrade import swapped_models_history_repair


class Command(DjangoMigrateCommand):
    help = DjangoMigrateCommand.help + " Repairs a pre-swap OAuth toolkit history first (apps.oauth.upgrade)."

    def handle(self, *args, **options):
        dropped = swapped_models_history_repair(connection=connections[options["database"]])
        if dropped and options["verbosity"] >= 1:
            self.stdout.write(f"Dropped the empty pre-swap OAuth toolkit tables: {', '.join(dropped)}")
        return super().handle(*args, **options)
