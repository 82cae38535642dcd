"""Staff calendar: who may open it, access logging (S12), acting for a patient, outcomes,
working hours and time off listing affected appointments, and query counts."""

import datetime as dt

import pytest
from django.urls import reverse

from clinic.audit.models import AccessEvent
from clinic.notify.models import Message
from patients.forms.booking import format_start
from patients.models import Appointment, AppointmentStatus, TimeOff, WorkingHours
from patients.services.booking import appointment_book
from tests.conftest import local_time
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
TUESDAY = dt.date(2026, 3, 3)


def book(world, start, patient=None):
    patient = patient or world.patient
    return appointment_book(
        patient=patient,
        consultation_type=world.ctype,
        specialist=world.specialist,
        start=start,
        booked_by=patient.user,
    )


@pytest.mark.parametrize(
    "url",
    [
        "/staff/calendar/",
        "/staff/calendar/week/",
        "/staff/calendar/patients/",
        "/staff/calendar/patients/new/",
        "/staff/calendar/specialists/",
    ],
)
def test_calendar_pages_are_for_staff_and_specialists(
    django_client_factory, patient_client, staff_client, specialist_client, booking_world, url
):
    assert django_client_factory().get(url).status_code == 302
    assert patient_client.get(url).status_code == 403
    assert staff_client.get(url).status_code == 200
    assert specialist_client.get(url).status_code == 200


def test_patient_cannot_open_an_appointment_in_the_staff_calendar(
    patient_client, booking_world, frozen_now
):
    appt = book(booking_world, local_time(TUESDAY, 9))
    for name in ("calendar:appointment", "calendar:cancel", "calendar:reschedule"):
        assert patient_client.get(reverse(name, args=[appt.pk])).status_code == 403
    assert patient_client.post(reverse("calendar:cancel", args=[appt.pk])).status_code == 403
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.BOOKED


def test_day_view_shows_names_and_logs_each_read(staff_client, booking_world, frozen_now):
    appt = book(booking_world, local_time(TUESDAY, 9))
    page = staff_client.get(reverse("calendar:day"), {"date": "2026-03-03", "specialist": "all"})
    assert "Ann Example" in page.content.decode()
    event = AccessEvent.objects.get(model_label="patients.appointment")
    assert event.object_pk == str(appt.pk)
    assert event.patient_key == f"patients.patient:{booking_world.patient.pk}"
    assert event.view_name == "calendar:day"


def test_day_view_lines_link_escape_and_name_the_specialist_only_for_the_whole_clinic(
    staff_client, booking_world, frozen_now
):
    hostile = PatientFactory(legal_name='<script>alert("x")</script> Bo')
    appt = book(booking_world, local_time(TUESDAY, 10), patient=hostile)
    whole = staff_client.get(
        reverse("calendar:day"), {"date": "2026-03-03", "specialist": "all"}
    ).content.decode()
    assert '<script>alert("x")' not in whole
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Bo" in whole
    assert f'href="{reverse("calendar:appointment", args=[appt.pk])}"' in whole
    assert "10:00\u201310:30" in whole
    assert f"\u00b7 {booking_world.specialist.display_name}" in whole
    one = staff_client.get(
        reverse("calendar:day"),
        {"date": "2026-03-03", "specialist": booking_world.specialist.pk},
    ).content.decode()
    assert "Bo" in one and f"\u00b7 {booking_world.specialist.display_name}" not in one


@pytest.mark.parametrize(
    "query",
    [
        {"date": "not-a-date"},
        {"date": "2027-13-45", "specialist": "all"},
        {"specialist": "999999"},
        {"specialist": "abc"},
    ],
)
@pytest.mark.parametrize("name", ["calendar:day", "calendar:week"])
def test_calendar_filters_not_understood_are_named_and_today_shown(
    staff_client, booking_world, frozen_now, name, query
):
    page = staff_client.get(reverse(name), query)
    assert page.status_code == 200
    assert "Some filters were not understood and were ignored." in page.content.decode()
    assert "Whole clinic" in page.content.decode()


def test_good_calendar_filters_give_no_warning(staff_client, booking_world, frozen_now):
    page = staff_client.get(
        reverse("calendar:day"),
        {"date": "2026-03-03", "specialist": booking_world.specialist.pk},
    )
    assert "not understood" not in page.content.decode()


def test_appointment_page_logs_the_read(specialist_client, booking_world, frozen_now):
    appt = book(booking_world, local_time(TUESDAY, 9))
    assert specialist_client.get(reverse("calendar:appointment", args=[appt.pk])).status_code == 200
    assert AccessEvent.objects.filter(
        model_label="patients.appointment", object_pk=str(appt.pk)
    ).exists()


@pytest.mark.parametrize("rows", [1, 20])
def test_week_view_query_count_does_not_grow(
    staff_client, booking_world, frozen_now, django_assert_num_queries, rows
):
    for n in range(rows):
        start = local_time(TUESDAY + dt.timedelta(days=n % 5), 9) + dt.timedelta(
            minutes=45 * (n // 5)
        )
        Appointment.objects.create(
            patient=PatientFactory(),
            specialist=booking_world.specialist,
            consultation_type=booking_world.ctype,
            start=start,
            end=start + dt.timedelta(minutes=30),
            blocked_until=start + dt.timedelta(minutes=40),
        )
    # 1 session, 2 user, 3 the user's permissions (roles for two-factor, and the checks),
    # 4 appointments with patient, specialist and type, 5 access events (one bulk insert),
    # 6 specialists for the filter.
    with django_assert_num_queries(6):
        page = staff_client.get(
            reverse("calendar:week"), {"date": "2026-03-03", "specialist": "all"}
        )
    assert page.content.decode().count("cal-appt ") == rows


def test_staff_books_reschedules_cancels_and_records_outcome(
    staff_client, staff_user, booking_world, frozen_now
):
    patient = booking_world.patient
    start = local_time(dt.date(2026, 3, 2), 9)  # within the 2 h notice: staff may
    url = reverse("calendar:book_confirm", args=[patient.pk])
    query = {"type": booking_world.ctype.pk, "who": "any", "start": format_start(start)}
    assert "Book" in staff_client.get(url, query).content.decode()
    assert Appointment.objects.count() == 0  # GET changes nothing
    staff_client.post(url, query)
    appt = Appointment.objects.get()
    assert appt.patient == patient and appt.booked_by == staff_user

    new = local_time(dt.date(2026, 3, 2), 10)
    confirm = reverse("calendar:reschedule_confirm", args=[appt.pk])
    staff_client.post(confirm, {"start": format_start(new), "who": booking_world.specialist.pk})
    appt.refresh_from_db()
    assert appt.start == new and appt.version == 2

    with_time = local_time(dt.date(2026, 3, 2), 10, 5)
    import time_machine

    with time_machine.travel(with_time, tick=False):
        staff_client.post(reverse("calendar:outcome", args=[appt.pk]), {"status": "no_show"})
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.NO_SHOW
    changes = list(appt.changes.values_list("action", "by"))
    assert changes == [
        ("booked", staff_user.pk),
        ("rescheduled", staff_user.pk),
        ("no_show", staff_user.pk),
    ]
    assert Message.objects.filter(recipient=patient.user.email).count() == 2


def test_staff_cancel_records_who_and_why(staff_client, staff_user, booking_world, frozen_now):
    appt = book(booking_world, local_time(TUESDAY, 9))
    staff_client.get(reverse("calendar:cancel", args=[appt.pk]))
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.BOOKED
    staff_client.post(reverse("calendar:cancel", args=[appt.pk]), {"reason": "Doctor ill"})
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CANCELLED
    assert appt.cancelled_by == staff_user and appt.cancel_reason == "Doctor ill"


def test_time_off_over_appointments_lists_them(staff_client, booking_world, frozen_now):
    inside = book(booking_world, local_time(TUESDAY, 9))
    outside = book(booking_world, local_time(dt.date(2026, 3, 5), 9), patient=PatientFactory())
    response = staff_client.post(
        reverse("calendar:time_off", args=[booking_world.specialist.pk]),
        {"start_date": "2026-03-03", "end_date": "2026-03-04", "reason": "Conference"},
    )
    assert response["Location"] == reverse("calendar:affected", args=[booking_world.specialist.pk])
    entry = TimeOff.objects.get()
    assert entry.start == local_time(TUESDAY, 0) and entry.end == local_time(dt.date(2026, 3, 5), 0)
    page = staff_client.get(response["Location"]).content.decode()
    assert reverse("calendar:reschedule", args=[inside.pk]) in page
    assert reverse("calendar:reschedule", args=[outside.pk]) not in page
    # Bad input: end before start, wrong date → message, nothing written.
    bad = staff_client.post(
        reverse("calendar:time_off", args=[booking_world.specialist.pk]),
        {"start_date": "2026-03-05", "end_date": "2026-03-04"},
    )
    assert "must end after it starts" in bad.content.decode()
    staff_client.post(
        reverse("calendar:time_off", args=[booking_world.specialist.pk]),
        {"start_date": "yesterday", "end_date": "2026-03-04"},
    )
    assert TimeOff.objects.count() == 1


def test_changing_working_hours_lists_appointments_now_outside(
    staff_client, booking_world, frozen_now
):
    afternoon = book(booking_world, local_time(TUESDAY, 14))
    morning = book(booking_world, local_time(TUESDAY, 9), patient=PatientFactory())
    data = {
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "50",
        "hours-0-weekday": str(TUESDAY.weekday()),
        "hours-0-start": "08:00",
        "hours-0-end": "12:00",
    }
    response = staff_client.post(
        reverse("calendar:hours", args=[booking_world.specialist.pk]), data
    )
    assert response.status_code == 302
    hours = list(WorkingHours.objects.filter(specialist=booking_world.specialist))
    assert len(hours) == 1
    page = staff_client.get(response["Location"]).content.decode()
    assert reverse("calendar:reschedule", args=[afternoon.pk]) in page
    assert reverse("calendar:reschedule", args=[morning.pk]) not in page


def test_working_hours_bad_input_changes_nothing(staff_client, booking_world):
    before = WorkingHours.objects.count()
    base = {
        "hours-TOTAL_FORMS": "2",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "50",
    }
    url = reverse("calendar:hours", args=[booking_world.specialist.pk])
    for rows in (
        {"hours-0-weekday": "1", "hours-0-start": "12:00", "hours-0-end": "09:00"},
        {"hours-0-weekday": "9", "hours-0-start": "09:00", "hours-0-end": "12:00"},
        {"hours-0-weekday": "1", "hours-0-start": "25:00", "hours-0-end": "12:00"},
        {
            "hours-0-weekday": "1",
            "hours-0-start": "09:00",
            "hours-0-end": "12:00",
            "hours-1-weekday": "1",
            "hours-1-start": "11:00",
            "hours-1-end": "13:00",
        },
    ):
        response = staff_client.post(url, {**base, **rows})
        assert response.status_code == 200, rows
    assert WorkingHours.objects.count() == before


def test_patient_search_finds_by_name_and_phone_and_logs(staff_client, booking_world):
    page = staff_client.get(reverse("calendar:patient_search"), {"q": "Ann Ex"})
    assert "Ann Example" in page.content.decode()
    assert AccessEvent.objects.filter(view_name="calendar:patient_search").count() == 1
    phone = "+14155550987"
    type(booking_world.patient).objects.filter(pk=booking_world.patient.pk).update(phone=phone)
    page = staff_client.get(reverse("calendar:patient_search"), {"q": phone[-7:]})
    assert "Ann Example" in page.content.decode()


def test_the_patient_card_shows_appointments_in_pages(staff_client, booking_world, frozen_now):
    """A patient's history only grows: 20 on the card, newest first, then Older."""
    patient = booking_world.patient
    start0 = local_time(dt.date(2025, 1, 6), 9)
    for n in range(25):
        start = start0 + dt.timedelta(days=n)
        Appointment.objects.create(
            patient=patient,
            specialist=booking_world.specialist,
            consultation_type=booking_world.ctype,
            start=start,
            end=start + dt.timedelta(minutes=30),
            blocked_until=start + dt.timedelta(minutes=30),
        )
    url = reverse("calendar:patient", args=[patient.pk])
    first = staff_client.get(url)
    assert len(first.context["appointments"]) == 20 and "?appts=2" in first.content.decode()
    second = staff_client.get(url, {"appts": "2"})
    assert len(second.context["appointments"]) == 5
    assert second.context["appointments"][-1].start == start0  # the oldest, last
