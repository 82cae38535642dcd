"""Calendar files parsed back with icalendar: stable UID, DTSTAMP, UTC times, SEQUENCE that
grows with each reschedule, METHOD REQUEST then CANCEL; and nothing clinical in them (S13)."""

import datetime as dt

import pytest
from icalendar import Calendar

from clinic.notify.models import Message
from patients.calendar import Method, appointment_ics
from patients.services.booking import appointment_book, appointment_cancel, appointment_reschedule
from tests.conftest import local_time

pytestmark = pytest.mark.django_db
TUESDAY = dt.date(2026, 3, 3)


def event_of(ics: str | bytes):
    cal = Calendar.from_ical(ics)
    (event,) = cal.walk("VEVENT")
    return cal, event


def test_ics_round_trip_through_booking_reschedule_and_cancel(booking_world, frozen_now):
    world = booking_world
    world.ctype.name = "Botox review for CANARY-DIAGNOSIS"
    world.ctype.save()
    appt = appointment_book(
        patient=world.patient,
        consultation_type=world.ctype,
        specialist=world.specialist,
        start=local_time(TUESDAY, 9),
        booked_by=world.patient.user,
    )
    appointment_reschedule(appointment=appt, start=local_time(TUESDAY, 10), by=world.patient.user)
    appt.refresh_from_db()
    appointment_reschedule(appointment=appt, start=local_time(TUESDAY, 11), by=world.patient.user)
    appt.refresh_from_db()
    appointment_cancel(appointment=appt, by=world.patient.user)

    files = {
        m.purpose + str(i): m.attachments[0]["content"]
        for i, m in enumerate(Message.objects.order_by("pk"))
    }
    parsed = [event_of(content) for content in files.values()]
    methods = [str(cal["METHOD"]) for cal, _ in parsed]
    assert methods == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert len({str(ev["UID"]) for _, ev in parsed}) == 1  # one UID for life
    assert [int(ev["SEQUENCE"]) for _, ev in parsed] == [0, 1, 2, 3]
    starts = [ev.decoded("DTSTART") for _, ev in parsed]
    assert starts[0] == local_time(TUESDAY, 9) and starts[2] == local_time(TUESDAY, 11)
    for _cal, ev in parsed:
        assert ev.decoded("DTSTART").utcoffset() == dt.timedelta(0)  # UTC
        assert ev.decoded("DTEND").tzinfo is not None
        assert ev.decoded("DTSTAMP") == frozen_now
        assert str(ev["ORGANIZER"]).startswith("mailto:")
        assert str(ev["ATTENDEE"]) == f"mailto:{world.patient.user.email}"
    assert str(parsed[-1][1]["STATUS"]) == "CANCELLED"
    for content in files.values():
        assert "CANARY" not in content and "Botox" not in content
    for message in Message.objects.all():
        assert "CANARY" not in message.subject + message.body_text + message.body_html


def test_download_is_publish_with_the_same_uid(booking_world, frozen_now):
    appt = appointment_book(
        patient=booking_world.patient,
        consultation_type=booking_world.ctype,
        specialist=booking_world.specialist,
        start=local_time(TUESDAY, 9),
        booked_by=booking_world.patient.user,
    )
    cal, event = event_of(appointment_ics(appt))
    assert str(cal["METHOD"]) == Method.PUBLISH
    assert str(event["UID"]) == appt.ics_uid
    assert "ORGANIZER" not in event
    assert int(event["SEQUENCE"]) == 0
