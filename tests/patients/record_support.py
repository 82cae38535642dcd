"""A patient's whole record, made through the real services, full of canary strings: for the
FHIR export and the retention purge tests."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.test import RequestFactory
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.audit.services import access_record
from clinic.notify.models import Reminder
from clinic.notify.services import message_queue
from patients.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Patient,
    Screen,
)
from patients.selectors.booking import clinic_today
from patients.services.profile import patient_add_dependant
from patients.services.screens import screen_correct, screen_review
from tests.factories import ConsultationTypeFactory, SpecialistFactory, UserFactory
from tests.patients.intake_support import submitted_screen

# Strings that must leave no trace anywhere once the record is purged.
CANARIES = {
    "name": "Zelda Quokkaberg",
    "email": "zelda.quokka@example.com",
    "phone": "+14155550777",
    "conditions": "CANARY-CONDITION-kidney-stones",
    "medications": "CANARY-MEDS-propantheline",
    "plan_reason": "CANARY-REASON-first-line",
    "note": "CANARY-NOTE-visit summary",
    "search": "Quokkaberg",
    "session": "CANARY-SESSION-felt fine",
}


@dataclass
class Record:
    patient: Patient
    user: object
    specialist_user: object
    staff_user: object
    appointments: list = field(default_factory=list)
    screen: Screen | None = None
    plan: object = None


def make_appointment(patient, specialist, ctype, start, status=AppointmentStatus.BOOKED, **kw):
    end = start + datetime.timedelta(minutes=30)
    return Appointment.objects.create(
        kind=AppointmentKind.CONSULTATION,
        patient=patient,
        specialist=specialist,
        consultation_type=ctype,
        start=start,
        end=end,
        blocked_until=end,
        status=status,
        booked_by=patient.user or patient.guardian,
        **kw,
    )


def build_full_record(*, email=None, name=None, with_plan=True) -> Record:
    """Ann-like patient with a login: profile, four appointments (booked, cancelled,
    completed, no-show), a submitted and reviewed questionnaire with consent, a plan in two
    versions with sessions, a consultation note, a calendar feed, a staff read in the access
    log (with a search query in its address) and an outbox message."""
    from tests.treatments.conftest import ion, other
    from treatments.services import (
        calendar_feed_create,
        note_create,
        plan_assign,
        plan_change,
    )

    user = UserFactory(email=email or CANARIES["email"], role=Role.PATIENT)
    patient = Patient.objects.create(
        user=user,
        legal_name=name or CANARIES["name"],
        preferred_name="Zee",
        date_of_birth=datetime.date(1990, 5, 17),
        phone=CANARIES["phone"],
    )
    specialist_user = UserFactory(role=Role.SPECIALIST)
    staff_user = UserFactory(role=Role.STAFF)
    specialist = SpecialistFactory(user=specialist_user, display_name="Dr. Test")
    ctype = ConsultationTypeFactory(name="First consultation")
    now = timezone.now()
    record = Record(patient, user, specialist_user, staff_user)
    record.appointments = [
        make_appointment(patient, specialist, ctype, now + datetime.timedelta(days=10)),
        make_appointment(
            patient,
            specialist,
            ctype,
            now + datetime.timedelta(days=12),
            status=AppointmentStatus.CANCELLED,
            cancel_reason="Could not come",
        ),
        make_appointment(
            patient,
            specialist,
            ctype,
            now - datetime.timedelta(days=30),
            status=AppointmentStatus.COMPLETED,
        ),
        make_appointment(
            patient,
            specialist,
            ctype,
            now - datetime.timedelta(days=60),
            status=AppointmentStatus.NO_SHOW,
        ),
    ]
    screen = submitted_screen(
        patient,
        user,
        signed_name=patient.legal_name,
        areas={"palmar": 3, "plantar": 0, "axillary": 2, "craniofacial": 0, "generalized": "no"},
        skin={"palmar": "intact", "axillary": "intact"},
        conditions={"other_text": CANARIES["conditions"]},
        medications={"list_text": CANARIES["medications"]},
    )
    # A staff correction: a second screen supersedes the first (both kept).
    corrected = screen_correct(
        screen_id=screen.pk,
        field="onset_age",
        value=15,
        reason="Said 15 on the phone",
        user=staff_user,
    )
    record.screen = screen_review(
        screen_id=corrected.pk, outcome="cleared", note="", message_to_patient="", user=staff_user
    )
    if with_plan:
        start = clinic_today()
        # Three days a week, today among them: a session is due today and can be logged.
        days = tuple(
            sorted({start.weekday(), (start.weekday() + 2) % 7, (start.weekday() + 4) % 7})
        )
        plan = plan_assign(
            patient_id=patient.pk,
            items=[
                ion(
                    start_date=start,
                    weekdays=days,
                    review_date=start + datetime.timedelta(weeks=4),
                )
            ],
            user=specialist_user,
        )
        plan_change(
            plan_id=plan.pk,
            items=[
                ion(
                    start_date=start,
                    weekdays=days,
                    current_ma=Decimal("15"),
                    review_date=start + datetime.timedelta(weeks=4),
                ),
                other(
                    "aluminium_chloride",
                    start_date=start,
                    review_date=start + datetime.timedelta(weeks=4),
                ),
            ],
            reason=CANARIES["plan_reason"],
            user=specialist_user,
        )
        plan.refresh_from_db()
        record.plan = plan
        note_create(
            patient_id=patient.pk,
            visit_date=timezone.localdate(),
            text=CANARIES["note"],
            user=specialist_user,
        )
        calendar_feed_create(patient=patient, user=user)
        # Tracking: an HDSS check-in from the patient, one recorded at a consultation, and a
        # logged home session.
        from treatments.progress_data import treated_areas
        from treatments.services.tracking import LogEntry, checkin_record, session_log_create

        treated = list(treated_areas(record.plan.current_version.items.all()))
        checkin_record(
            user=user,
            patient_id=patient.pk,
            scores={a: 3 for a in treated},
            dryness={treated[0]: 4},
        )
        checkin_record(
            user=specialist_user,
            patient_id=patient.pk,
            scores={a: 2 for a in treated},
            source="consultation",
            day=clinic_today() - datetime.timedelta(days=1),
        )
        session_log_create(
            user=user,
            patient_id=patient.pk,
            entry=LogEntry(
                day=clinic_today(),
                minutes=20,
                current_ma=Decimal("12.5"),
                areas=("palmar",),
                side_effects=("tingling",),
                notes=CANARIES["session"],
            ),
        )
    request = RequestFactory().get(f"/staff/calendar/patients/?q={CANARIES['search']}")
    request.user = staff_user
    request.request_id = "req-canary"
    access_record(request=request, obj=patient, patient=patient)
    Reminder.objects.create(
        kind="test.visit",
        target_label="patients.patient",  # a reminder about the person, not one appointment
        target_id=str(patient.pk),
        person_label="patients.patient",
        person_id=str(patient.pk),
        channel="email",
        recipient=user.email,
        scheduled_for=now + datetime.timedelta(days=9),
        due_at=now + datetime.timedelta(days=9),
    )
    message_queue(
        purpose="test.reminder",
        recipient=user.email,
        subject="Your visit",
        body_text=f"Hello {patient.legal_name}",
    )
    return record


def add_dependant(guardian_user, *, name="Mia Quokkaberg", dob=None):
    return patient_add_dependant(
        guardian=guardian_user,
        legal_name=name,
        date_of_birth=dob or (timezone.localdate() - datetime.timedelta(days=365 * 9)),
    )
