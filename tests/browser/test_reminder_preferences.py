"""Playwright in Chromium: a patient opens the "manage reminders" link from a reminder on a
phone (no login), turns home-session reminders off and saves; staff see the patient's
reminder history. Screenshots at phone and desktop width."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from clinic.accounts.roles import Role
from clinic.notify import tokens
from patients.models import Patient
from patients.services.booking import appointment_book
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_plan_journey import _path, logged_in_context
from tests.conftest import local_time
from tests.factories import ConsultationTypeFactory, SpecialistFactory, UserFactory, working_week


@pytest.mark.django_db(transaction=True)
def test_patient_manages_reminders_from_the_link_and_staff_see_the_history(
    page, browser, live_site
):
    patient = Patient.objects.create(
        user=UserFactory(email="ann@example.com", first_name="Ann", role=Role.PATIENT),
        legal_name="Ann Example",
        date_of_birth=dt.date(1990, 5, 17),
        phone="+14155550123",
    )
    specialist = SpecialistFactory(display_name="Dr. Dana Test")
    working_week(specialist)
    ctype = ConsultationTypeFactory(name="Follow-up", duration_minutes=30)
    day = dt.date.today() + dt.timedelta(days=3)
    appointment_book(
        patient=patient,
        consultation_type=ctype,
        start=local_time(day, 10),
        booked_by=patient.user,
        specialist=specialist,
        for_staff=True,
        notify=False,
    )
    url = tokens.manage_reminders_url(person_label="patients.patient", person_id=patient.pk)
    path = re.sub(r"^https?://[^/]+", "", url)

    page.set_viewport_size(PHONE)
    page.goto(live_site + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your reminders")
    page.get_by_label("Email and text message").check()
    page.get_by_label("Home session reminders").uncheck()
    page.screenshot(path=str(_path("reminders-manage-phone")), full_page=True)
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    patient.refresh_from_db()
    assert patient.reminder_channel == "both"
    assert patient.reminder_opt_outs == ["home_sessions"]
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(_path("reminders-manage-desktop")), full_page=True)
    page.goto(live_site + path.replace("/manage/", "/manage/x"))
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(_path("reminders-link-invalid-phone")), full_page=True)

    staff = UserFactory(role=Role.STAFF)
    context = logged_in_context(browser, live_site, staff, DESKTOP)
    desk = context.new_page()
    desk.goto(f"/staff/calendar/patients/{patient.pk}/")
    history = desk.locator(".reminder-history")
    expect(history).to_contain_text("Appointment, 24 h before")
    expect(history).to_contain_text("SMS")  # the channel chosen on the link was added
    desk.screenshot(path=str(_path("staff-patient-reminders-desktop")), full_page=True)
    context.close()
