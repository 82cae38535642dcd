"""No booking attempt ever ends in a 500 (R1). Under load PostgreSQL may answer a booking with
an error instead of a result: a lock or statement timeout while the patient's row is held by
another booking, a no-overlap violation raised by another statement than the INSERT (here: at
COMMIT, by a deferred constraint), a deadlock or serialization failure anywhere, no free
connection. Each is provoked here for real (or, for a deadlock at a statement that cannot
deadlock on demand, raised as psycopg raises it): the patient gets the "just taken" page or a
kind "please try again" (503), never an error page, and nothing is half-written."""

import datetime as dt
import threading

import psycopg.errors
import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from clinic.notify.models import Message, Reminder
from patients.forms.booking import format_start
from patients.models import Appointment, Patient
from tests.conftest import local_time
from tests.factories import PatientFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's locks and constraints"
    ),
]
TUESDAY = dt.date(2026, 3, 3)


def _post(world, start):
    client = Client(raise_request_exception=False)
    client.force_login(world.patient.user)
    data = {
        "type": world.ctype.pk,
        "who": world.specialist.pk,
        "start": format_start(start),
        "patient": world.patient.pk,
    }
    return client.post(reverse("booking:confirm"), data)


def _nothing_written():
    assert Appointment.objects.count() == 0
    assert Reminder.objects.count() == 0
    assert not Message.objects.filter(purpose="appointment.booked").exists()


class _HeldPatient:
    """Another connection holds the patient's row (as a long booking of theirs would)."""

    def __init__(self, patient_id):
        self.patient_id = patient_id
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                Patient.objects.select_for_update().filter(pk=self.patient_id).first()
                self.locked.set()
                self.release.wait(timeout=30)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=30)


@pytest.mark.parametrize(
    "setting", ["lock_timeout", "statement_timeout"], ids=["lock-timeout", "statement-timeout"]
)
def test_a_timeout_waiting_for_the_patient_is_a_kind_try_again(booking_world, frozen_now, setting):
    start = local_time(TUESDAY, 9)
    with connection.cursor() as cursor:
        cursor.execute(f"SET {setting} = '300ms'")
    try:
        with _HeldPatient(booking_world.patient.pk):
            response = _post(booking_world, start)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"RESET {setting}")
    assert response.status_code == 503
    assert "could not confirm your time" in response.content.decode()
    assert response["Retry-After"]
    _nothing_written()
    # The time is still free: trying again books it.
    assert _post(booking_world, start).status_code == 302
    assert Appointment.objects.count() == 1


def test_the_time_taken_meanwhile_is_the_just_taken_page(booking_world, frozen_now):
    """A timeout, and by then someone else holds the time: "just taken" with the nearest."""
    start = local_time(TUESDAY, 9)
    other = PatientFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    try:
        with _HeldPatient(booking_world.patient.pk):
            Appointment.objects.create(
                patient=other,
                specialist=booking_world.specialist,
                consultation_type=booking_world.ctype,
                start=start,
                end=start + dt.timedelta(minutes=30),
                blocked_until=start + dt.timedelta(minutes=40),
            )
            response = _post(booking_world, start)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert response.status_code == 409
    assert "just taken" in response.content.decode()
    assert Appointment.objects.get().patient == other


def test_a_no_overlap_violation_at_commit_is_the_just_taken_page(
    booking_world, frozen_now, monkeypatch
):
    """The specialist's constraint made DEFERRABLE INITIALLY DEFERRED: the violation comes
    at COMMIT, outside the INSERT's own handler (the re-check switched off to get there)."""
    import patients.services.booking as services
    from patients.selectors.booking import Slot

    start = local_time(TUESDAY, 9)
    end = start + dt.timedelta(minutes=30)
    Appointment.objects.create(
        patient=PatientFactory(),
        specialist=booking_world.specialist,
        consultation_type=booking_world.ctype,
        start=start,
        end=end,
        blocked_until=end,
    )
    monkeypatch.setattr(
        services,
        "slot_check",
        lambda avail, when, patient_id=None: (
            Slot(start, end, (booking_world.specialist.pk,)),
            True,
            False,
        ),
    )
    name = services.SPECIALIST_OVERLAP_CONSTRAINT
    definition = (
        "EXCLUDE USING gist (specialist_id WITH =, "
        "tstzrange(\"start\", \"blocked_until\", '[)') WITH &&) WHERE (status <> 'cancelled')"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE patients_appointment DROP CONSTRAINT {name}")
        cursor.execute(
            f"ALTER TABLE patients_appointment ADD CONSTRAINT {name} {definition} "
            "DEFERRABLE INITIALLY DEFERRED"
        )
    try:
        response = _post(booking_world, start)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE patients_appointment DROP CONSTRAINT {name}")
            cursor.execute(f"ALTER TABLE patients_appointment ADD CONSTRAINT {name} {definition}")
    assert response.status_code == 409
    assert "just taken" in response.content.decode()
    assert Appointment.objects.count() == 1  # the first one only
    assert Reminder.objects.count() == 0


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.DeadlockDetected,
        psycopg.errors.SerializationFailure,
        psycopg.errors.TooManyConnections,
    ],
)
def test_a_deadlock_or_serialization_failure_anywhere_is_a_kind_try_again(
    booking_world, frozen_now, monkeypatch, error
):
    """Raised as psycopg raises it, at a statement with no handler of its own: the reminders'
    INSERT, after the appointment's."""
    import clinic.notify.services as notify

    def fail(**kwargs):
        raise OperationalError(error.__name__) from error(error.__name__)

    monkeypatch.setattr(notify, "_reminders_write", fail)
    response = _post(booking_world, local_time(TUESDAY, 9))
    assert response.status_code == 503
    assert "could not confirm your time" in response.content.decode()
    _nothing_written()


def test_a_real_bug_is_still_an_error(booking_world, frozen_now, monkeypatch):
    """Only contention is turned into a kind page: anything else stays a 500 for staff to see."""
    import clinic.notify.services as notify

    def fail(**kwargs):
        raise OperationalError("syntax") from psycopg.errors.SyntaxError("syntax")

    monkeypatch.setattr(notify, "_reminders_write", fail)
    response = _post(booking_world, local_time(TUESDAY, 9))
    assert response.status_code == 500
    _nothing_written()


def test_no_free_connection_before_the_view_is_a_kind_503(booking_world, frozen_now, monkeypatch):
    """Out of connections already in the session middleware (no view ran): the error page
    says "busy, try again" with a 503 and Retry-After, not a 500."""
    from django.contrib.sessions.backends.db import SessionStore

    def no_connection(self):
        raise OperationalError("too many clients") from psycopg.errors.TooManyConnections(
            "sorry, too many clients already"
        )

    client = Client(raise_request_exception=False)
    client.force_login(booking_world.patient.user)
    monkeypatch.setattr(SessionStore, "load", no_connection)
    response = client.post(reverse("booking:confirm"), {})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.content.decode()
    _nothing_written()
