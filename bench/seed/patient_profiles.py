"""Seeded patient profiles: one per patient login, plus children whose guardian is a patient."""

import datetime
import json

from patients.models import Patient

from . import SeedContext, copy_rows, reserve_ids, seed_step
from .names import FIRST_NAMES, LAST_NAMES, TIME_ZONES


def _birth_date(ctx: SeedContext, rng, low_age: int, high_age: int) -> datetime.date:
    days = rng.randrange(low_age * 365, high_age * 365)
    return ctx.anchor - datetime.timedelta(days=days)


@seed_step(20, "patients")
def patients(ctx: SeedContext) -> int:
    rng = ctx.rng
    adults = ctx.ids["patient_users"]
    children = ctx.sizes.children
    pks = reserve_ids(Patient, len(adults) + children)
    ctx.ids["patients"] = pks
    # Guardians are adult patients; each has at most one child here.
    guardians = rng.sample(adults, children) if children else []

    def rows():
        for i, pk in enumerate(pks):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            created = ctx.now - datetime.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            if i < len(adults):
                user, guardian, dob = adults[i], None, _birth_date(ctx, rng, 18, 80)
            else:
                user, guardian = None, guardians[i - len(adults)]
                dob = _birth_date(ctx, rng, 8, 18)
            yield (
                pk,
                user,
                guardian,
                f"{first} {last}",
                first if rng.random() < 0.2 else "",
                dob,
                f"+1415555{rng.randrange(10000):04d}",
                "",
                "es" if rng.random() < 0.15 else "en",
                rng.choice(TIME_ZONES),
                rng.choice(("email", "email", "email", "sms", "both")),
                datetime.time(rng.choice((7, 8, 18, 19, 20)), 0),
                datetime.time(21, 0),
                datetime.time(8, 0),
                json.dumps([]),
                created,
                created,
            )

    return copy_rows(
        Patient,
        [
            "id",
            "user",
            "guardian",
            "legal_name",
            "preferred_name",
            "date_of_birth",
            "phone",
            "contact_email",
            "preferred_language",
            "time_zone",
            "reminder_channel",
            "home_session_time",
            "quiet_hours_start",
            "quiet_hours_end",
            "reminder_opt_outs",
            "created_at",
            "updated_at",
        ],
        rows(),
    )
