"""Playwright in Debian's Chromium: sign up, verify by the emailed link, log in, see home."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

PASSWORD = "a-long-enough-passphrase-7"


@pytest.mark.django_db(transaction=True)
def test_sign_up_verify_by_email_and_reach_the_patient_home(page, live_site, smtp_server, shot):
    page.set_viewport_size(PHONE)
    page.goto(live_site + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("We can help")
    shot("landing-phone")
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("link", name="Sign up").click()

    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("Email").fill("nora.quinn@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    shot("signup-phone")
    page.get_by_role("button", name=re.compile("Sign Up", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    [mail] = smtp_server.wait_for(1, timeout=15)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", smtp_server.text_of(mail))
    assert link, smtp_server.text_of(mail)
    page.goto(link.group(0))
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()

    page.goto(live_site + "/accounts/login/")
    page.get_by_label("Email").fill("nora.quinn@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Nora")
    shot("patient-home-phone")
    page.set_viewport_size(DESKTOP)
    shot("patient-home-desktop")
