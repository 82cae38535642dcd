from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand, CommandError

from clinic.demo import DEMO_DOMAIN, demo_totp_secret


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (demo accounts only)."

    def add_arguments(self, parser):
        parser.add_argument("email", help=f"a demo account, e.g. frontdesk@{DEMO_DOMAIN}")

    def handle(self, *args, email, **options):
        email = email.strip().lower()
        if not email.endswith("@" + DEMO_DOMAIN):
            raise CommandError(f"Only demo accounts (@{DEMO_DOMAIN}) have a known secret.")
        import time

        from allauth.mfa import app_settings

        counter = int(time.time()) // app_settings.TOTP_PERIOD
        code = format_hotp_value(hotp_value(demo_totp_secret(email), counter))
        left = app_settings.TOTP_PERIOD - int(time.time()) % app_settings.TOTP_PERIOD
        self.stdout.write(code)
        self.stderr.write(f"(valid for about {left} more seconds)")
