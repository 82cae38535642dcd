"""Booking services: book, re-check, reschedule, cancel, outcome; the database's own
no-overlap guarantee; the outbox message written in the same transaction (R2)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from clinic.notify.models import Message
from patients.models import Appointment, AppointmentChange, AppointmentStatus, TimeOff
from patients.services.booking import (
    BookingError,
    ChangeNotAllowed,
    PatientBusy,
    SlotTaken,
    appointment_book,
    appointment_cancel,
    appointment_record_outcome,
    appointment_reschedule,
)
from tests.conftest import local_time
from tests.factories import PatientFactory, SpecialistFactory, working_week

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 3, 3)


def book(world, start, patient=None, **kwargs):
    kwargs.setdefault("specialist", world.specialist)
    return appointment_book(
        patient=patient or world.patient,
        consultation_type=world.ctype,
        start=start,
        booked_by=(patient or world.patient).user,
        **kwargs,
    )


def test_booking_a_free_slot_writes_appointment_history_and_email(booking_world, frozen_now):
    appt = book(booking_world, local_time(TUESDAY, 9))
    assert appt.status == AppointmentStatus.BOOKED
    assert appt.end - appt.start == dt.timedelta(minutes=30)
    assert appt.blocked_until - appt.end == dt.timedelta(minutes=10)
    assert appt.version == 1 and appt.booked_by == booking_world.patient.user
    assert list(appt.changes.values_list("action", flat=True)) == ["booked"]
    message = Message.objects.get(purpose="appointment.booked")
    assert message.recipient == booking_world.patient.user.email
    assert message.attachments[0]["filename"].endswith(".ics")
    assert "METHOD:REQUEST" in message.attachments[0]["content"]


def test_second_booking_of_same_slot_is_refused(booking_world, frozen_now):
    book(booking_world, local_time(TUESDAY, 9))
    other = PatientFactory()
    with pytest.raises(SlotTaken) as exc:
        book(booking_world, local_time(TUESDAY, 9), patient=other)
    assert exc.value.taken is True
    assert "just taken" in str(exc.value)
    assert Appointment.objects.count() == 1


def test_buffer_blocks_the_next_start(booking_world, frozen_now):
    book(booking_world, local_time(TUESDAY, 9))  # 09:00-09:30, buffer until 09:40
    with pytest.raises(SlotTaken):
        book(booking_world, local_time(TUESDAY, 9, 30), patient=PatientFactory())
    assert book(booking_world, local_time(TUESDAY, 9, 45), patient=PatientFactory())


def test_patient_cannot_hold_two_appointments_at_once(booking_world, frozen_now):
    other_specialist = SpecialistFactory()
    working_week(other_specialist)
    book(booking_world, local_time(TUESDAY, 9))
    with pytest.raises(PatientBusy):
        book(booking_world, local_time(TUESDAY, 9, 15), specialist=other_specialist)
    assert Appointment.objects.count() == 1


def test_any_specialist_takes_whoever_is_free(booking_world, frozen_now):
    second = SpecialistFactory()
    working_week(second)
    first = book(booking_world, local_time(TUESDAY, 10), specialist=None)
    again = book(booking_world, local_time(TUESDAY, 10), patient=PatientFactory(), specialist=None)
    assert {first.specialist_id, again.specialist_id} == {booking_world.specialist.pk, second.pk}
    with pytest.raises(SlotTaken):
        book(booking_world, local_time(TUESDAY, 10), patient=PatientFactory(), specialist=None)


@pytest.mark.parametrize(
    ("label", "start"),
    [
        ("in the past", local_time(dt.date(2026, 3, 1), 10)),
        ("inside the minimum notice", local_time(dt.date(2026, 3, 2), 9)),
        ("outside working hours", local_time(TUESDAY, 12, 30)),
        ("in the lunch break", local_time(TUESDAY, 12, 15)),
        ("not on the 15-minute grid", local_time(TUESDAY, 9, 7)),
        ("beyond the horizon", local_time(dt.date(2026, 6, 1), 9)),
    ],
)
def test_unbookable_times_are_refused_and_nothing_is_written(
    booking_world, frozen_now, label, start
):
    with pytest.raises(SlotTaken) as exc:
        book(booking_world, start)
    assert exc.value.taken is False, label
    assert "cannot be booked" in str(exc.value)
    assert Appointment.objects.count() == 0
    assert Message.objects.count() == 0


def test_naive_time_is_refused(booking_world, frozen_now):
    with pytest.raises(BookingError):
        book(booking_world, dt.datetime(2026, 3, 3, 9, 0))
    assert Appointment.objects.count() == 0


def test_time_off_makes_a_slot_unbookable(booking_world, frozen_now):
    TimeOff.objects.create(
        specialist=booking_world.specialist,
        start=local_time(TUESDAY, 0),
        end=local_time(TUESDAY + dt.timedelta(days=1), 0),
    )
    with pytest.raises(SlotTaken):
        book(booking_world, local_time(TUESDAY, 9))


def test_staff_may_book_inside_the_minimum_notice(booking_world, frozen_now, staff_user):
    appt = appointment_book(
        patient=booking_world.patient,
        consultation_type=booking_world.ctype,
        specialist=booking_world.specialist,
        start=local_time(dt.date(2026, 3, 2), 9),
        booked_by=staff_user,
        for_staff=True,
    )
    assert appt.booked_by == staff_user and appt.patient == booking_world.patient


def test_failure_after_the_insert_leaves_no_booking_and_no_message(
    booking_world, frozen_now, monkeypatch
):
    """R2: the booking and its email are one transaction."""
    import patients.services.booking as services

    def explode(**kwargs):
        raise RuntimeError("crash after the insert")

    monkeypatch.setattr(services, "appointment_notify", explode)
    with pytest.raises(RuntimeError):
        book(booking_world, local_time(TUESDAY, 9))
    assert Appointment.objects.count() == 0
    assert AppointmentChange.objects.count() == 0
    assert Message.objects.count() == 0


def test_reschedule_moves_bumps_version_and_keeps_history(booking_world, frozen_now):
    appt = book(booking_world, local_time(TUESDAY, 9))
    moved = appointment_reschedule(
        appointment=appt, start=local_time(TUESDAY, 9, 15), by=booking_world.patient.user
    )
    assert moved.start == local_time(TUESDAY, 9, 15)  # overlapping its own old time is fine
    assert moved.version == 2
    change = moved.changes.get(action="rescheduled")
    assert change.old_start == local_time(TUESDAY, 9) and change.new_start == moved.start
    message = Message.objects.get(purpose="appointment.rescheduled")
    assert "SEQUENCE:1" in message.attachments[0]["content"]


def test_reschedule_into_a_taken_time_is_refused(booking_world, frozen_now):
    appt = book(booking_world, local_time(TUESDAY, 9))
    book(booking_world, local_time(TUESDAY, 11), patient=PatientFactory())
    with pytest.raises(SlotTaken):
        appointment_reschedule(
            appointment=appt, start=local_time(TUESDAY, 11), by=booking_world.patient.user
        )
    appt.refresh_from_db()
    assert appt.start == local_time(TUESDAY, 9) and appt.version == 1


def test_patient_cannot_change_after_the_cutoff_but_staff_can(
    booking_world, frozen_now, staff_user
):
    appt = book(booking_world, local_time(TUESDAY, 9))  # 25 h from now; cut-off 24 h
    late = frozen_now + dt.timedelta(hours=2)
    with pytest.raises(ChangeNotAllowed):
        appointment_cancel(appointment=appt, by=booking_world.patient.user, now=late)
    with pytest.raises(ChangeNotAllowed):
        appointment_reschedule(
            appointment=appt,
            start=local_time(TUESDAY, 14),
            by=booking_world.patient.user,
            now=late,
        )
    appointment_cancel(
        appointment=appt, by=staff_user, reason="Called in", for_staff=True, now=late
    )
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CANCELLED and appt.cancelled_by == staff_user


def test_cancel_frees_the_time_and_sends_a_calendar_cancel(booking_world, frozen_now):
    appt = book(booking_world, local_time(TUESDAY, 9))
    appointment_cancel(appointment=appt, by=booking_world.patient.user, reason="  Feeling better ")
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CANCELLED
    assert appt.cancel_reason == "Feeling better"
    message = Message.objects.get(purpose="appointment.cancelled")
    assert "METHOD:CANCEL" in message.attachments[0]["content"]
    assert book(booking_world, local_time(TUESDAY, 9), patient=PatientFactory())
    with pytest.raises(ChangeNotAllowed):
        appointment_cancel(appointment=appt, by=booking_world.patient.user)


def test_outcome_only_after_start(booking_world, frozen_now, staff_user):
    appt = book(booking_world, local_time(TUESDAY, 9))
    with pytest.raises(ChangeNotAllowed):
        appointment_record_outcome(appointment=appt, status="completed", by=staff_user)
    after = local_time(TUESDAY, 9, 40)
    appointment_record_outcome(appointment=appt, status="no_show", by=staff_user, now=after)
    appointment_record_outcome(appointment=appt, status="completed", by=staff_user, now=after)
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.COMPLETED
    assert list(appt.changes.values_list("action", flat=True)) == [
        "booked",
        "no_show",
        "completed",
    ]
    with pytest.raises(BookingError):
        appointment_record_outcome(appointment=appt, status="booked", by=staff_user, now=after)


# --- The database itself refuses overlaps (PostgreSQL) ----------------------------------------
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints exist on PostgreSQL only"
)


def _raw(world, start, minutes=30, buffer=10, patient=None, specialist=None, status="booked"):
    return Appointment.objects.create(
        patient=patient or world.patient,
        specialist=specialist or world.specialist,
        consultation_type=world.ctype,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        blocked_until=start + dt.timedelta(minutes=minutes + buffer),
        status=status,
    )


@postgres_only
def test_database_refuses_overlapping_specialist_time_including_buffer(booking_world):
    start = local_time(TUESDAY, 9)
    _raw(booking_world, start)
    with (
        pytest.raises(IntegrityError, match="appointment_specialist_no_overlap"),
        transaction.atomic(),
    ):
        _raw(booking_world, start + dt.timedelta(minutes=35), patient=PatientFactory())
    # A cancelled appointment holds no time.
    _raw(booking_world, start, patient=PatientFactory(), status="cancelled")
    assert _raw(booking_world, start + dt.timedelta(minutes=40), patient=PatientFactory())


@postgres_only
def test_database_refuses_a_patient_in_two_places(booking_world):
    other = SpecialistFactory()
    start = local_time(TUESDAY, 9)
    _raw(booking_world, start)
    with (
        pytest.raises(IntegrityError, match="appointment_patient_no_overlap"),
        transaction.atomic(),
    ):
        _raw(booking_world, start + dt.timedelta(minutes=15), specialist=other)
    # The patient's buffer is not theirs: right after the end is fine elsewhere.
    assert _raw(booking_world, start + dt.timedelta(minutes=30), specialist=other)


@postgres_only
def test_treatment_visits_share_the_no_overlap_rule(booking_world):
    start = local_time(TUESDAY, 9)
    _raw(booking_world, start)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            kind="treatment_visit",
            patient=PatientFactory(),
            specialist=booking_world.specialist,
            start=start,
            end=start + dt.timedelta(minutes=30),
            blocked_until=start + dt.timedelta(minutes=30),
        )
