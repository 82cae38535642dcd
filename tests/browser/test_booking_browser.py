"""A patient books, reschedules and cancels in a real Chromium, on a phone-sized screen;
the emails arrive at a real SMTP server (aiosmtpd). Staff see the week. Screenshots at
390 px and desktop width go to test-artifacts/screenshots/."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from icalendar import Calendar

from patients.models import Appointment, AppointmentStatus, BookingPolicy, Patient
from patients.selectors.booking import clinic_today
from tests.conftest import login_with_two_factor
from tests.factories import (
    TEST_PASSWORD,
    ConsultationTypeFactory,
    SpecialistFactory,
    working_week,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ics_of(message):
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            return Calendar.from_ical(payload)
    raise AssertionError("no calendar attachment")


@pytest.fixture
def clinic(db, specialist_user, patient_user):
    BookingPolicy().save()
    specialist = SpecialistFactory(
        user=specialist_user,
        display_name="Dr. Helen Ng",
        bio="Dermatologist with 15 years' experience in hyperhidrosis.",
    )
    working_week(specialist)
    second = SpecialistFactory(display_name="Dr. Daniel Okafor", bio="Sees adults and teenagers.")
    working_week(second, weekdays=range(5))
    ctype = ConsultationTypeFactory(
        name="First consultation",
        description="For new patients: we talk about your sweating and what can help.",
        duration_minutes=45,
        buffer_after_minutes=15,
    )
    ConsultationTypeFactory(name="Second opinion", duration_minutes=30)
    Patient.objects.update_or_create(
        user=patient_user,
        defaults={"legal_name": "Ann Example", "date_of_birth": dt.date(1990, 1, 1)},
    )
    return {"specialist": specialist, "ctype": ctype}


def test_patient_books_reschedules_and_cancels_on_a_phone(
    page, live_server, smtp_server, clinic, patient_user, staff_user, browser
):
    page.set_viewport_size(PHONE)
    base = live_server.url

    # A visitor starts booking and is asked to log in before confirming.
    page.goto(base + "/")
    page.get_by_role("link", name="Book a consultation").first.click()
    shot(page, "01-phone-types")
    page.get_by_role("link", name=re.compile("First consultation")).click()
    shot(page, "02-phone-specialists")
    page.get_by_role("link", name=re.compile("Dr. Helen Ng")).click()
    page.wait_for_selector(".slot-grid a")
    shot(page, "03-phone-slots")
    # A day far enough ahead to be changed online later (the cut-off is 24 h).
    later = clinic_today() + dt.timedelta(days=3)
    page.goto(page.url.split("?")[0] + f"?day={later.isoformat()}")
    page.wait_for_selector(".slot-grid a")
    page.locator(".slot-grid a").first.click()
    assert page.get_by_text("Almost there").is_visible()
    shot(page, "04-phone-visitor-confirm")
    page.get_by_role("link", name="I already have an account").click()
    page.fill("input[name=login]", patient_user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In|Log in", re.I)).click()

    # Back on the confirm page with the remembered time, logged in.
    page.wait_for_selector("text=Confirm your booking")
    shot(page, "05-phone-confirm")
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_selector("text=You're booked!")
    shot(page, "06-phone-booked")
    appt = Appointment.objects.get()
    assert appt.patient.user == patient_user and appt.specialist == clinic["specialist"]

    booked_mail = smtp_server.wait_for(1)[0]
    assert "booked" in booked_mail["Subject"]
    assert booked_mail["To"] == patient_user.email
    cal = ics_of(booked_mail)
    assert str(cal["METHOD"]) == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert event.decoded("DTSTART") == appt.start and int(event["SEQUENCE"]) == 0

    # Reschedule: a new time on another day.
    page.get_by_role("link", name="Reschedule").click()
    page.wait_for_selector(".day-strip")
    page.locator(".day-strip a.day:not(.selected):not(.empty)").last.click()
    page.wait_for_selector(".slot-grid a")
    shot(page, "07-phone-reschedule-slots")
    page.locator(".slot-grid a").nth(2).click()
    page.wait_for_selector("text=Move your appointment?")
    shot(page, "08-phone-reschedule-confirm")
    page.get_by_role("button", name="Yes, move it").click()
    page.wait_for_selector("text=Your appointment has moved")
    appt.refresh_from_db()
    assert appt.version == 2
    moved_mail = smtp_server.wait_for(2)[1]
    (event2,) = ics_of(moved_mail).walk("VEVENT")
    assert str(event2["UID"]) == str(event["UID"]) and int(event2["SEQUENCE"]) == 1

    # My appointments, then cancel.
    page.get_by_role("link", name="My appointments").first.click()
    shot(page, "09-phone-my-appointments")
    page.locator(".appt-card").first.get_by_role("link", name="Cancel").click()
    page.wait_for_selector("text=Cancel your appointment?")
    shot(page, "10-phone-cancel-confirm")
    page.fill("input[name=reason]", "Found a closer clinic")
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_selector("text=Your appointment is cancelled")
    shot(page, "11-phone-cancelled")
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CANCELLED
    cancel_mail = smtp_server.wait_for(3)[2]
    cancel_cal = ics_of(cancel_mail)
    assert str(cancel_cal["METHOD"]) == "CANCEL"
    assert smtp_server.text_of(cancel_mail).count("Found a closer clinic") == 0  # S13

    # Desktop width: the same pages.
    page.set_viewport_size(DESKTOP)
    page.goto(base + f"/book/{clinic['ctype'].pk}/{clinic['specialist'].pk}/")
    page.wait_for_selector(".slot-grid a")
    shot(page, "12-desktop-slots")
    page.goto(base + "/me/appointments/")
    shot(page, "13-desktop-my-appointments")

    # Staff (two-factor session made by the test client, handed to the browser).
    staff = login_with_two_factor(Client(), staff_user)
    context = browser.new_context(viewport=DESKTOP)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": staff.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    staff_page = context.new_page()
    day = appt.start.astimezone(__import__("zoneinfo").ZoneInfo(settings.CLINIC_TIME_ZONE))
    staff_page.goto(base + f"/staff/calendar/week/?date={day.date().isoformat()}&specialist=all")
    assert staff_page.get_by_text("Ann Example").first.is_visible()
    shot(staff_page, "14-desktop-staff-week")
    staff_page.set_viewport_size(PHONE)
    shot(staff_page, "15-phone-staff-week")
    context.close()


def test_race_loser_sees_nearest_times_in_the_browser(page, live_server, clinic, patient_user):
    page.set_viewport_size(PHONE)
    client = Client()
    client.force_login(patient_user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(live_server.url + f"/book/{clinic['ctype'].pk}/{clinic['specialist'].pk}/")
    page.locator(".slot-grid a").first.click()
    page.wait_for_selector("text=Confirm your booking")
    # Someone else takes the time while the patient looks at the confirm page.
    from patients.forms.booking import parse_start
    from patients.services.booking import appointment_book
    from tests.factories import PatientFactory

    start = parse_start(page.locator("input[name=start]").input_value())
    appointment_book(
        patient=PatientFactory(),
        consultation_type=clinic["ctype"],
        specialist=clinic["specialist"],
        start=start,
        booked_by=None,
        notify=False,
    )
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_selector("text=That time was just taken")
    shot(page, "16-phone-race-loser")
    assert page.locator("a.btn-outline-primary").count() >= 3
    assert Appointment.objects.count() == 1
