"""Demo in-clinic treatment, made through the real services: Chloe (feet; her IUD answer was
corrected by the nurse) is cleared and Dr Ng assigns iontophoresis for the feet in the clinic,
Mon/Wed/Fri at 09:00 from tomorrow — so the clinic calendar shows treatment visits next to
consultations, and the plan's calendar and Chloe's "My treatment" show their times."""

import datetime
from decimal import Decimal

from django.utils import timezone

from clinic.accounts.models import User
from clinic.demo import DEMO_DOMAIN
from patients.models import Patient, Screen, Specialist
from patients.selectors.booking import clinic_today
from patients.services.screens import screen_review

from .models import Plan
from .services import ItemSpec, PlanError, plan_assign
from .services.plans import latest_screen


def build(log):
    nurse = User.objects.filter(email=f"nurse@{DEMO_DOMAIN}").first()
    doctor = User.objects.filter(email=f"dr.ng@{DEMO_DOMAIN}").first()
    chloe = Patient.objects.filter(user__email=f"chloe@{DEMO_DOMAIN}").first()
    if nurse is None or doctor is None or chloe is None:
        return []
    if Plan.objects.filter(patient=chloe).exists():
        return []
    clinician = Specialist.objects.filter(user=doctor).first()
    screen = latest_screen(chloe.pk)
    if clinician is None or screen is None:
        return []
    if screen.status == Screen.Status.SUBMITTED:
        screen_review(
            screen_id=screen.pk,
            outcome=Screen.Outcome.CLEARED,
            note="Hormonal IUD confirmed by phone; nothing in the feet's current path.",
            message_to_patient="",
            user=nurse,
        )
    start = clinic_today() + datetime.timedelta(days=1)
    try:
        plan_assign(
            patient_id=chloe.pk,
            items=[
                ItemSpec(
                    treatment="iontophoresis",
                    areas=("plantar",),
                    setting="clinic",
                    clinic_time=datetime.time(9),
                    clinician_id=clinician.pk,
                    session_minutes=25,
                    current_ma=Decimal("15"),
                    sessions_per_week=3,
                    initial_weeks=4,
                    weekdays=(0, 2, 4),
                    maintenance_interval_weeks=2,
                    start_date=start,
                    water="tap",
                    review_date=start + datetime.timedelta(weeks=4, days=1),
                )
            ],
            user=doctor,
            now=timezone.now(),
        )
    except PlanError as exc:  # e.g. a demo consultation already holds 09:00 that day
        log(f"no in-clinic plan for chloe: {exc}")
        return []
    log("in-clinic iontophoresis plan for chloe (Dr Ng, 09:00, treatment visits booked)")
    return []
