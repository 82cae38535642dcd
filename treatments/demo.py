"""Demo treatment plans, made through the real services:

- Kenji (reviewed and cleared: knee replacement, so iontophoresis for the hands only): an
  active plan assigned by Dr Ng three weeks ago — home iontophoresis for the hands on Mon/Wed/Fri,
  aluminium chloride for the feet — with its session calendar and a visit summary;
- Omar (hands and feet, cleared) and Noah (underarms, cleared): screened and reviewed, ready
  for a plan.
"""

import datetime
import zoneinfo
from decimal import Decimal

from django.utils import timezone

from clinic.accounts.models import User
from clinic.demo import DEMO_DOMAIN
from patients.demo_intake import _answers, _fill
from patients.models import Patient, Screen
from patients.services.intake import intake_submit
from patients.services.screens import screen_review

from .models import Plan
from .services import ItemSpec, note_create, plan_assign, plan_sessions_sync

READY = [
    ("omar", {"areas": {"palmar": 3, "plantar": 3}}),
    ("noah", {"areas": {"axillary": 3}, "onset": 15}),
]


def _user(local: str) -> User | None:
    return User.objects.filter(email=f"{local}@{DEMO_DOMAIN}").first()


def _patient(local: str) -> Patient | None:
    return Patient.objects.filter(user__email=f"{local}@{DEMO_DOMAIN}").first()


def _screen_and_clear(patient: Patient, options: dict, nurse: User) -> None:
    intake = _fill(patient, patient.user, _answers(dob=patient.date_of_birth, **options))
    screen = intake_submit(intake_id=intake.pk, user=patient.user, signed_name=patient.legal_name)
    screen_review(
        screen_id=screen.pk,
        outcome=Screen.Outcome.CLEARED,
        note="Primary focal hyperhidrosis; nothing to work up. Ready for the specialist.",
        message_to_patient="",
        user=nurse,
    )


def build(log):
    nurse, doctor = _user("nurse"), _user("dr.ng")
    if nurse is None or doctor is None:
        return []
    for local, options in READY:
        patient = _patient(local)
        if patient is None or patient.date_of_birth is None or patient.intakes.exists():
            continue
        _screen_and_clear(patient, options, nurse)
        log(f"reviewed screen for {local}, ready for a plan")

    kenji = _patient("kenji")
    if kenji is None or Plan.objects.filter(patient=kenji).exists():
        return []
    screen = kenji.screens.exclude(status=Screen.Status.SUPERSEDED).first()
    if screen is None or screen.outcome != Screen.Outcome.CLEARED:
        return []
    now = timezone.now()
    # Assigned at a consultation on the Monday about three weeks ago, starting that day (so
    # the tracking demo has three weeks of sessions and check-ins to show).
    zone = zoneinfo.ZoneInfo(kenji.time_zone)
    start_day = (now - datetime.timedelta(days=18)).astimezone(zone).date()
    start_day -= datetime.timedelta(days=start_day.weekday())
    started = datetime.datetime.combine(start_day, datetime.time(9), tzinfo=zone)
    plan = plan_assign(
        patient_id=kenji.pk,
        items=[
            ItemSpec(
                treatment="iontophoresis",
                areas=("palmar",),
                setting="home",
                session_minutes=20,
                current_ma=Decimal("14"),
                sessions_per_week=3,
                initial_weeks=4,
                weekdays=(0, 2, 4),
                maintenance_interval_weeks=1,
                start_date=start_day,
                water="tap",
                review_date=start_day + datetime.timedelta(weeks=4, days=1),
            ),
            ItemSpec(
                treatment="aluminium_chloride",
                areas=("plantar",),
                instructions=(
                    "Apply a thin layer at bedtime to completely dry soles, every night until "
                    "the sweating settles, then twice a week. Wash off in the morning."
                ),
                start_date=start_day,
                review_date=start_day + datetime.timedelta(weeks=4, days=1),
            ),
        ],
        user=doctor,
        now=started,
    )
    plan_sessions_sync(plan=plan, now=now)
    note_create(
        patient_id=kenji.pk,
        visit_date=start_day,
        text=(
            "First consultation. Palmar HDSS 4, plantar HDSS 3 since adolescence. Knee "
            "replacement (left) lies on the feet's current path: iontophoresis for the hands "
            "only, home device (Hidrex). Started at 14 mA, tolerated well in the clinic. Feet: "
            "aluminium chloride at night. Review after the initial phase."
        ),
        user=doctor,
    )
    log("active plan with a session calendar for kenji (Dr Ng)")
    return []
