"""The whole journey of each role, continuous, in Debian's Chromium (Playwright), on the
running app: pytest-django's live server (in-process, threaded) on PostgreSQL with committed
transactions, and a real Celery worker subprocess (tests/support/servers.py) on a private Redis,
on the same test database, sending every email of the outbox to a real SMTP server (aiosmtpd).

Every page visited is checked by ``PageChecks``: axe-core (no serious or critical violation),
every form field labelled, and for patient pages, at 390x844 and at desktop width, no
sideways scrolling and tap targets of at least 44 px. Screenshots go to
test-artifacts/screenshots/<role>-<page>[-phone|-desktop].png.

- patient (phone): home page, sign-up, verify by the emailed link, log in, book (profile on
  the way), the questionnaire with one forgotten answer, the summary; then, once the clinic has
  acted, the plan, today's home-session reminder email, logging that session with blisters, a
  check-in, the progress chart, and the FHIR download of her record;
- staff (desktop): log in with a real authenticator code, the screen queue, correct an answer,
  clear the screen, the calendar's day and week;
- specialist (desktop): log in with a real authenticator code, the (empty) dashboard, a chart,
  an iontophoresis plan (with a refused current first), an excluded option for a patient with
  a pacemaker (the reason required), then the dashboard's blister flag, acknowledged.

Each journey sets up what the other roles would have done through the same services their
pages call, so each stays one continuous test of its own role.
"""

import calendar
import datetime as dt
import json
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from playwright.sync_api import expect

from clinic.accounts.roles import Role
from clinic.notify.services import reminders_dispatch
from patients.models import Appointment, BookingPolicy, Screen, ScreenCorrection
from patients.selectors.booking import (
    availability_load,
    clinic_today,
    clinic_tz,
    slots_for_days,
)
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
from treatments.defaults import default_item
from treatments.models import CheckIn, Flag, Plan, PlannedSession, SessionLog
from treatments.services import ItemSpec, plan_assign
from treatments.services.sessions import patient_today
from treatments.services.tracking import LogEntry, session_log_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-enough-passphrase-7"
RULE_ID = re.compile(r"\b(?:G|ION|AC|TGP|OAC|BTX|MWT|ETS|LSS)-[A-Z0-9]+\b")
# The authenticator app's secret for the clinicians (base32), as the demo data does it.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# --- helpers --------------------------------------------------------------------------------
def mail_to(servers, address: str, subject: str, timeout: float = 30.0):
    """The first message to ``address`` whose subject contains ``subject``, once the worker
    sent it (the timeout covers the worker's own start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in list(servers.smtp.messages):
            if msg["To"] == address and subject.lower() in str(msg["Subject"]).lower():
                return msg
        servers.worker_ok()  # raises with its log if the worker could not start
        time.sleep(0.1)
    got = [(m["To"], m["Subject"]) for m in servers.smtp.messages]
    raise AssertionError(
        f"no mail to {address} about {subject!r} in {timeout} s; got {got}\n"
        f"--- worker log ---\n{servers.worker.log_tail()}"
    )


def session_time_soon() -> str:
    """The clinic's wall-clock time in 10 minutes, "HH:MM", today (at the latest 23:59): a
    plan assigned before then has a session today."""
    now = dt.datetime.now(clinic_tz())
    soon = min(now + dt.timedelta(minutes=10), now.replace(hour=23, minute=59))
    return soon.strftime("%H:%M")


def totp_now() -> str:
    """The code the clinician's authenticator app shows now."""
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))


def clinician(role: Role, email: str, first: str, last: str):
    user = UserFactory(email=email, first_name=first, last_name=last, role=role)
    TOTP.activate(user, TOTP_SECRET)
    return user


def log_in(page, checks, site: str, email: str, *, two_factor: bool):
    page.goto(site + "/accounts/login/")
    checks.check("login", patient_page=not two_factor)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    if two_factor:
        expect(page.get_by_label(re.compile("Authenticator code|Code", re.I))).to_be_visible()
        checks.check("two-factor")
        page.get_by_label(re.compile("Authenticator code|Code", re.I)).fill(totp_now())
        page.get_by_role("button", name=re.compile("Sign In|Verify|Confirm", re.I)).click()


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue").click()


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
    checks.check("landing", patient_page=True, docs=True)
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("link", name="Sign up").click()
    checks.check("signup", patient_page=True)
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("Email").fill("nora.quinn@example.com")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign Up", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    checks.check("verify-sent", patient_page=True)

    # Verifies by the link in the email the worker sent.
    mail = mail_to(clinic_servers, "nora.quinn@example.com", "confirm")
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
    checks.check("book-slots", patient_page=True, docs=True)
    page.locator(".slot-grid a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm")
    checks.check("book-confirm", patient_page=True)
    page.get_by_role("button", name="Confirm booking").click()

    # A new account has no profile yet: asked for it, the chosen time remembered.
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    checks.check("profile-first", patient_page=True)
    page.get_by_label("Full legal name").fill("Nora Quinn")
    page.get_by_label("Date of birth").fill("1994-06-02")
    # Her home sessions a few minutes from now (so that today has one once she has a plan),
    # and no quiet hours.
    page.get_by_label(re.compile("Preferred time for home-session reminders", re.I)).fill(
        session_time_soon()
    )
    page.get_by_label(re.compile("Quiet hours start", re.I)).fill("00:00")
    page.get_by_label(re.compile("Quiet hours end", re.I)).fill("00:00")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("You're booked!")).to_be_visible()
    checks.check("booked", patient_page=True)
    booked = mail_to(clinic_servers, "nora.quinn@example.com", "booked")
    assert any(p.get_content_type() == "text/calendar" for p in booked.iter_attachments())
    appointment = Appointment.objects.get(patient__user__email="nora.quinn@example.com")
    assert appointment.specialist == clinic["specialist"]

    # The confirmation says what comes next: the questionnaire. Hands "barely tolerable"
    # (HDSS 3), nothing that rules iontophoresis out.
    page.get_by_role("link", name="Go to the questionnaire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaire")
    checks.check("intake-overview", patient_page=True)
    page.get_by_role("button", name="Start the questionnaire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    expect(page.get_by_label("Date of birth")).to_have_value("1994-06-02")
    checks.check("intake-about", patient_page=True)
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Where do you sweat?")
    group(page, "Hands (palms)").get_by_label("barely tolerable", exact=False).check()
    for area in ("Feet (soles)", "Underarms", "Face, scalp or head"):
        group(page, area).get_by_label("Not a problem").check()
    group(page, "all over your body").get_by_label("No", exact=True).check()
    checks.check("intake-areas", patient_page=True, docs=True)
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("When it started and how it goes")
    page.get_by_label("About how old were you").fill("13")
    page.get_by_label("How long has it been going on?").fill("18")
    group(page, "both sides").get_by_label("Yes", exact=True).check()
    group(page, "at least once a week").get_by_label("Yes", exact=True).check()
    group(page, "anyone in your family").get_by_label("Yes", exact=True).check()
    save_and_continue(page)  # one question forgotten: a plain message, nothing lost
    expect(page.get_by_text("Please check the answers marked below")).to_be_visible()
    checks.check("intake-history-error", patient_page=True, docs=True)
    group(page, "while you are asleep").get_by_label("No", exact=True).check()
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Other symptoms")
    checks.check("intake-symptoms", patient_page=True)
    save_and_continue(page)
    group(page, "pregnant").get_by_label("No", exact=True).check()
    group(page, "breastfeeding").get_by_label("No", exact=True).check()
    checks.check("intake-pregnancy", patient_page=True)
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Implants and metal in the body")
    group(page, "any metal inside your body").get_by_label("No", exact=True).check()
    checks.check("intake-implants", patient_page=True)
    save_and_continue(page)
    group(page, "IUD").get_by_label("No", exact=True).check()
    checks.check("intake-iud", patient_page=True)
    save_and_continue(page)
    group(page, "glaucoma").get_by_label("No", exact=True).check()
    checks.check("intake-conditions", patient_page=True)
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("The skin where you sweat")
    group(page, "Hands (palms)").get_by_label("Healthy skin").check()
    checks.check("intake-skin", patient_page=True)
    save_and_continue(page)
    checks.check("intake-allergies", patient_page=True)
    save_and_continue(page)
    checks.check("intake-medicines", patient_page=True)
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Treatments you have tried")
    checks.check("intake-tried", patient_page=True)
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers and send them")
    page.get_by_label("Type your full name as your signature").fill("Nora Quinn")
    page.get_by_label("I have read the text above and I agree").check()
    checks.check("intake-review", patient_page=True)
    page.get_by_role("button", name="Sign and send my answers").click()

    # Sees the plain-language summary: no rule ids, no jargon.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaire summary")
    assert not RULE_ID.search(page.locator("main").inner_text())
    checks.check("intake-summary", patient_page=True, docs=True)
    screen = Screen.objects.get(patient__user__email="nora.quinn@example.com")
    assert screen.profile["areas"] == {"palmar": 3}
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("link", name="My appointments").click()
    expect(page.locator(".appt-card")).to_have_count(1)
    checks.check("appointments", patient_page=True)
    page.goto(live_site + "/treatment/")
    expect(page.get_by_text("There is no treatment plan yet.")).to_be_visible()
    checks.check("my-treatment-empty", patient_page=True)

    # Meanwhile the clinic acts (the staff and specialist journeys drive these same pages in
    # the browser): the nurse clears the screen, Dr Ng assigns home iontophoresis from today.
    clinic_acts_on(screen, clinic["doctor"])

    # Sees the plan and the sessions coming up.
    page.goto(live_site + "/home/")
    checks.check("home-with-plan", patient_page=True)
    page.get_by_role("link", name="My treatment").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My treatment")
    expect(page.get_by_text("Tap-water iontophoresis")).to_be_visible()
    expect(page.get_by_role("heading", name="Log your sessions")).to_be_visible()
    checks.check("my-treatment", patient_page=True, docs=True)

    # Today's session reminder: at the session's time the dispatcher (beat runs it every
    # minute; here its tick is run at that instant rather than waiting for it) hands the due
    # reminder to the outbox, and the worker renders and emails it: time, place, a link.
    today_session = PlannedSession.objects.get(
        plan__patient__user__email="nora.quinn@example.com", day=patient_today(screen.patient)
    )
    assert reminders_dispatch(now=today_session.starts_at) == {"sent": 1}
    reminder = mail_to(clinic_servers, "nora.quinn@example.com", "Your reminder for today")
    text = smtp.text_of(reminder)
    assert "at home" in text and "iontophoresis" not in text.lower(), text
    link = re.search(r"https?://\S+/treatment/", text)
    assert link, text
    page.goto(link.group(0))

    # Logs today's session: done, but with blisters.
    page.get_by_role("link", name=re.compile("^Log the session of")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How did the session go?")
    checks.check("log-session", patient_page=True, docs=True)
    page.get_by_text("Done, but something was different").click()
    done = page.locator("form", has=page.locator("input[name=action][value=done]"))
    done.get_by_label("Minutes").fill("20")
    done.get_by_label("Current reached (mA)").fill("12")
    done.get_by_label("Hands (palms)").check()
    done.get_by_label("None", exact=True).uncheck()
    done.get_by_label("Blisters").check()
    done.get_by_label("Notes (optional)").fill("Two small blisters on the right palm.")
    checks.check("log-session-details", patient_page=True)
    done.get_by_role("button", name="Save the session").click()
    expect(page.get_by_role("status").first).to_contain_text("your specialist is told")
    checks.check("session-logged", patient_page=True)
    log = SessionLog.objects.get(patient__user__email="nora.quinn@example.com")
    assert log.side_effects == ["blisters"]
    assert Flag.objects.filter(patient=log.patient, closed_at__isnull=True).exists()

    # A check-in, then the chart.
    page.goto(live_site + "/treatment/")
    page.get_by_role("link", name=re.compile("check-in|check in", re.I)).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How is your sweating now?")
    hands = page.get_by_role("group", name="Hands (palms)")
    hands.get_by_label(re.compile("tolerable but sometimes interferes")).check()
    hands.get_by_label(re.compile("How dry is it now")).select_option("6")
    checks.check("checkin", patient_page=True)
    page.get_by_role("button", name="Save my check-in").click()
    expect(page.get_by_text("Thank you: your check-in is saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("My progress")
    expect(
        page.get_by_role("img", name=re.compile("Hands \\(palms\\): sweating score"))
    ).to_be_visible()
    checks.check("progress", patient_page=True, docs=True)
    assert CheckIn.objects.get(patient=log.patient).scores == {"palmar": 2}

    # Downloads her data: one FHIR R4B bundle with her appointment, answers and plan.
    page.goto(live_site + "/home/")
    page.get_by_role("link", name="Download my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my data")
    checks.check("my-data", patient_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my record").click()
    bundle = json.loads(Path(download_info.value.path()).read_text())
    assert bundle["resourceType"] == "Bundle"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Appointment", "QuestionnaireResponse", "CarePlan"} <= kinds, kinds
    assert "Nora Quinn" in json.dumps(bundle)

    checks.assert_clean()


def clinic_acts_on(screen, doctor):
    """The staff review and the specialist's plan, through the services the pages call."""
    nurse = UserFactory(email="nurse@example.com", first_name="Tom", role=Role.STAFF)
    screen_review(
        screen_id=screen.pk, outcome="cleared", note="Fine.", message_to_patient="", user=nurse
    )
    patient = screen.patient
    today = patient_today(patient)
    values = default_item(
        "iontophoresis",
        areas=("palmar",),
        start=today,
        minor=False,
        patient_name=patient.display_name,
        hdss=3,
    )
    # Three days a week starting today, so that today has a session.
    values["weekdays"] = tuple(sorted((today + dt.timedelta(days=n)).weekday() for n in (0, 2, 4)))
    plan_assign(
        patient_id=patient.pk,
        items=[ItemSpec(treatment="iontophoresis", areas=("palmar",), **values)],
        user=doctor,
    )


# --- Staff ----------------------------------------------------------------------------------
def test_staff_journey(page, clinic_servers, clinic, live_site):
    """A nurse logs in with a real authenticator code, reviews the new screen (corrects an
    answer, clears it) and looks at the calendar."""
    nurse = clinician(Role.STAFF, "nurse@example.com", "Tom", "Baker")
    mia = PatientFactory(
        user=UserFactory(email="mia@example.com", first_name="Mia", role=Role.PATIENT),
        legal_name="Mia Jensen",
        date_of_birth=dt.date(1992, 3, 8),
    )
    screen = make_screen(
        mia, areas={"palmar": 3}, status=Screen.Status.SUBMITTED, family_history=False
    )
    start = next_free_start(clinic, days=1)
    appointment_book(
        patient=mia,
        consultation_type=clinic["ctype"],
        specialist=clinic["specialist"],
        start=start,
        booked_by=mia.user,
    )
    checks = PageChecks(page, "staff")
    page.set_viewport_size(DESKTOP)
    page.context.set_default_timeout(10_000)
    log_in(page, checks, live_site, "nurse@example.com", two_factor=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Eligibility screens")
    checks.check("screen-queue")
    page.get_by_role("link", name="Mia Jensen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mia Jensen")
    checks.check("screen")

    page.get_by_role("link", name="Correct: Family history").click()
    checks.check("screen-correct")
    group(page, "New answer").get_by_label("Yes", exact=True).check()
    page.get_by_label("Why is it corrected?").fill("Called Mia: her father has the same.")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("Corrected. A new screen replaces the old one")).to_be_visible()
    checks.check("screen-corrected", docs=True)

    group(page, "Outcome").get_by_label("Cleared").check()
    page.get_by_label("Note for the clinic team").fill("Ready for the consultation.")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_text("The screen is marked reviewed.")).to_be_visible()
    checks.check("screen-reviewed")
    new = Screen.objects.get(supersedes=screen)
    assert (new.status, new.outcome, new.reviewed_by) == ("reviewed", "cleared", nurse)
    assert new.profile["family_history"] is True
    assert ScreenCorrection.objects.get().field == "family_history"

    # The calendar: the day of Mia's consultation, then its week.
    page.get_by_role("link", name="Calendar").first.click()
    checks.check("calendar-today")
    day = start.astimezone(clinic_tz()).date()
    page.goto(live_site + f"/staff/calendar/?date={day.isoformat()}")
    expect(page.get_by_text("Mia Jensen").first).to_be_visible()
    checks.check("calendar-day")
    page.goto(live_site + f"/staff/calendar/week/?date={day.isoformat()}&specialist=all")
    expect(page.get_by_text("Mia Jensen").first).to_be_visible()
    checks.check("calendar-week", docs=True)
    page.set_viewport_size(PHONE)
    checks.check("calendar-week-phone")

    checks.assert_clean()


def next_free_start(clinic, *, days: int):
    """The first free start ``days`` ahead with the clinic's specialist (clinic time)."""
    avail = availability_load(consultation_type=clinic["ctype"], specialist=clinic["specialist"])
    day = clinic_today() + dt.timedelta(days=days)
    return slots_for_days(avail, day, day)[day][0].start


# --- The specialist -------------------------------------------------------------------------
def test_specialist_journey(page, clinic_servers, clinic, live_site):
    """Dr Ng logs in with a real authenticator code, opens a cleared patient's chart and
    assigns iontophoresis; for a patient with a pacemaker she chooses the excluded option and
    must write why."""
    omar = PatientFactory(
        user=UserFactory(email="omar@example.com", first_name="Omar", role=Role.PATIENT),
        legal_name="Omar Haddad",
        date_of_birth=dt.date(1975, 5, 5),
    )
    make_screen(omar, areas={"palmar": 3, "plantar": 3})
    maria = PatientFactory(
        user=UserFactory(role=Role.PATIENT),
        legal_name="Maria Lopez",
        date_of_birth=dt.date(1991, 4, 12),
    )
    make_screen(maria, areas={"palmar": 3}, electronic_implants=["pacemaker"])
    checks = PageChecks(page, "specialist")
    page.set_viewport_size(DESKTOP)
    page.context.set_default_timeout(10_000)

    log_in(page, checks, live_site, "ng@example.com", two_factor=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients needing attention")
    checks.check("dashboard-empty")
    page.get_by_role("navigation").get_by_role("link", name="Patients", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    checks.check("patients")
    page.get_by_role("link", name="Omar Haddad").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Omar Haddad")
    expect(page.get_by_text("Hands (palms) · HDSS 3 · top: Iontophoresis")).to_be_visible()
    checks.check("chart-before", docs=True)

    # Iontophoresis for hands and feet together, the engine's top option.
    page.get_by_role("link", name="Assign a plan").click()
    hands = group(page, "Hands (palms)")
    expect(hands.get_by_role("radio", name=re.compile("^Iontophoresis"))).to_be_checked()
    page.get_by_label(re.compile("Treat hands and feet together")).check()
    checks.check("plan-choose", docs=True)
    page.get_by_role("button", name="Next: details").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("step 2 of 2")
    expect(page.get_by_label("Session length (minutes)")).to_have_value("30")
    page.get_by_label("Target current (mA)").fill("25")
    page.get_by_role("button", name="Assign the plan").click()
    expect(page.get_by_role("alert")).to_contain_text("at most 20 mA")
    checks.check("plan-details-error")
    page.get_by_label("Target current (mA)").fill("14")
    # He starts today, three days a week from today (every other day).
    today = patient_today(omar)
    page.get_by_label("Start date").fill(today.isoformat())
    days = {calendar.day_name[(today + dt.timedelta(days=n)).weekday()] for n in (0, 2, 4)}
    for name in calendar.day_name:
        page.get_by_label(name, exact=True).set_checked(name in days)
    page.get_by_role("button", name="Assign the plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Session calendar")
    expect(page.get_by_text("The plan is assigned and its calendar is ready.")).to_be_visible()
    checks.check("plan-calendar", docs=True)
    plan = Plan.objects.get(patient=omar)
    assert plan.current_version.items.get().areas == ["palmar", "plantar"]
    assert plan.sessions.filter(kind="session", phase="initial").count() == 12
    page.get_by_role("link", name="Omar Haddad").first.click()
    checks.check("chart-after")

    # Maria has a pacemaker: iontophoresis is excluded, so a written reason is required.
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("link", name="Maria Lopez").click()
    checks.check("chart-excluded")
    page.get_by_role("link", name="Assign a plan").click()
    hands = group(page, "Hands (palms)")
    hands.get_by_role("radio", name=re.compile("^Iontophoresis")).check()
    expect(hands.get_by_text("(required for this choice)")).to_be_visible()
    page.get_by_role("button", name="Next: details").click()
    # On the reason box, and in the summary at the top (a link to that box).
    hands = group(page, "Hands (palms)")
    expect(hands.get_by_text(re.compile("A written clinical reason is required"))).to_be_visible()
    expect(page.locator(".error-summary").get_by_role("link")).to_contain_text(
        "A written clinical reason is required"
    )
    checks.check("plan-reason-required", docs=True)
    group(page, "Hands (palms)").get_by_label("Clinical reason").fill(
        "Pacemaker is TENS-safe per cardiology letter; supervised trial agreed."
    )
    page.get_by_role("button", name="Next: details").click()
    page.get_by_role("button", name="Assign the plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Session calendar")
    page.goto(live_site + f"/specialist/patients/{maria.pk}/")
    expect(page.locator(".override-reason").first).to_contain_text("cardiology letter")
    checks.check("chart-override")
    page.set_viewport_size(PHONE)
    checks.check("chart-override-phone")

    # Meanwhile Omar logs a session with blisters (the patient journey does this on its
    # pages): the dashboard flags him.
    session_log_create(
        user=omar.user,
        patient_id=omar.pk,
        entry=LogEntry(
            day=patient_today(omar),
            minutes=30,
            current_ma=Decimal("14"),
            areas=("palmar", "plantar"),
            side_effects=("blisters",),
            notes="Two small blisters on the left palm.",
        ),
    )
    page.set_viewport_size(DESKTOP)
    page.get_by_role("navigation").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients needing attention")
    card = page.locator(".attention-patient", has_text="Omar Haddad")
    expect(card.get_by_text("Blisters or pain reported")).to_be_visible()
    checks.check("dashboard", docs=True)
    card.get_by_role("link", name=re.compile("Acknowledge: Blisters")).click()
    expect(page.get_by_text("Two small blisters on the left palm.")).to_be_visible()
    checks.check("flag")
    page.get_by_label(re.compile("Note")).fill("Called Omar: pause a week, then 10 mA.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Flag acknowledged.")).to_be_visible()
    flag = Flag.objects.get(patient=omar, kind="side_effect_concern")
    assert flag.closed_by == clinic["doctor"]

    checks.assert_clean()
