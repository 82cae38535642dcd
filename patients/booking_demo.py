"""Demo booking data: the policy, consultation types, the demo specialists with working hours
and a holiday, a few booked appointments and one completed visit. Idempotent.

Maria (maria@demo…) has no appointment, so she can book right away, and a dependant child."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from clinic.accounts.models import User
from clinic.demo import DEMO_DOMAIN

from .models import (
    Appointment,
    AppointmentChange,
    AppointmentKind,
    AppointmentStatus,
    BookingPolicy,
    ConsultationType,
    Patient,
    Specialist,
    TimeOff,
    WorkingHours,
)
from .selectors.booking import (
    availability_load,
    clinic_today,
    clinic_tz,
    local_to_utc,
    slots_for_days,
)
from .services.booking import BookingError, appointment_book

T = datetime.time

# Names, descriptions and bios are shown to patients through {% translate %}: the demo's are in
# the catalog, so they read in Spanish too (a clinic's own wording shows as entered).
TYPES = [
    # name, description, minutes, buffer, new patients online
    (
        gettext_noop("First consultation"),
        gettext_noop("For new patients: we talk about your sweating and what can help."),
        45,
        15,
        True,
    ),
    (
        gettext_noop("Follow-up"),
        gettext_noop("For patients we have seen: review how things are going."),
        20,
        10,
        False,
    ),
    (
        gettext_noop("Second opinion"),
        gettext_noop("You have had treatment elsewhere and want our view."),
        30,
        10,
        True,
    ),
]

MORNING_AFTERNOON = [(T(9), T(12, 30)), (T(13, 30), T(17))]
SPECIALISTS = [
    # local part, display name, bio, {weekday: ranges}
    (
        "dr.ng",
        "Dr. Helen Ng",
        gettext_noop("Dermatologist with 15 years' experience in hyperhidrosis and iontophoresis."),
        {d: MORNING_AFTERNOON for d in range(5)},
    ),
    (
        "dr.okafor",
        "Dr. Daniel Okafor",
        gettext_noop("Dermatologist; sees adults and teenagers, including Saturday mornings."),
        {
            0: [(T(8, 30), T(12)), (T(13), T(16, 30))],
            2: [(T(8, 30), T(12)), (T(13), T(16, 30))],
            3: [(T(8, 30), T(12)), (T(13), T(16, 30))],
            5: [(T(9), T(13))],
        },
    ),
    (
        "dr.silva",
        "Dr. Marta Silva",
        gettext_noop("Dermatologist with a special interest in underarm and facial sweating."),
        {d: [(T(10), T(13)), (T(14), T(18))] for d in (1, 3, 4)},
    ),
]

# Demo patients with an upcoming appointment: (local part, specialist, type, days ahead).
BOOKINGS = [
    ("james", "dr.ng", "First consultation", 2),
    ("aisha", "dr.silva", "First consultation", 3),
    ("kenji", "dr.okafor", "Second opinion", 4),
    ("sofia", "dr.ng", "First consultation", 6),
]


def _user(local: str) -> User | None:
    return User.objects.filter(email=f"{local}@{DEMO_DOMAIN}").first()


def build(log):
    if not BookingPolicy.objects.filter(pk=1).exists():
        BookingPolicy().save()
        log("booking policy (defaults)")
    types = {}
    for position, (name, description, minutes, buffer, online) in enumerate(TYPES):
        types[name], created = ConsultationType.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "duration_minutes": minutes,
                "buffer_after_minutes": buffer,
                "new_patients_online": online,
                "position": position,
            },
        )
        if created:
            log(f"consultation type {name}")
    specialists = {}
    for position, (local, display, bio, week) in enumerate(SPECIALISTS):
        user = _user(local)
        if user is None:
            continue
        specialist, created = Specialist.objects.get_or_create(
            user=user, defaults={"display_name": display, "bio": bio, "position": position}
        )
        specialists[local] = specialist
        if created or not specialist.working_hours.exists():
            WorkingHours.objects.bulk_create(
                WorkingHours(specialist=specialist, weekday=d, start=s, end=e)
                for d, ranges in week.items()
                for s, e in ranges
            )
            log(f"specialist {display} with working hours")
    today = clinic_today()
    silva = specialists.get("dr.silva")
    if silva is not None and not silva.time_off.exists():
        first = today + datetime.timedelta(days=21)
        TimeOff.objects.create(
            specialist=silva,
            start=local_to_utc(first, T(0), clinic_tz()),
            end=local_to_utc(first + datetime.timedelta(days=7), T(0), clinic_tz()),
            reason="Annual leave",
        )
        log("a week of leave for Dr. Silva")
    staff = _user("frontdesk")
    for local, doctor, type_name, days_ahead in BOOKINGS:
        user, specialist = _user(local), specialists.get(doctor)
        patient = Patient.objects.filter(user=user).first() if user else None
        if patient is None or specialist is None or patient.appointments.exists():
            continue
        avail = availability_load(
            consultation_type=types[type_name], specialist=specialist, for_staff=True
        )
        first = today + datetime.timedelta(days=days_ahead)
        slots = slots_for_days(avail, first, first + datetime.timedelta(days=14))
        slot = next((s[len(s) // 3] for _, s in sorted(slots.items()) if s), None)
        if slot is None:
            continue
        try:
            appointment_book(
                patient=patient,
                consultation_type=types[type_name],
                specialist=specialist,
                start=slot.start,
                booked_by=staff,
                for_staff=True,
                notify=False,
            )
            log(f"appointment for {user.email}")
        except BookingError as exc:
            log(f"could not book for {user.email}: {exc}")
    _past_visit(log, specialists.get("dr.ng"), types["First consultation"], staff)
    _dependant(log)
    return []


def _past_visit(log, specialist, ctype, staff):
    """Omar was seen ten days ago (so he may book a follow-up online)."""
    user = _user("omar")
    patient = Patient.objects.filter(user=user).first() if user else None
    if patient is None or specialist is None or patient.appointments.exists():
        return
    day = clinic_today() - datetime.timedelta(days=10)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    start = local_to_utc(day, T(10), clinic_tz())
    if start >= timezone.now():
        return
    appointment = Appointment.objects.create(
        kind=AppointmentKind.CONSULTATION,
        patient=patient,
        specialist=specialist,
        consultation_type=ctype,
        start=start,
        end=start + ctype.duration,
        blocked_until=start + ctype.duration + ctype.buffer,
        status=AppointmentStatus.COMPLETED,
        booked_by=staff,
    )
    AppointmentChange.objects.create(
        appointment=appointment,
        action=AppointmentChange.Action.BOOKED,
        version=1,
        by=staff,
        new_start=start,
        new_specialist=specialist,
    )
    AppointmentChange.objects.create(
        appointment=appointment, action=AppointmentChange.Action.COMPLETED, version=1, by=staff
    )
    log(f"a completed consultation for {user.email}")


def _dependant(log):
    """Maria is the mother of Lucas (12), whom she can book for."""
    user = _user("maria")
    if user is None or Patient.objects.filter(guardian=user).exists():
        return
    today = clinic_today()
    Patient.objects.create(
        guardian=user,
        legal_name="Lucas Lopez",
        preferred_name="Lucas",
        date_of_birth=today.replace(year=today.year - 12, day=1),
    )
    log(f"dependant Lucas for {user.email}")
