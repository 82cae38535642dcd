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
    if guardians and adults[0] not in guardians:
        # The principal patient (the benchmark's login) is a guardian too: their child's
        # questionnaire is the "intake step" page.
        guardians[0] = adults[0]

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


def patient_rows(ctx: SeedContext) -> list[tuple]:
    """Every seeded patient as later steps need them (read back once, kept in ctx.shared):
    (pk, user, guardian, date_of_birth, time_zone, reminder_channel, phone,
    home_session_time, quiet_hours_start, quiet_hours_end, legal_name), in primary-key
    order."""
    if "patient_rows" not in ctx.shared:
        ctx.shared["patient_rows"] = list(
            Patient.objects.order_by("pk").values_list(
                "pk",
                "user_id",
                "guardian_id",
                "date_of_birth",
                "time_zone",
                "reminder_channel",
                "phone",
                "home_session_time",
                "quiet_hours_start",
                "quiet_hours_end",
                "legal_name",
            )
        )
    return ctx.shared["patient_rows"]


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
