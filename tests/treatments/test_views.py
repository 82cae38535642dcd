"""The specialist's pages and the patient's "My treatment": access, the two-step assignment,
changes, notes, the calendar feed and .ics download."""

import datetime
import re
from decimal import Decimal

import pytest
from icalendar import Calendar

from clinic.audit.models import AccessEvent
from patients.models import Screen
from tests.factories import PatientFactory, make_screen
from tests.treatments.conftest import ion
from treatments.models import CalendarFeed, ConsultationNote, Plan, PlannedSession, PlanVersion
from treatments.services import plan_assign

pytestmark = pytest.mark.django_db


def chart_url(patient):
    return f"/specialist/patients/{patient.pk}/"


def today_ion(**overrides):
    today = datetime.date.today()
    values = {"start_date": today, "review_date": today + datetime.timedelta(weeks=4)}
    return ion(**{**values, **overrides})


@pytest.fixture
def with_plan(screened, specialist_user):
    plan_assign(patient_id=screened.pk, items=[today_ion()], user=specialist_user)
    return screened


# --- Access ---------------------------------------------------------------------------------
SPECIALIST_PAGES = [
    "",
    "plan/",
    "plan/details/",
    "plan/maintenance/",
    "plan/calendar/",
    "plan/versions/1/",
    "notes/new/",
    "take-on/",
]


@pytest.mark.parametrize("suffix", SPECIALIST_PAGES)
def test_patients_are_refused_specialist_pages(patient_client, with_plan, suffix):
    response = patient_client.get(chart_url(with_plan) + suffix)
    assert response.status_code == 403


@pytest.mark.parametrize("suffix", SPECIALIST_PAGES)
def test_anonymous_users_are_sent_to_login(client, with_plan, suffix):
    response = client.get(chart_url(with_plan) + suffix)
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize(
    ("suffix", "status"),
    [
        ("", 200),
        ("plan/calendar/", 200),
        ("plan/versions/1/", 200),
        ("plan/", 403),
        ("plan/details/", 403),
        ("plan/maintenance/", 403),
        ("notes/new/", 403),
        ("take-on/", 403),
    ],
)
def test_staff_can_view_but_not_change(staff_client, with_plan, suffix, status):
    assert staff_client.get(chart_url(with_plan) + suffix).status_code == status


def test_staff_cannot_post_a_plan(staff_client, screened):
    response = staff_client.post(chart_url(screened) + "plan/", {"palmar-treatment": "none"})
    assert response.status_code == 403
    assert not Plan.objects.exists()


@pytest.mark.parametrize("suffix", ["", "plan/calendar/", "plan/versions/1/", "plan/"])
def test_a_missing_patient_is_a_404(specialist_client, suffix):
    assert specialist_client.get(f"/specialist/patients/999999/{suffix}").status_code == 404


def test_the_specialists_home_is_the_attention_dashboard(specialist_client):
    # Issue 7 moved the specialists' start page from the patient list to the dashboard.
    response = specialist_client.get("/home/")
    assert response.status_code == 302 and response.url == "/specialist/dashboard/"


def test_opening_the_chart_is_in_the_access_log(specialist_client, with_plan, specialist_user):
    specialist_client.get(chart_url(with_plan))
    event = AccessEvent.objects.get(view_name="treatments:chart")
    assert event.actor == specialist_user
    assert event.patient_key == f"patients.patient:{with_plan.pk}"


def test_the_chart_shows_screen_options_plan_and_history(specialist_client, with_plan):
    page = specialist_client.get(chart_url(with_plan)).content.decode()
    assert "Ann Example" in page and with_plan.phone in page
    assert "HDSS 3" in page and "Iontophoresis" in page and "option-top" in page
    assert "Version 1" in page and "Open the session calendar" in page
    assert "Change the plan" in page and "Move to maintenance" in page


def test_the_patient_list_searches_and_filters(specialist_client, screened, other_patient):
    page = specialist_client.get("/specialist/patients/?q=ann%20ex").content.decode()
    assert "Ann Example" in page and "Ben Other" not in page
    ready = specialist_client.get("/specialist/patients/?scope=ready").content.decode()
    assert "Ann Example" in ready and "Ben Other" not in ready
    junk = specialist_client.get("/specialist/patients/?scope=<b>&page=x")
    assert junk.status_code == 200


# --- Assigning through the pages ------------------------------------------------------------
def test_a_specialist_assigns_a_plan_in_two_steps(specialist_client, screened):
    step1 = specialist_client.get(chart_url(screened) + "plan/")
    assert step1.status_code == 200
    # The engine's top option is preselected.
    assert re.search(r'value="iontophoresis" data-status="ok" checked', step1.content.decode())
    response = specialist_client.post(
        chart_url(screened) + "plan/",
        {
            "palmar-treatment": "iontophoresis",
            "plantar-treatment": "iontophoresis",
            "together": "on",
        },
    )
    assert response.status_code == 302 and response.url.endswith("plan/details/")
    step2 = specialist_client.get(response.url)
    assert step2.status_code == 200
    html = step2.content.decode()
    assert 'name="item0-session_minutes"' in html and 'value="30"' in html  # feet: 30 min
    today = datetime.date.today()
    data = {
        "item0-setting": "home",
        "item0-session_minutes": "30",
        "item0-current_ma": "12",
        "item0-sessions_per_week": "3",
        "item0-weekdays": ["0", "2", "4"],
        "item0-initial_weeks": "4",
        "item0-maintenance_interval_weeks": "1",
        "item0-start_date": today.isoformat(),
        "item0-water": "tap",
        "item0-review_date": (today + datetime.timedelta(weeks=4)).isoformat(),
        "status": "stopped",  # not a field: ignored (S4)
    }
    response = specialist_client.post(chart_url(screened) + "plan/details/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url.endswith("plan/calendar/")
    plan = Plan.objects.get(patient=screened)
    assert plan.status == Plan.Status.ACTIVE
    assert plan.current_version.items.get().areas == ["palmar", "plantar"]
    assert plan.sessions.filter(kind="session", phase="initial").count() == 12
    calendar = specialist_client.get(response.url).content.decode()
    assert "Session calendar" in calendar and "Initial phase" in calendar


def test_an_excluded_choice_without_a_reason_is_refused_on_the_page(specialist_client, patient):
    make_screen(patient, areas={"palmar": 3}, electronic_implants=["pacemaker"])
    url = chart_url(patient) + "plan/"
    response = specialist_client.post(url, {"palmar-treatment": "iontophoresis"})
    assert response.status_code == 200
    assert "A written clinical reason is required" in response.content.decode()
    assert f"plan-draft-{patient.pk}" not in specialist_client.session
    response = specialist_client.post(
        url,
        {"palmar-treatment": "iontophoresis", "palmar-reason": "Cardiologist cleared it."},
    )
    assert response.status_code == 302


def summary_links(html: str) -> list[tuple[str, str]]:
    box = re.search(r'<div class="alert alert-danger error-summary".*?</div>', html, re.S)
    assert box, "no error summary at the top of the form"
    return re.findall(r'<a class="alert-link" href="(#[^"]+)">([^<]+)</a>', box.group(0))


def test_a_missing_override_reason_is_on_the_field_and_linked_from_the_top(
    specialist_client, patient
):
    make_screen(patient, areas={"palmar": 3}, electronic_implants=["pacemaker"])
    html = specialist_client.post(
        chart_url(patient) + "plan/", {"palmar-treatment": "iontophoresis"}
    ).content.decode()
    [(href, text)] = summary_links(html)
    assert href == "#id_palmar-reason"
    assert "Clinical reason: A written clinical reason is required" in text
    # ... and on the field itself, described by its message.
    assert 'aria-describedby="id_palmar-reason-error"' in html
    assert re.search(r'id="id_palmar-reason-error">A written clinical reason is required', html)
    assert html.index("error-summary") < html.index('id="area-palmar"')


def test_a_missing_change_reason_is_on_the_field_and_linked_from_the_top(
    specialist_client, with_plan
):
    url = chart_url(with_plan)
    specialist_client.post(
        url + "plan/", {"palmar-treatment": "iontophoresis", "plantar-treatment": "none"}
    )
    today = datetime.date.today()
    html = specialist_client.post(
        url + "plan/details/",
        {
            "item0-setting": "home",
            "item0-session_minutes": "",  # and no "reason"
            "item0-current_ma": "15",
            "item0-sessions_per_week": "3",
            "item0-weekdays": ["0", "2", "4"],
            "item0-initial_weeks": "4",
            "item0-maintenance_interval_weeks": "2",
            "item0-start_date": today.isoformat(),
            "item0-water": "tap_baking_soda",
            "item0-review_date": (today + datetime.timedelta(weeks=4)).isoformat(),
        },
    ).content.decode()
    links = dict(summary_links(html))
    assert links["#id_reason"].startswith("Why the plan changes: This field is required")
    assert links["#id_item0-session_minutes"].startswith("Hands")
    assert 'id="id_reason"' in html and html.count("This field is required") >= 3
    assert PlanVersion.objects.count() == 1


def test_details_first_sends_back_to_the_choice(specialist_client, screened):
    response = specialist_client.get(chart_url(screened) + "plan/details/")
    assert response.status_code == 302 and response.url.endswith("/plan/")


def test_bad_details_are_refused_with_the_services_messages(specialist_client, screened):
    specialist_client.post(
        chart_url(screened) + "plan/",
        {"palmar-treatment": "iontophoresis", "plantar-treatment": "none"},
    )
    today = datetime.date.today()
    response = specialist_client.post(
        chart_url(screened) + "plan/details/",
        {
            "item0-setting": "home",
            "item0-session_minutes": "20",
            "item0-current_ma": "25",
            "item0-sessions_per_week": "3",
            "item0-weekdays": ["0", "2"],
            "item0-initial_weeks": "4",
            "item0-maintenance_interval_weeks": "1",
            "item0-start_date": today.isoformat(),
            "item0-water": "tap",
            "item0-review_date": (today + datetime.timedelta(weeks=4)).isoformat(),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "at most 20 mA" in html and "tick exactly 3 weekdays" in html
    assert not Plan.objects.exists()


@pytest.mark.parametrize(
    "garbage",
    [
        {"item0-current_ma": "lots"},
        {"item0-weekdays": ["9"]},
        {"item0-start_date": "2026-02-30"},
        {"item0-session_minutes": "9" * 30},
        {"item0-setting": "<script>"},
    ],
)
def test_malformed_details_never_500(specialist_client, screened, garbage):
    specialist_client.post(
        chart_url(screened) + "plan/",
        {"palmar-treatment": "iontophoresis", "plantar-treatment": "none"},
    )
    response = specialist_client.post(chart_url(screened) + "plan/details/", garbage)
    assert response.status_code == 200
    assert not Plan.objects.exists()


def test_a_plan_cannot_be_assigned_before_review(specialist_client, patient):
    make_screen(patient, areas={"palmar": 3}, status=Screen.Status.SUBMITTED)
    page = specialist_client.get(chart_url(patient) + "plan/").content.decode()
    assert "not been reviewed" in page and 'name="palmar-treatment"' not in page


def test_changing_through_the_pages_makes_version_2(specialist_client, with_plan):
    url = chart_url(with_plan)
    step1 = specialist_client.get(url + "plan/").content.decode()
    assert re.search(r'value="iontophoresis" data-status="ok" checked', step1)
    specialist_client.post(
        url + "plan/", {"palmar-treatment": "iontophoresis", "plantar-treatment": "none"}
    )
    step2 = specialist_client.get(url + "plan/details/").content.decode()
    assert 'name="reason"' in step2
    today = datetime.date.today()
    response = specialist_client.post(
        url + "plan/details/",
        {
            "item0-setting": "home",
            "item0-session_minutes": "20",
            "item0-current_ma": "15",
            "item0-sessions_per_week": "3",
            "item0-weekdays": ["0", "2", "4"],
            "item0-initial_weeks": "4",
            "item0-maintenance_interval_weeks": "2",
            "item0-start_date": today.isoformat(),
            "item0-water": "tap_baking_soda",
            "item0-review_date": (today + datetime.timedelta(weeks=4)).isoformat(),
            "reason": "Soft water at home; more current tolerated.",
        },
    )
    assert response.status_code == 302
    version = PlanVersion.objects.get(number=2)
    assert version.reason == "Soft water at home; more current tolerated."
    assert "current 12 mA → 15 mA" in version.summary


def test_move_to_maintenance_asks_first_and_acts_on_post(specialist_client, with_plan):
    url = chart_url(with_plan) + "plan/maintenance/"
    assert specialist_client.get(url).status_code == 200
    assert PlanVersion.objects.count() == 1  # GET changed nothing
    response = specialist_client.post(url, {"reason": "HDSS 1 after 8 sessions."})
    assert response.status_code == 302
    assert PlanVersion.objects.get(number=2).kind == "maintenance"


def test_take_on_makes_the_specialist_responsible(specialist_client, screened, specialist_user):
    url = chart_url(screened) + "take-on/"
    specialist_client.get(url)
    specialist_client.post(url)
    screened.refresh_from_db()
    assert screened.assigned_specialist.specialist == specialist_user


# --- Consultation notes ---------------------------------------------------------------------
def test_notes_are_versioned(specialist_client, screened, staff_client):
    url = chart_url(screened)
    specialist_client.post(
        url + "notes/new/", {"visit_date": "2026-03-02", "text": "First visit. HDSS 3."}
    )
    note = ConsultationNote.objects.get()
    specialist_client.post(
        url + f"notes/{note.pk}/",
        {"visit_date": "2026-03-02", "text": "First visit. HDSS 3, both hands.", "reason": "typo"},
    )
    note.refresh_from_db()
    assert note.revision_count == 2 and note.text.endswith("both hands.")
    assert [r.text for r in note.revisions.order_by("number")] == [
        "First visit. HDSS 3.",
        "First visit. HDSS 3, both hands.",
    ]
    page = staff_client.get(url + f"notes/{note.pk}/")
    assert page.status_code == 200 and "First visit. HDSS 3." in page.content.decode()
    assert staff_client.post(url + f"notes/{note.pk}/", {"text": "x"}).status_code == 403


# --- The patient's pages --------------------------------------------------------------------
def test_my_treatment_in_plain_language(patient_client, with_plan):
    page = patient_client.get("/treatment/").content.decode()
    assert "Tap-water iontophoresis" in page
    assert "3 sessions a week (Monday, Wednesday, Friday) for 4 weeks" in page
    assert "20 minutes a session" in page
    assert "At home, with your own device" in page
    assert "Common side effects" in page and "Tingling" in page
    assert "When to call us" in page
    assert "Coming up" in page and "Home session, 20 min" in page
    assert "ION-" not in page and "excluded" not in page


def test_my_treatment_without_a_plan(patient_client, patient):
    assert "no treatment plan yet" in patient_client.get("/treatment/").content.decode()


def test_other_patients_calendar_is_a_404(other_patient_client, with_plan, other_patient):
    page = other_patient_client.get("/treatment/").content.decode()
    assert "no treatment plan yet" in page and "Tap-water iontophoresis" not in page
    url = f"/treatment/{with_plan.pk}/"
    assert other_patient_client.get(url + "sessions.ics").status_code == 404
    assert other_patient_client.get(url + "calendar-link/create/").status_code == 404
    assert other_patient_client.post(url + "calendar-link/create/").status_code == 404
    assert not CalendarFeed.objects.exists()


def test_the_ics_download_parses(patient_client, with_plan):
    response = patient_client.get(f"/treatment/{with_plan.pk}/sessions.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == PlannedSession.objects.filter(status="planned").count()
    titles = {str(e["SUMMARY"]) for e in events}
    assert "Home session (20 min)" in titles
    assert not any("onto" in t.lower() or "ionto" in t.lower() for t in titles)


def test_calendar_feed_create_renew_revoke(client, patient_client, with_plan):
    base = f"/treatment/{with_plan.pk}/calendar-link/"
    assert patient_client.get(base + "create/").status_code == 200
    assert not CalendarFeed.objects.exists()  # GET only asks
    patient_client.post(base + "create/")
    feed = CalendarFeed.objects.get()
    page = patient_client.get("/treatment/").content.decode()
    assert feed.token in page
    url = f"/treatment/feed/t/{feed.token}.ics"
    response = client.get(url)  # no login: the token is the key
    assert response.status_code == 200
    cal = Calendar.from_ical(response.content)
    assert len(list(cal.walk("VEVENT"))) >= 12
    # Renew: the old URL is dead, the new one works.
    patient_client.post(base + "create/")
    new = CalendarFeed.objects.get(revoked_at__isnull=True)
    assert new.token != feed.token
    assert client.get(url).status_code == 404
    assert client.get(f"/treatment/feed/t/{new.token}.ics").status_code == 200
    # Revoke: 404.
    patient_client.post(base + "revoke/")
    assert client.get(f"/treatment/feed/t/{new.token}.ics").status_code == 404
    assert client.get("/treatment/feed/t/not-a-token.ics").status_code == 404


def test_S14_the_feed_token_is_scrubbed_from_logs():
    from clinic.logging import scrub

    assert "abcDEF123_-" not in scrub("GET /treatment/feed/t/abcDEF123_-.ics 200")


def test_the_feed_marks_cancelled_sessions(client, patient_client, with_plan, specialist_user):
    from treatments.services import plan_change

    plan = Plan.objects.get()
    plan_change(
        plan_id=plan.pk,
        items=[today_ion(weekdays=(1, 3, 5))],
        reason="New days.",
        user=specialist_user,
    )
    patient_client.post(f"/treatment/{with_plan.pk}/calendar-link/create/")
    feed = CalendarFeed.objects.get()
    cal = Calendar.from_ical(client.get(f"/treatment/feed/t/{feed.token}.ics").content)
    statuses = {str(e["STATUS"]) for e in cal.walk("VEVENT")}
    assert statuses == {"CONFIRMED", "CANCELLED"}
    moved = [e for e in cal.walk("VEVENT") if str(e["STATUS"]) == "CANCELLED"]
    assert all(int(e["SEQUENCE"]) == 2 for e in moved)


def test_a_guardian_sees_their_childs_plan(client, specialist_user):
    from clinic.accounts.roles import Role
    from tests.factories import UserFactory

    parent = UserFactory(role=Role.PATIENT, first_name="Grace")
    child = PatientFactory(
        user=None, guardian=parent, legal_name="Lily Kim", date_of_birth=datetime.date(2014, 9, 3)
    )
    make_screen(child, areas={"palmar": 3}, onset_age=8)
    plan_assign(
        patient_id=child.pk,
        items=[today_ion(current_ma=Decimal("10"), pulsed=True)],
        user=specialist_user,
    )
    client.force_login(parent)
    page = client.get("/treatment/").content.decode()
    assert "Lily" in page and "pulsed current" in page
    assert client.get(f"/treatment/{child.pk}/sessions.ics").status_code == 200


# --- S5: no state change on GET, CSRF on every POST -----------------------------------------
def _counts():
    return tuple(
        m.objects.count()
        for m in (Plan, PlanVersion, PlannedSession, CalendarFeed, ConsultationNote)
    ) + (PlannedSession.objects.filter(status="cancelled").count(),)


def test_get_of_every_plan_page_changes_nothing(specialist_client, patient_client, with_plan):
    base = chart_url(with_plan)
    before = _counts()
    for suffix in SPECIALIST_PAGES:
        assert specialist_client.get(base + suffix).status_code in (200, 302)
    for url in ("/treatment/", f"/treatment/{with_plan.pk}/sessions.ics"):
        assert patient_client.get(url).status_code == 200
    for action in ("create", "revoke"):
        url = f"/treatment/{with_plan.pk}/calendar-link/{action}/"
        assert patient_client.get(url).status_code == 200
    assert _counts() == before


def test_posts_need_the_csrf_token(patient_user, with_plan):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(patient_user)
    response = client.post(f"/treatment/{with_plan.pk}/calendar-link/create/")
    assert response.status_code == 403
    assert not CalendarFeed.objects.exists()
