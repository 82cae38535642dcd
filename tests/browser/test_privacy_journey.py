"""Playwright in Debian's Chromium: a patient on a phone downloads their record (a FHIR file)
and closes the account (logged out, cannot log in again); staff on a desktop see the closure
with its retention date and export a patient's record."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import expect

from patients.models import AccountClosure
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import login_with_two_factor
from tests.factories import TEST_PASSWORD
from tests.patients.record_support import add_dependant, build_full_record


def _context(browser, live_site, client, viewport):
    context = browser.new_context(viewport=viewport, base_url=live_site, accept_downloads=True)
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
def test_patient_downloads_the_record_and_closes_the_account(browser, live_site, tmp_path):
    record = build_full_record(with_plan=True)
    add_dependant(record.user, name="Mia Quokkaberg")
    client = Client()
    client.force_login(record.user)

    # --- The patient, on a phone -----------------------------------------------------------
    context = _context(browser, live_site, client, PHONE)
    page = context.new_page()
    page.goto("/me/")
    page.get_by_role("link", name="Download my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my data")
    page.screenshot(path=str(_path("privacy-my-data-phone")), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my record").click()
    download = info.value
    assert download.suggested_filename.startswith("health-record-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    bundle = json.loads(target.read_text())
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Appointment", "QuestionnaireResponse", "CarePlan", "Observation"}

    page.get_by_role("link", name="Close my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close your account?")
    expect(page.get_by_text("Mia Quokkaberg")).to_be_visible()
    page.screenshot(path=str(_path("privacy-close-phone")), full_page=True)
    page.get_by_label("Your password").fill("not-my-password-1")
    page.get_by_label("Also close the records listed above").check()
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_text("That password is not right")).to_be_visible()
    page.screenshot(path=str(_path("privacy-close-error-phone")), full_page=True)
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_label("Also close the records listed above").check()
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_text("Your account is closed and you are logged out")).to_be_visible()
    page.screenshot(path=str(_path("privacy-closed-phone")), full_page=True)
    page.goto("/me/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Email").fill(record.user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    assert "/me/" not in page.url
    assert AccountClosure.objects.count() == 2
    context.close()

    # --- Staff, on a desktop ---------------------------------------------------------------
    staff = _context(
        browser, live_site, login_with_two_factor(Client(), record.staff_user), DESKTOP
    )
    desk = staff.new_page()
    desk.goto("/staff/records/closures/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Closed accounts")
    expect(desk.get_by_role("cell", name="Mia Quokkaberg (closed by the guardian)")).to_be_visible()
    desk.screenshot(path=str(_path("privacy-closures-desktop")), full_page=True)
    desk.get_by_role("link", name=record.patient.legal_name).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(record.patient.legal_name)
    expect(desk.get_by_role("status")).to_contain_text("Account closed. The record is kept until")
    with desk.expect_download() as info:
        desk.get_by_role("link", name="Export record (FHIR)").click()
    Bundle.model_validate(json.loads(Path(info.value.path()).read_text()))
    desk.screenshot(path=str(_path("privacy-staff-patient-desktop")), full_page=True)
    staff.close()


def _path(name):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
