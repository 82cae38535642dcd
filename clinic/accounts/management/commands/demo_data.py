from django.core.management.base import BaseCommand
from django.db import transaction

from clinic.demo import DEMO_PASSWORD, builders


class Command(BaseCommand):
    help = "Build a small demo clinic of fictitious people (idempotent) and print the logins."

    def handle(self, *args, **options):
        logins = []
        with transaction.atomic():
            for _, name, build in builders():
                logins += build(lambda msg, n=name: self.stdout.write(f"  [{n}] {msg}")) or []
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        width = max(len(x.email) for x in logins) if logins else 0
        for x in logins:
            note = f"  (2FA code: python manage.py demo_totp {x.email})" if x.two_factor else ""
            self.stdout.write(f"  {x.role:<16} {x.email:<{width}}  {x.name}{note}")
