"""A small clinic for the access matrix: patient A with a record of every kind, patient B,
a guardian with a child, and one person in every staff role."""

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from clinic.accounts.roles import Role


def build_world():
    from patients.models import BookingPolicy, Patient
    from patients.services.booking import appointment_book, time_off_add
    from tests.conftest import local_time
    from tests.factories import (
        ConsultationTypeFactory,
        SpecialistFactory,
        UserFactory,
        make_screen,
        working_week,
    )
    from tests.treatments.test_views import today_ion
    from treatments.services import note_create, plan_assign
    from treatments.services.feeds import calendar_feed_create

    users = SimpleNamespace(
        patient_a=UserFactory(email="a@example.com", first_name="Ann", role=Role.PATIENT),
        patient_b=UserFactory(email="b@example.com", first_name="Ben", role=Role.PATIENT),
        guardian=UserFactory(email="g@example.com", first_name="Gina", role=Role.PATIENT),
        staff=UserFactory(email="s@example.com", role=Role.STAFF),
        specialist=UserFactory(email="d@example.com", role=Role.SPECIALIST),
        privacy=UserFactory(email="p@example.com", role=Role.PRIVACY_OFFICER),
        admin=UserFactory(email="root@example.com"),
    )
    users.admin.is_staff = users.admin.is_superuser = True
    users.admin.save()

    BookingPolicy().save()
    specialist = SpecialistFactory(user=users.specialist, display_name="Dr. Dana")
    working_week(specialist)
    ctype = ConsultationTypeFactory(name="First consultation", duration_minutes=30)
    born = dt.date(1990, 1, 1)
    a = Patient.objects.create(user=users.patient_a, legal_name="Ann A", date_of_birth=born)
    b = Patient.objects.create(user=users.patient_b, legal_name="Ben B", date_of_birth=born)
    Patient.objects.create(user=users.guardian, legal_name="Gina G", date_of_birth=born)
    child = Patient.objects.create(
        guardian=users.guardian, legal_name="Cleo G", date_of_birth=dt.date(2015, 6, 1)
    )

    day = timezone.localdate() + dt.timedelta(days=5)
    appointment = appointment_book(
        patient=a, consultation_type=ctype, start=local_time(day, 10), booked_by=users.patient_a
    )
    screen = make_screen(a, areas={"palmar": 3})
    plan = plan_assign(patient_id=a.pk, items=[today_ion()], user=users.specialist)
    note = note_create(
        patient_id=a.pk, visit_date=timezone.localdate(), text="Visit", user=users.specialist
    )
    feed = calendar_feed_create(patient=a, user=users.patient_a)
    time_off = time_off_add(
        specialist=specialist,
        start=local_time(day + dt.timedelta(days=20), 9),
        end=local_time(day + dt.timedelta(days=20), 12),
        created_by=users.staff,
    )
    # Progress tracking (issue 7): a session, its log with a side effect, and the flag it raised
    # (rows made directly: the plan may start tomorrow in the patient's zone).
    from treatments.models import Flag, PlannedSession, SessionLog

    session = PlannedSession.objects.filter(plan=plan, kind="session").order_by("day").first()
    log = SessionLog.objects.create(
        patient=a,
        plan=plan,
        planned_session=None,
        item=session.item,
        status="done",
        day=session.day,
        minutes=20,
        current_ma=12,
        areas=["palmar"],
        side_effects=["redness"],
        logged_by=users.patient_a,
    )
    flag = Flag.objects.create(
        patient=a,
        plan=plan,
        kind=Flag.Kind.SIDE_EFFECT,
        severity=Flag.Severity.INFO,
        key=f"log:{log.pk}:redness",
        detail="Redness.",
        session_log=log,
        raised_at=timezone.now(),
    )
    objects = SimpleNamespace(
        a=a,
        session=session,
        log=log,
        flag=flag,
        b=b,
        child=child,
        appointment=appointment,
        screen=screen,
        intake=screen.intake,
        plan=plan,
        note=note,
        feed=feed,
        specialist=specialist,
        ctype=ctype,
        time_off=time_off,
    )
    return users, objects
