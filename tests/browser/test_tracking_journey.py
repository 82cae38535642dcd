"""Playwright in Debian's Chromium at phone width: the patient logs a session in two taps,
does a check-in and sees the chart; a specialist sees the blister flag on the dashboard and
acknowledges it. Screenshots in test-artifacts/screenshots/tracking-*.png."""

import datetime
import re
import zoneinfo
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from clinic.accounts.roles import Role
from tests.browser.conftest import PHONE
from tests.browser.test_plan_journey import logged_in_context
from tests.factories import TEST_PASSWORD, PatientFactory, UserFactory, make_screen
from tests.treatments.conftest import ion
from treatments.models import CheckIn, Flag, PlannedSession, SessionLog
from treatments.services import plan_assign
from treatments.services.sessions import patient_today
from treatments.services.tracking import LogEntry, session_log_create


def _local(patient, day, hour):
    zone = zoneinfo.ZoneInfo(patient.time_zone)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone)


@pytest.mark.django_db(transaction=True)
def test_patient_logs_checks_in_and_the_specialist_acknowledges(page, browser, live_site, shot):
    doctor = UserFactory(
        email="ng@example.com", first_name="Helen", last_name="Ng", role=Role.SPECIALIST
    )
    kenji_user = UserFactory(email="kenji@example.com", first_name="Kenji", role=Role.PATIENT)
    kenji = PatientFactory(
        user=kenji_user, legal_name="Kenji Watanabe", date_of_birth=datetime.date(1979, 11, 8)
    )
    make_screen(kenji, areas={"palmar": 4})
    today = patient_today(kenji)
    start = today - datetime.timedelta(days=14 + today.weekday())
    plan_assign(
        patient_id=kenji.pk,
        items=[ion(start_date=start, review_date=start + datetime.timedelta(weeks=5))],
        user=doctor,
        now=_local(kenji, start, 8),
    )
    past = list(PlannedSession.objects.filter(plan__patient=kenji, day__lt=today).order_by("day"))
    for s in past[:-1]:  # all but the last are logged; the one before it had blisters
        blisters = s == past[-2]
        session_log_create(
            user=kenji_user,
            patient_id=kenji.pk,
            planned_session_id=s.pk,
            entry=LogEntry(
                minutes=20,
                current_ma=Decimal("12"),
                areas=("palmar",),
                side_effects=("blisters",) if blisters else ("none",),
                notes="Two small blisters on the left palm." if blisters else "",
            ),
            now=_local(kenji, s.day, 20),
        )

    # --- The patient, on a phone: two taps to log the last session -----------------------------
    page.set_viewport_size(PHONE)
    page.goto(live_site + "/accounts/login/")
    page.get_by_label("Email").fill("kenji@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.goto(live_site + "/treatment/")
    expect(page.get_by_role("heading", name="Log your sessions")).to_be_visible()
    shot("tracking-my-treatment-phone", full_page=False)
    page.get_by_role("link", name=re.compile("^Log the session of")).first.click()  # tap 1
    expect(page.get_by_role("heading", level=1)).to_have_text("How did the session go?")
    shot("tracking-log-session-phone", full_page=False)
    page.get_by_role("button", name="Done as planned").click()  # tap 2
    expect(page.get_by_text("Session logged. Well done!")).to_be_visible()
    assert SessionLog.objects.filter(planned_session=past[-1], status="done").exists()

    # --- The check-in --------------------------------------------------------------------------
    page.get_by_role("link", name="Check in").click()
    hands = page.get_by_role("group", name="Hands (palms)")
    hands.get_by_label(re.compile("tolerable but sometimes interferes")).check()
    hands.get_by_label(re.compile("How dry is it now")).select_option("7")
    shot("tracking-checkin-phone")
    page.get_by_role("button", name="Save my check-in").click()
    expect(page.get_by_text("Thank you: your check-in is saved.")).to_be_visible()
    assert CheckIn.objects.get(patient=kenji).scores == {"palmar": 2}

    # --- The chart ------------------------------------------------------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text("My progress")
    chart = page.get_by_role("img", name=re.compile("Hands \\(palms\\): sweating score"))
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] <= PHONE["width"] and box["width"] > 300  # fills the phone, no overflow
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator(".hdss-point")).to_have_count(2)  # the screen's 4, the check-in's 2
    page.get_by_text("Show the numbers as a table").click()
    expect(page.get_by_role("table").first).to_contain_text("questionnaire (start)")
    shot("tracking-progress-phone")

    # --- The specialist sees the flags and acknowledges the blisters ----------------------
    context = logged_in_context(browser, live_site, doctor, PHONE)
    doc = context.new_page()
    doc.goto("/home/")
    expect(doc.get_by_role("heading", level=1)).to_have_text("Patients needing attention")
    card = doc.locator(".attention-patient", has_text="Kenji Watanabe")
    expect(card.get_by_text("Blisters or pain reported")).to_be_visible()
    expect(card.get_by_text("Responding: consider maintenance")).to_be_visible()  # 4 → 2
    doc.screenshot(path=str(_path("tracking-dashboard-phone")), full_page=True)
    card.get_by_role("link", name=re.compile("Acknowledge: Blisters")).click()
    expect(doc.get_by_text("Two small blisters on the left palm.")).to_be_visible()
    doc.get_by_label(re.compile("Note")).fill("Called Kenji: pause one week, then 10 mA.")
    doc.get_by_role("button", name="Acknowledge").click()
    expect(doc.get_by_text("Flag acknowledged.")).to_be_visible()
    expect(doc.get_by_text("Blisters or pain reported")).to_have_count(0)
    flag = Flag.objects.get(patient=kenji, kind="side_effect_concern")
    assert flag.closed_by == doctor and "pause one week" in flag.close_note
    doc.goto(f"/specialist/patients/{kenji.pk}/progress/")
    expect(doc.get_by_text(re.compile("Acknowledged by Helen"))).to_be_visible()
    doc.screenshot(path=str(_path("tracking-specialist-progress-phone")), full_page=True)
    doc.set_viewport_size({"width": 1280, "height": 900})
    doc.screenshot(path=str(_path("tracking-specialist-progress-desktop")), full_page=True)
    context.close()


def _path(name):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
