"""The free-slot selector against the database: next available day, "no availability" that
terminates, time off, the appointment itself ignored while rescheduling."""

import datetime as dt

import pytest

from patients.models import Appointment, TimeOff, WorkingHours
from patients.selectors.booking import (
    availability_load,
    nearest_free_slots,
    next_available_day,
    slot_lookup,
    slots_for_days,
)
from tests.conftest import local_time
from tests.factories import PatientFactory, SpecialistFactory

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 3, 2)


def test_specialist_without_hours_has_no_availability_and_search_ends(booking_world, frozen_now):
    idle = SpecialistFactory()
    avail = availability_load(consultation_type=booking_world.ctype, specialist=idle)
    assert not avail.has_hours
    assert next_available_day(avail, MONDAY) is None
    assert slot_lookup(avail, local_time(MONDAY, 10)) == (None, False)


def test_next_available_skips_time_off_and_stops_at_the_horizon(booking_world, frozen_now):
    specialist = booking_world.specialist
    TimeOff.objects.create(
        specialist=specialist, start=local_time(MONDAY, 0), end=local_time(dt.date(2026, 3, 20), 0)
    )
    avail = availability_load(consultation_type=booking_world.ctype, specialist=specialist)
    assert next_available_day(avail, MONDAY) == dt.date(2026, 3, 20)
    # Leave covering the whole horizon: the search ends with nothing, it does not hang.
    TimeOff.objects.create(
        specialist=specialist, start=local_time(MONDAY, 0), end=local_time(dt.date(2026, 12, 1), 0)
    )
    assert next_available_day(avail, MONDAY) is None
    assert nearest_free_slots(avail, local_time(dt.date(2026, 3, 3), 9)) == []


def test_next_available_on_a_weekday_only_schedule(booking_world, frozen_now):
    WorkingHours.objects.filter(specialist=booking_world.specialist).exclude(weekday=4).delete()
    avail = availability_load(
        consultation_type=booking_world.ctype, specialist=booking_world.specialist
    )
    assert next_available_day(avail, MONDAY) == dt.date(2026, 3, 6)  # the Friday


def test_minimum_notice_applies_today(booking_world, frozen_now):
    avail = availability_load(
        consultation_type=booking_world.ctype, specialist=booking_world.specialist
    )
    today = slots_for_days(avail, MONDAY, MONDAY)[MONDAY]
    assert today[0].start == local_time(MONDAY, 10)  # 08:00 now + 2 h notice


def test_nearest_free_slots_surround_the_taken_time(booking_world, frozen_now):
    tuesday = dt.date(2026, 3, 3)
    start = local_time(tuesday, 10)
    Appointment.objects.create(
        patient=PatientFactory(),
        specialist=booking_world.specialist,
        consultation_type=booking_world.ctype,
        start=start,
        end=start + dt.timedelta(minutes=30),
        blocked_until=start + dt.timedelta(minutes=40),
    )
    avail = availability_load(
        consultation_type=booking_world.ctype, specialist=booking_world.specialist
    )
    nearest = nearest_free_slots(avail, start, limit=4)
    local = [s.start for s in nearest]
    assert local == sorted(local)
    assert start not in local
    assert all(abs((s - start).total_seconds()) <= 3600 for s in local)


def test_rescheduling_ignores_the_appointment_being_moved(booking_world, frozen_now):
    tuesday = dt.date(2026, 3, 3)
    start = local_time(tuesday, 10)
    appt = Appointment.objects.create(
        patient=booking_world.patient,
        specialist=booking_world.specialist,
        consultation_type=booking_world.ctype,
        start=start,
        end=start + dt.timedelta(minutes=30),
        blocked_until=start + dt.timedelta(minutes=40),
    )
    common = {"consultation_type": booking_world.ctype, "specialist": booking_world.specialist}
    blocked = availability_load(**common)
    moving = availability_load(**common, exclude_appointment=appt)
    target = local_time(tuesday, 10, 15)
    assert slot_lookup(blocked, target)[0] is None
    assert slot_lookup(moving, target)[0] is not None
