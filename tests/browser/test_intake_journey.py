"""Playwright in Debian's Chromium: on a phone (390 px), a patient with a pacemaker and palmar
HDSS 3 fills in the questionnaire, signs, sends it and sees the plain summary; then staff open
the queue, correct an answer and mark the screen reviewed."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from clinic.accounts.roles import Role
from patients.models import Screen, ScreenCorrection
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import login_with_two_factor
from tests.factories import TEST_PASSWORD, PatientFactory, UserFactory

RULE_ID = re.compile(r"\b(?:G|ION|AC|TGP|OAC|BTX|MWT|ETS|LSS)-[A-Z0-9]+\b")


def group(page, name):
    return page.get_by_role("group", name=re.compile(re.escape(name)))


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue").click()


def staff_context(browser, live_site, user):
    """A browser context logged in as ``user`` with a verified second factor."""
    client = login_with_two_factor(Client(), user)
    context = browser.new_context(viewport=DESKTOP, base_url=live_site)
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
def test_patient_with_a_pacemaker_fills_in_the_questionnaire_and_staff_review_it(
    page, browser, live_site, shot
):
    user = UserFactory(email="mia@example.com", first_name="Mia", role=Role.PATIENT)
    PatientFactory(user=user, legal_name="Mia Jensen", date_of_birth=datetime.date(1992, 3, 8))
    nurse = UserFactory(email="nurse@example.com", first_name="Tom", role=Role.STAFF)

    # --- The patient, on a phone -----------------------------------------------------------
    page.set_viewport_size(PHONE)
    page.goto(live_site + "/accounts/login/")
    page.get_by_label("Email").fill("mia@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("link", name="My questionnaire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaire")
    shot("intake-overview-phone")
    page.get_by_role("button", name="Start the questionnaire").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    expect(page.get_by_label("Date of birth")).to_have_value("1992-03-08")
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Where do you sweat?")
    group(page, "Hands (palms)").get_by_label("barely tolerable", exact=False).check()
    for area in ("Feet (soles)", "Underarms", "Face, scalp or head"):
        group(page, area).get_by_label("Not a problem").check()
    group(page, "all over your body").get_by_label("No", exact=True).check()
    shot("intake-areas-phone")
    save_and_continue(page)
    # Forgot a question: a clear message, nothing lost.
    expect(page.get_by_role("heading", level=1)).to_have_text("When it started and how it goes")
    page.get_by_label("About how old were you").fill("12")
    page.get_by_label("How long has it been going on?").fill("15")
    group(page, "both sides").get_by_label("Yes", exact=True).check()
    group(page, "at least once a week").get_by_label("Yes", exact=True).check()
    group(page, "anyone in your family").get_by_label("I'm not sure").check()
    save_and_continue(page)
    expect(page.get_by_text("Please check the answers marked below")).to_be_visible()
    shot("intake-history-error-phone")
    group(page, "while you are asleep").get_by_label("No", exact=True).check()
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Other symptoms")
    save_and_continue(page)
    group(page, "pregnant").get_by_label("No", exact=True).check()
    group(page, "breastfeeding").get_by_label("No", exact=True).check()
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Implants and metal in the body")
    page.get_by_label("A pacemaker").check()
    group(page, "any metal inside your body").get_by_label("No", exact=True).check()
    shot("intake-implants-phone")
    save_and_continue(page)
    group(page, "IUD").get_by_label("No", exact=True).check()
    save_and_continue(page)
    group(page, "glaucoma").get_by_label("No", exact=True).check()
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("The skin where you sweat")
    group(page, "Hands (palms)").get_by_label("Healthy skin").check()
    save_and_continue(page)
    save_and_continue(page)  # allergies: none
    save_and_continue(page)  # medicines: none
    expect(page.get_by_role("heading", level=1)).to_have_text("Treatments you have tried")
    shot("intake-tried-phone")
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers and send them")
    expect(page.get_by_text("A pacemaker")).to_be_visible()
    page.get_by_label("Type your full name as your signature").fill("Mia Jensen")
    page.get_by_label("I have read the text above and I agree").check()
    shot("intake-review-phone")
    page.get_by_role("button", name="Sign and send my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaire summary")
    expect(page.get_by_text("not used with a pacemaker")).to_be_visible()
    expect(page.get_by_text("A specialist will confirm which option suits you.")).to_be_visible()
    body = page.locator("main").inner_text()
    assert not RULE_ID.search(body)
    assert "excluded" not in body
    shot("intake-summary-phone")

    screen = Screen.objects.get(patient__user=user)
    assert screen.profile["electronic_implants"] == ["pacemaker"]
    assert screen.profile["areas"] == {"palmar": 3}
    assert screen.flags == ["family_history_unsure"]

    # --- Staff, on a desktop: queue → screen → correct → review ---------------------------
    context = staff_context(browser, live_site, nurse)
    staff = context.new_page()
    staff.goto("/staff/screens/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Eligibility screens")
    shot_staff = _shooter(staff)
    shot_staff("staff-queue-desktop")
    staff.get_by_role("link", name="Mia Jensen").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Mia Jensen")
    expect(staff.get_by_text("ION-01").first).to_be_visible()
    expect(staff.get_by_text("Not sure about family history", exact=True).first).to_be_visible()
    shot_staff("staff-screen-desktop")

    staff.get_by_role("link", name="Correct: Family history").click()
    group(staff, "New answer").get_by_label("Yes", exact=True).check()
    staff.get_by_label("Why is it corrected?").fill("Called Mia: her father has the same.")
    shot_staff("staff-correct-desktop")
    staff.get_by_role("button", name="Save the correction").click()
    expect(staff.get_by_text("Corrected. A new screen replaces the old one")).to_be_visible()
    expect(staff.get_by_text("Called Mia: her father has the same.")).to_be_visible()

    group(staff, "Outcome").get_by_label("Cleared").check()
    staff.get_by_label("Note for the clinic team").fill("Pacemaker: no iontophoresis.")
    staff.get_by_role("button", name="Save the review").click()
    expect(staff.get_by_text("The screen is marked reviewed.")).to_be_visible()
    shot_staff("staff-reviewed-desktop")
    staff.set_viewport_size(PHONE)
    shot_staff("staff-reviewed-phone")

    old = Screen.objects.get(pk=screen.pk)
    new = Screen.objects.get(supersedes=old)
    assert old.status == "superseded"
    assert (new.status, new.outcome, new.reviewed_by) == ("reviewed", "cleared", nurse)
    assert new.profile["family_history"] is True
    assert new.flags == []
    assert ScreenCorrection.objects.get().field == "family_history"
    context.close()


def _shooter(page):
    from tests.browser.conftest import SCREENSHOTS

    def take(name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
