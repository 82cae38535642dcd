"""The whole journey of each role, continuous, in Debian's Chromium (Playwright), on the
running app: pytest-django's live server on PostgreSQL, a real Celery worker subprocess on a
private Redis sending every email through the outbox to a real SMTP server (aiosmtpd).

Every page visited is checked by ``PageChecks``: axe-core (no serious or critical violation),
every form field labelled, and for patient pages, at 390x844 and at desktop width, no
sideways scrolling and tap targets of at least 44 px. Screenshots go to
test-artifacts/screenshots/<role>-<page>[-phone|-desktop].png.
"""

import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.db import transaction
from playwright.sync_api import expect

from clinic.accounts.roles import Role
from patients.models import Appointment, BookingPolicy, Patient, Screen, ScreenCorrection
from patients.selectors.booking import clinic_today
from patients.services.booking import appointment_book
from patients.services.screens import screen_review
from tests.factories import (
    TEST_PASSWORD,
    ConsultationTypeFactory,
    PatientFactory,
    SpecialistFactory,
    UserFactory,
    make_screen,
    working_week,
)
from tests.support.pagecheck import DESKTOP, PHONE, PageChecks
from treatments.models import Plan
from treatments.services import ItemSpec, plan_assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-enough-passphrase-7"
RULE_ID = re.compile(r"\b(?:G|ION|AC|TGP|OAC|BTX|MWT|ETS|LSS)-[A-Z0-9]+\b")
# The authenticator app's secret for the clinicians (base32), as the demo data does it.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# --- helpers --------------------------------------------------------------------------------
def mail_to(smtp, address: str, subject: str, timeout: float = 20.0):
    """The first message to ``address`` whose subject contains ``subject``, once it came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in list(smtp.messages):
            if msg["To"] == address and subject.lower() in str(msg["Subject"]).lower():
                return msg
        time.sleep(0.1)
    got = [(m["To"], m["Subject"]) for m in smtp.messages]
    raise AssertionError(f"no mail to {address} about {subject!r} in {timeout} s; got {got}")


def totp_now() -> str:
    """The code the clinician's authenticator app shows now."""
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))


def clinician(role: Role, email: str, first: str, last: str):
    user = UserFactory(email=email, first_name=first, last_name=last, role=role)
    TOTP.activate(user, TOTP_SECRET)
    return user


def log_in(page, checks, email: str, *, two_factor: bool):
    page.goto("/accounts/login/")
    checks.check("login", patient_page=not two_factor)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    if two_factor:
        expect(page.get_by_label(re.compile("Authenticator code|Code", re.I))).to_be_visible()
        checks.check("two-factor")
        page.get_by_label(re.compile("Authenticator code|Code", re.I)).fill(totp_now())
        page.get_by_role("button", name=re.compile("Sign In|Verify|Confirm", re.I)).click()


def group(page, name):
    return page.get_by_role("group", name=re.compile(re.escape(name)))


@pytest.fixture
def clinic(db):
    """A clinic open every day (09:00-12:00, 13:00-17:00) with one specialist and a first
    consultation of 45 minutes; the default booking policy."""
    BookingPolicy().save()
    doctor = clinician(Role.SPECIALIST, "ng@example.com", "Helen", "Ng")
    specialist = SpecialistFactory(
        user=doctor,
        display_name="Dr. Helen Ng",
        bio="Dermatologist with 15 years' experience in hyperhidrosis.",
    )
    working_week(specialist)
    ctype = ConsultationTypeFactory(
        name="First consultation",
        description="For new patients: we talk about your sweating and what can help.",
        duration_minutes=45,
        buffer_after_minutes=15,
    )
    return {"doctor": doctor, "specialist": specialist, "ctype": ctype}


# --- The patient ----------------------------------------------------------------------------
def test_patient_journey(page, clinic_servers, clinic, live_site):
    smtp = clinic_servers.smtp
    checks = PageChecks(page, "patient")
    page.set_viewport_size(PHONE)

    # Lands on the home page, signs up.
    page.goto(live_site + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("We can help")
    checks.check("landing", patient_page=True)
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("link", name="Sign up").click()
    checks.check("signup", patient_page=True)
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("Email").fill("nora.quinn@example.com")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign Up", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")
    checks.check("verify-sent", patient_page=True)

    # Verifies by the link in the email the worker sent.
    mail = mail_to(smtp, "nora.quinn@example.com", "confirm")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", smtp.text_of(mail))
    assert link, smtp.text_of(mail)
    page.goto(link.group(0))
    checks.check("confirm-email", patient_page=True)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_text("You have confirmed nora.quinn@example.com")).to_be_visible()

    # Logs in and reaches their home.
    page.get_by_label("Email").fill("nora.quinn@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    checks.check("login", patient_page=True)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Nora")
    checks.check("home-new", patient_page=True)

    # Books a consultation three days ahead (changeable online: the cut-off is 24 h).
    page.get_by_role("link", name="Book a consultation with one of our specialists.").click()
    checks.check("book-type", patient_page=True)
    page.get_by_role("link", name=re.compile("First consultation")).click()
    checks.check("book-specialist", patient_page=True)
    page.get_by_role("link", name=re.compile("Dr. Helen Ng")).click()
    page.wait_for_selector(".slot-grid a")
    later = clinic_today() + dt.timedelta(days=3)
    page.goto(page.url.split("?")[0] + f"?day={later.isoformat()}")
    page.wait_for_selector(".slot-grid a")
    checks.check("book-slots", patient_page=True)
    page.locator(".slot-grid a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm")
    checks.check("book-confirm", patient_page=True)
    page.get_by_role("button", name="Confirm booking").click()

    # A new account has no profile yet: asked for it, the chosen time remembered.
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    checks.check("profile-first", patient_page=True)
    page.get_by_label("Full legal name").fill("Nora Quinn")
    page.get_by_label("Date of birth").fill("1994-06-02")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("You're booked!")).to_be_visible()
    checks.check("booked", patient_page=True)
    booked = mail_to(smtp, "nora.quinn@example.com", "booked")
    assert any(p.get_content_type() == "text/calendar" for p in booked.iter_attachments())
    appointment = Appointment.objects.get(patient__user__email="nora.quinn@example.com")
    assert appointment.specialist == clinic["specialist"]

    checks.assert_clean()
