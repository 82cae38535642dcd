from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from clinic.audit.grants import grant_statements


class Command(BaseCommand):
    help = (
        "Print (or, with --apply, run) the GRANTs that make the audit tables append-only for "
        "the application's database role. Run as the schema owner after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="the role the web app and worker use")
        parser.add_argument("--purge-role", help="the privileged role of the retention purge")
        parser.add_argument("--apply", action="store_true", help="run the statements now")

    def handle(self, *args, app_role, purge_role=None, apply=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database grants apply to PostgreSQL only.")
        for name in filter(None, (app_role, purge_role)):
            if not name.replace("_", "").isalnum():
                raise CommandError(f"Role names are letters, digits and underscores: {name!r}")
        statements = grant_statements(app_role=app_role, purge_role=purge_role)
        if not apply:
            for stmt in statements:
                self.stdout.write(stmt + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for stmt in statements:
                cursor.execute(stmt)
        self.stdout.write(self.style.SUCCESS(f"Applied {len(statements)} statements."))
