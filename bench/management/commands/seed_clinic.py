"""``manage.py seed_clinic --patients 10000 --seed 42``: the benchmark's deterministic clinic.

Needs ``DJANGO_SETTINGS_MODULE=bench.settings`` (the bench app) and PostgreSQL."""

import datetime

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from bench.seed import STEPS, AlreadySeeded, seed_clinic


class Command(BaseCommand):
    help = "Build a large deterministic clinic (COPY, one shared password hash, then ANALYZE)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--anchor",
            type=datetime.date.fromisoformat,
            default=None,
            help="'today' of the seeded clinic, YYYY-MM-DD (default: today)",
        )
        parser.add_argument(
            "--flush", action="store_true", help="empty the database first (manage.py flush)"
        )

    def handle(self, *args, patients, seed, anchor, flush, **options):
        if patients < 1:
            raise CommandError("--patients must be at least 1")
        if flush:
            call_command("flush", interactive=False, verbosity=0)
        self.stdout.write(
            f"Seeding {patients:,} patients (seed {seed}); steps: "
            + ", ".join(s.name for s in STEPS)
        )
        try:
            result = seed_clinic(patients=patients, seed=seed, anchor=anchor, log=self.stdout.write)
        except AlreadySeeded as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Seeded in {result['seconds']:.1f} s"))
