"""Playwright in Debian's Chromium: a specialist opens a screened patient and assigns an
iontophoresis plan (hands and feet together), sees the session calendar; for another patient
picks the excluded option and must give a reason; the patient sees "My treatment" on a phone
and gets a calendar link."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from clinic.accounts.roles import Role
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import login_with_two_factor
from tests.factories import (
    TEST_PASSWORD,
    PatientFactory,
    SpecialistFactory,
    UserFactory,
    make_screen,
    working_week,
)
from treatments.models import CalendarFeed, Plan


def logged_in_context(browser, live_site, user, viewport):
    client = login_with_two_factor(Client(), user)
    context = browser.new_context(viewport=viewport, base_url=live_site)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_site,
            }
        ]
    )
    return context


@pytest.mark.django_db(transaction=True)
def test_specialist_assigns_plans_and_the_patient_sees_my_treatment(page, browser, live_site, shot):
    doctor = UserFactory(
        email="ng@example.com", first_name="Helen", last_name="Ng", role=Role.SPECIALIST
    )
    # Dr Ng sees patients here (in-clinic sessions are her appointments): 08:00-18:00 daily.
    working_week(
        SpecialistFactory(user=doctor, display_name="Dr. Helen Ng"),
        ranges=((datetime.time(8), datetime.time(18)),),
    )
    omar_user = UserFactory(email="omar@example.com", first_name="Omar", role=Role.PATIENT)
    omar = PatientFactory(
        user=omar_user, legal_name="Omar Haddad", date_of_birth=datetime.date(1975, 5, 5)
    )
    make_screen(omar, areas={"palmar": 3, "plantar": 3})
    maria = PatientFactory(
        user=UserFactory(role=Role.PATIENT),
        legal_name="Maria Lopez",
        date_of_birth=datetime.date(1991, 4, 12),
    )
    make_screen(maria, areas={"palmar": 3}, electronic_implants=["pacemaker"])

    # --- The specialist, on a desktop ------------------------------------------------------
    context = logged_in_context(browser, live_site, doctor, DESKTOP)
    doc = context.new_page()
    doc.goto("/home/")  # specialists start at the attention dashboard (issue 7)
    expect(doc.get_by_role("heading", level=1)).to_have_text("Patients needing attention")
    doc.get_by_role("link", name="Patients", exact=True).click()
    expect(doc.get_by_role("heading", level=1)).to_have_text("Patients")
    doc.get_by_role("link", name="Omar Haddad").click()
    expect(doc.get_by_role("heading", level=1)).to_contain_text("Omar Haddad")
    expect(doc.get_by_text("Hands (palms) · HDSS 3 · top: Iontophoresis")).to_be_visible()
    doc.screenshot(path=str(_path("plan-chart-before-desktop")), full_page=True)
    doc.get_by_role("link", name="Assign a plan").click()

    # Step 1: the engine's top option is preselected for both areas.
    hands = doc.get_by_role("group", name=re.compile("Hands \\(palms\\)"))
    expect(hands.get_by_role("radio", name=re.compile("^Iontophoresis"))).to_be_checked()
    doc.get_by_label(re.compile("Treat hands and feet together")).check()
    doc.screenshot(path=str(_path("plan-choose-desktop")), full_page=True)
    doc.get_by_role("button", name="Next: details").click()

    # Step 2: defaults from RULES.md §5 (feet: 30 min; Mon/Wed/Fri; 4 weeks; weekly).
    expect(doc.get_by_role("heading", level=1)).to_contain_text("step 2 of 2")
    expect(doc.get_by_label("Session length (minutes)")).to_have_value("30")
    for day in ("Monday", "Wednesday", "Friday"):
        expect(doc.get_by_label(day, exact=True)).to_be_checked()
    doc.get_by_label("Target current (mA)").fill("25")
    doc.get_by_role("button", name="Assign the plan").click()
    expect(doc.get_by_role("alert")).to_contain_text("at most 20 mA")
    doc.screenshot(path=str(_path("plan-details-error-desktop")), full_page=True)
    doc.get_by_label("Target current (mA)").fill("14")
    doc.get_by_role("button", name="Assign the plan").click()

    expect(doc.get_by_role("heading", level=1)).to_have_text("Session calendar")
    expect(doc.get_by_text("The plan is assigned and its calendar is ready.")).to_be_visible()
    expect(doc.locator(".session-row").first).to_contain_text("Home session (30 min)")
    doc.screenshot(path=str(_path("plan-calendar-desktop")), full_page=True)
    doc.set_viewport_size(PHONE)
    doc.screenshot(path=str(_path("plan-calendar-phone")), full_page=False)
    plan = Plan.objects.get(patient=omar)
    assert plan.current_version.items.get().areas == ["palmar", "plantar"]
    assert plan.sessions.filter(kind="session", phase="initial").count() == 12

    # --- Another patient: iontophoresis is excluded (pacemaker) -----------------------------
    doc.set_viewport_size(DESKTOP)
    doc.goto(f"/specialist/patients/{maria.pk}/plan/")
    hands = doc.get_by_role("group", name=re.compile("Hands \\(palms\\)"))
    hands.get_by_role("radio", name=re.compile("^Iontophoresis")).check()
    expect(hands.get_by_text("(required for this choice)")).to_be_visible()
    doc.get_by_role("button", name="Next: details").click()
    # The problem is on the reason box, and summarised at the top with a link to that box.
    hands = doc.get_by_role("group", name=re.compile("Hands \\(palms\\)"))
    expect(hands.get_by_text(re.compile("A written clinical reason is required"))).to_be_visible()
    summary = doc.locator(".error-summary")
    expect(summary).to_be_visible()
    summary.get_by_role("link", name=re.compile("A written clinical reason is required")).click()
    expect(hands.get_by_label("Clinical reason")).to_be_focused()
    doc.screenshot(path=str(_path("plan-override-reason-desktop")), full_page=True)
    doc.set_viewport_size(PHONE)
    doc.screenshot(path=str(_path("plan-override-reason-phone")), full_page=True)
    doc.set_viewport_size(DESKTOP)
    hands = doc.get_by_role("group", name=re.compile("Hands \\(palms\\)"))
    hands.get_by_label("Clinical reason").fill(
        "Pacemaker is MRI/TENS-safe per cardiology letter; supervised clinic trial."
    )
    doc.get_by_role("button", name="Next: details").click()
    doc.get_by_label("In the clinic", exact=True).check()
    # In the clinic: a time of day is needed (the clinician defaults to Dr Ng herself).
    doc.get_by_role("button", name="Assign the plan").click()
    expect(doc.get_by_role("alert")).to_contain_text("choose the time of day")
    doc.get_by_label("In the clinic", exact=True).check()
    expect(doc.get_by_label("In the clinic: who runs the sessions")).to_have_value(
        str(doctor.specialist_profile.pk)
    )
    doc.get_by_label("In the clinic: time of day").fill("17:45")
    doc.screenshot(path=str(_path("plan-details-clinic-desktop")), full_page=True)
    doc.get_by_role("button", name="Assign the plan").click()
    expect(doc.get_by_role("alert")).to_contain_text("a visit at 17:45 does not fit")
    doc.get_by_label("In the clinic", exact=True).check()
    doc.get_by_label("In the clinic: time of day").fill("16:00")
    doc.get_by_role("button", name="Assign the plan").click()
    expect(doc.get_by_role("heading", level=1)).to_have_text("Session calendar")
    expect(doc.locator(".session-row").first).to_contain_text("visit with Dr. Helen Ng")
    doc.screenshot(path=str(_path("plan-calendar-clinic-desktop")), full_page=True)
    doc.goto("/staff/calendar/week/")
    expect(doc.get_by_text("In-clinic treatment visit").first).to_be_visible()
    doc.screenshot(path=str(_path("staff-week-with-visits-desktop")), full_page=True)
    doc.goto(f"/specialist/patients/{maria.pk}/")
    expect(doc.locator(".override-reason").first).to_contain_text("cardiology letter")
    doc.screenshot(path=str(_path("plan-chart-after-desktop")), full_page=True)
    context.close()

    # --- The patient, on a phone -----------------------------------------------------------
    page.set_viewport_size(PHONE)
    page.goto(live_site + "/accounts/login/")
    page.get_by_label("Email").fill("omar@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.goto(live_site + "/treatment/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My treatment")
    expect(page.get_by_text("Tap-water iontophoresis")).to_be_visible()
    expect(
        page.get_by_text(re.compile("3 sessions a week \\(Monday, Wednesday, Friday\\)"))
    ).to_be_visible()
    expect(page.get_by_text("Coming up")).to_be_visible()
    shot("my-treatment-phone")
    page.get_by_role("link", name="Get a calendar link").click()
    page.get_by_role("button", name="Yes, get the link").click()
    feed = CalendarFeed.objects.get(patient=omar)
    expect(page.get_by_label(re.compile("Your private calendar link"))).to_have_value(
        re.compile(re.escape(feed.token))
    )
    shot("my-treatment-calendar-link-phone")
    page.set_viewport_size(DESKTOP)
    shot("my-treatment-desktop")
    response = page.request.get(live_site + f"/treatment/feed/t/{feed.token}.ics")
    assert response.status == 200 and b"BEGIN:VCALENDAR" in response.body()


def _path(name):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
