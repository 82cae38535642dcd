"""The tracking pages: logging in two taps, editing within 48 hours, check-ins, the progress
chart (points, text alternative, empty state), the CSV export, the specialist's dashboard and
flags; access (another patient's → 404), bad input on every form, no change on GET, and
query counts that do not grow with the history."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from clinic.audit.models import AccessEvent
from tests.treatments.conftest import ion
from treatments.models import CheckIn, Flag, PlannedSession, SessionLog
from treatments.services import plan_assign
from treatments.services.sessions import patient_today
from treatments.services.tracking import LogEntry, checkin_record, session_log_create

pytestmark = pytest.mark.django_db


def _local(patient, day, hour):
    import zoneinfo

    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=zoneinfo.ZoneInfo(patient.time_zone)
    )


@pytest.fixture
def started(screened, specialist_user):
    """Ann's home plan for the hands, started on the Monday two to three weeks ago."""
    today = patient_today(screened)
    start = today - datetime.timedelta(days=14 + today.weekday())
    plan_assign(
        patient_id=screened.pk,
        items=[ion(start_date=start, review_date=start + datetime.timedelta(weeks=5))],
        user=specialist_user,
        now=_local(screened, start, 8),
    )
    screened.refresh_from_db()
    return screened


def past_sessions(patient):
    return list(
        PlannedSession.objects.filter(
            plan__patient=patient, kind="session", day__lt=patient_today(patient)
        ).order_by("day")
    )


def log_all(patient, *, skip=()):
    for n, s in enumerate(past_sessions(patient)):
        entry = LogEntry(status="skipped", skip_reason="forgot") if n in skip else None
        session_log_create(
            user=patient.user,
            patient_id=patient.pk,
            planned_session_id=s.pk,
            as_planned=entry is None,
            entry=entry,
            now=_local(patient, s.day, 20),
        )


# --- Logging in two taps ----------------------------------------------------------------------
def test_my_treatment_lists_sessions_to_log_and_done_as_planned_takes_two_taps(
    patient_client, started
):
    page = patient_client.get("/treatment/").content.decode()
    first = re.search(r'href="/treatment/sessions/(\d+)/log/"', page)
    assert first, "a session waiting for a log has a Log button"
    url = f"/treatment/sessions/{first.group(1)}/log/"
    assert "Done as planned" in patient_client.get(url).content.decode()  # tap 1
    response = patient_client.post(url, {"action": "as_planned"})  # tap 2
    assert response.status_code == 302
    log = SessionLog.objects.get()
    assert (log.status, log.minutes, log.current_ma) == ("done", 20, Decimal("12"))
    assert (
        f"/treatment/sessions/{first.group(1)}/log/"
        not in patient_client.get("/treatment/").content.decode()
    )


def test_a_session_logged_today_is_no_longer_coming_up(patient_client, screened, home_plan):
    import time_machine

    from tests.treatments.tracking_support import evening, session_on

    with time_machine.travel(evening(0), tick=False):
        page = patient_client.get("/treatment/").content.decode()
        assert upcoming_days(page)[:2] == ["Mon 2 Mar", "Wed 4 Mar"]
        session_log_create(
            user=screened.user,
            patient_id=screened.pk,
            planned_session_id=session_on(home_plan, 0).pk,
            as_planned=True,
        )
        page = patient_client.get("/treatment/").content.decode()
    assert upcoming_days(page)[0] == "Wed 4 Mar"  # Monday's is logged: done, not coming up


def upcoming_days(page: str) -> list[str]:
    return re.findall(r'class="upcoming-when"><strong>([^<]+)</strong>', page)


def test_logging_with_details_and_skipping(patient_client, started):
    a, b = past_sessions(started)[:2]
    patient_client.post(
        f"/treatment/sessions/{a.pk}/log/",
        {
            "action": "done",
            "done-minutes": "18",
            "done-current_ma": "14.5",
            "done-areas": ["palmar"],
            "done-side_effects": ["blisters"],
            "done-notes": "Stopped early.",
        },
    )
    patient_client.post(
        f"/treatment/sessions/{b.pk}/log/",
        {"action": "skipped", "skip-skip_reason": "unwell", "skip-notes": ""},
    )
    done, skipped = SessionLog.objects.order_by("day")
    assert (done.minutes, done.current_ma, done.current_out_of_bounds) == (
        18,
        Decimal("14.5"),
        True,
    )
    assert skipped.skip_reason == "unwell"
    from_logs = Flag.objects.filter(session_log__isnull=False).values_list("kind", flat=True)
    assert set(from_logs) == {"current", "side_effect_concern"}


GOOD_DONE = {
    "action": "done",
    "done-minutes": "20",
    "done-current_ma": "12",
    "done-areas": ["palmar"],
    "done-side_effects": ["none"],
}


@pytest.mark.parametrize(
    "data",
    [
        {**GOOD_DONE, "done-minutes": "abc"},
        {**GOOD_DONE, "done-minutes": "0"},
        {**GOOD_DONE, "done-minutes": "61"},
        {**GOOD_DONE, "done-current_ma": "1e9"},
        {**GOOD_DONE, "done-current_ma": "-3"},
        {**GOOD_DONE, "done-areas": ["elbow"]},
        {**GOOD_DONE, "done-areas": []},
        {**GOOD_DONE, "done-side_effects": ["none", "pain"]},
        {**GOOD_DONE, "done-side_effects": ["other"]},
        {**GOOD_DONE, "done-side_effects": ["<b>x</b>"]},
        {**GOOD_DONE, "done-notes": "x" * 5000},
        {"action": "skipped", "skip-skip_reason": ""},
        {"action": "skipped", "skip-skip_reason": "other", "skip-notes": ""},
        {"action": "skipped", "skip-skip_reason": "<script>"},
        {"action": "nonsense"},
        {},
    ],
)
def test_bad_session_logs_get_a_message_and_write_nothing(patient_client, started, data):
    session = past_sessions(started)[0]
    response = patient_client.post(f"/treatment/sessions/{session.pk}/log/", data)
    assert response.status_code == 200
    assert (
        'role="alert"' in response.content.decode()
        or "invalid-feedback" in response.content.decode()
    )
    assert not SessionLog.objects.exists() and not Flag.objects.exists()


def test_extra_fields_cannot_set_the_owner_or_the_flag(patient_client, started, other_patient):
    session = past_sessions(started)[0]
    patient_client.post(
        f"/treatment/sessions/{session.pk}/log/",
        {
            "action": "as_planned",
            "patient": other_patient.pk,
            "logged_by": 1,
            "current_out_of_bounds": "on",
            "status": "skipped",
        },
    )
    log = SessionLog.objects.get()
    assert log.patient == started and log.status == "done" and not log.current_out_of_bounds


def test_an_extra_session_in_the_future_is_refused(patient_client, started):
    tomorrow = patient_today(started) + datetime.timedelta(days=1)
    response = patient_client.post(
        f"/treatment/{started.pk}/extra-session/",
        {
            "day": tomorrow.isoformat(),
            "minutes": "20",
            "current_ma": "12",
            "areas": ["palmar"],
            "side_effects": ["none"],
        },
    )
    assert response.status_code == 200 and "cannot be in the future" in response.content.decode()
    assert not SessionLog.objects.exists()


def test_an_extra_session_is_logged(patient_client, started):
    today = patient_today(started)
    response = patient_client.post(
        f"/treatment/{started.pk}/extra-session/",
        {
            "day": today.isoformat(),
            "minutes": "25",
            "current_ma": "11",
            "areas": ["palmar"],
            "side_effects": ["tingling"],
        },
    )
    assert response.status_code == 302
    log = SessionLog.objects.get()
    assert log.is_extra and log.minutes == 25 and log.side_effects == ["tingling"]


# --- The 48-hour window on the page --------------------------------------------------------------
def test_a_log_is_editable_for_48_hours_then_read_only(patient_client, started):
    session = past_sessions(started)[-1]
    patient_client.post(f"/treatment/sessions/{session.pk}/log/", {"action": "as_planned"})
    log = SessionLog.objects.get()
    edit = {
        "action": "done",
        "done-minutes": "15",
        "done-current_ma": "12",
        "done-areas": ["palmar"],
        "done-side_effects": ["none"],
    }
    assert "Save the changes" in patient_client.get(f"/treatment/logs/{log.pk}/").content.decode()
    assert patient_client.post(f"/treatment/logs/{log.pk}/", edit).status_code == 302
    log.refresh_from_db()
    assert log.minutes == 15
    SessionLog.objects.filter(pk=log.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=48, seconds=1)
    )
    page = patient_client.get(f"/treatment/logs/{log.pk}/").content.decode()
    assert "read-only" in page and "Save the changes" not in page
    patient_client.post(f"/treatment/logs/{log.pk}/", {**edit, "done-minutes": "5"})
    log.refresh_from_db()
    assert log.minutes == 15


# --- Check-ins -----------------------------------------------------------------------------------
def test_a_check_in_is_due_and_saved(patient_client, started):
    assert "Time for your two-weekly check-in" in patient_client.get("/treatment/").content.decode()
    page = patient_client.get(f"/treatment/{started.pk}/check-in/").content.decode()
    assert "My sweating is tolerable but sometimes interferes" in page
    response = patient_client.post(
        f"/treatment/{started.pk}/check-in/", {"palmar-hdss": "2", "palmar-dryness": "6"}
    )
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert (checkin.scores, checkin.dryness) == ({"palmar": 2}, {"palmar": 6})
    assert "Time for your two-weekly" not in patient_client.get("/treatment/").content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"palmar-hdss": "5"},
        {"palmar-hdss": "two"},
        {"palmar-hdss": "2", "palmar-dryness": "11"},
    ],
)
def test_bad_check_ins_get_a_message_and_write_nothing(patient_client, started, data):
    response = patient_client.post(f"/treatment/{started.pk}/check-in/", data)
    assert response.status_code == 200 and "alert" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_specialist_records_the_hdss_at_a_consultation(specialist_client, started):
    url = f"/specialist/patients/{started.pk}/check-in/"
    future = (patient_today(started) + datetime.timedelta(days=2)).isoformat()
    response = specialist_client.post(url, {"day": future, "palmar-hdss": "3"})
    assert response.status_code == 200 and "cannot be in the future" in response.content.decode()
    assert not CheckIn.objects.exists()
    today = patient_today(started).isoformat()
    assert specialist_client.post(url, {"day": today, "palmar-hdss": "3"}).status_code == 302
    assert CheckIn.objects.get().source == "consultation"


# --- Progress and the chart -------------------------------------------------------------------
def test_the_progress_page_has_an_empty_state(patient_client, started):
    page = patient_client.get(f"/treatment/{started.pk}/progress/").content.decode()
    # Past sessions exist but are all missed: the chart shows them; a brand-new plan is empty.
    assert "<svg" in page
    PlannedSession.objects.filter(day__lt=patient_today(started)).delete()
    page = patient_client.get(f"/treatment/{started.pk}/progress/").content.decode()
    assert "Nothing to show yet" in page and 'class="progress-svg"' not in page


def test_the_chart_draws_the_known_history(patient_client, started):
    log_all(started, skip=(1,))
    sessions = past_sessions(started)
    first_day = sessions[0].day
    checkin_record(
        user=started.user,
        patient_id=started.pk,
        scores={"palmar": 2},
        dryness={"palmar": 7},
        now=_local(started, first_day + datetime.timedelta(days=13), 21),
    )
    page = patient_client.get(f"/treatment/{started.pk}/progress/").content.decode()
    # HDSS points: the screen's 3 at the start, then the check-in's 2.
    points = re.findall(r'class="hdss-point"[^>]*data-day="([\d-]+)" data-value="(\d)"', page)
    assert points == [
        (first_day.isoformat(), "3"),
        ((first_day + datetime.timedelta(days=13)).isoformat(), "2"),
    ]
    assert page.count('class="mark-done"') == len(sessions) - 1
    assert page.count('class="mark-skipped"') == 1
    # The text alternative: a table of the same values, and the SVG is labelled.
    assert "<table" in page and "<caption" in page and 'role="img"' in page
    assert re.search(r"<td>\d+ \w+ \d{4}</td><td>2</td><td>7</td>", page)


def test_a_check_in_on_the_start_day_is_the_baseline_everywhere(
    patient_client, specialist_client, specialist_user, started
):
    # The screen said HDSS 3; at the consultation the day the plan started the specialist
    # recorded 2, and no session is done yet. The chart, its table, the "At the start" line
    # and the specialist's summary all start from that 2.
    start = past_sessions(started)[0].day
    checkin_record(
        user=specialist_user,
        patient_id=started.pk,
        scores={"palmar": 2},
        source="consultation",
        day=start,
    )
    page = patient_client.get(f"/treatment/{started.pk}/progress/").content.decode()
    points = re.findall(r'class="hdss-point"[^>]*data-day="([\d-]+)" data-value="(\d)"', page)
    assert points == [(start.isoformat(), "2")]
    assert "At the start: HDSS 2" in page and "At the start: HDSS 3" not in page
    table = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    assert re.findall(r"<tr><td>[^<]+</td><td>(\d)</td>", table) == ["2"]
    assert "questionnaire (start)" not in table
    chart = specialist_client.get(f"/specialist/patients/{started.pk}/").content.decode()
    assert "start 2" in chart and "start 3" not in chart
    # Once sessions are done, the baseline stays that check-in (on or before the first one).
    log_all(started)
    page = patient_client.get(f"/treatment/{started.pk}/progress/").content.decode()
    assert "At the start: HDSS 2" in page


def test_a_check_in_after_the_start_is_not_the_baseline(patient_client, started):
    # No session done yet and a check-in (2) a few days after the plan started: the start is
    # still the screen's 3, drawn at the start day, listed first in the table.
    start = past_sessions(started)[0].day
    checkin_record(user=started.user, patient_id=started.pk, scores={"palmar": 2})
    page = patient_client.get(f"/treatment/{started.pk}/progress/").content.decode()
    points = re.findall(r'class="hdss-point"[^>]*data-day="([\d-]+)" data-value="(\d)"', page)
    assert points[0] == (start.isoformat(), "3") and points[-1][1] == "2"
    assert "At the start: HDSS 3" in page
    table = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    assert re.findall(r"<tr><td>[^<]+</td><td>(\d)</td>", table) == ["3", "2"]


def test_the_specialist_sees_adherence_and_check_ins_on_the_chart(specialist_client, started):
    log_all(started, skip=(0,))
    checkin_record(user=started.user, patient_id=started.pk, scores={"palmar": 2})
    page = specialist_client.get(f"/specialist/patients/{started.pk}/").content.decode()
    assert "Adherence" in page and "HDSS check-ins" in page
    done = len(past_sessions(started)) - 1
    assert f"{done} of {done + 1}" in page
    assert "start 3" in page and "latest 2" in page


# --- CSV export -------------------------------------------------------------------------------
def test_the_patient_downloads_their_sessions_and_check_ins(patient_client, started):
    log_all(started, skip=(1,))
    session_log_create(
        user=started.user,
        patient_id=started.pk,
        entry=LogEntry(
            day=patient_today(started),
            minutes=10,
            current_ma=Decimal("8"),
            areas=("palmar",),
            side_effects=("other",),
            side_effect_other="=HYPERLINK(1)",
        ),
    )
    checkin_record(user=started.user, patient_id=started.pk, scores={"palmar": 2})
    response = patient_client.get(f"/treatment/{started.pk}/progress.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    sessions = [r for r in rows if r["record"] == "session"]
    assert len(sessions) == len(past_sessions(started)) + 1
    assert {r["status"] for r in sessions} == {"done", "skipped"}
    assert [r["hdss_palmar"] for r in rows if r["record"] == "checkin"] == ["2"]
    assert "'=HYPERLINK(1)" in [r["side_effect_other"] for r in sessions]


# --- Access -----------------------------------------------------------------------------------
PATIENT_PAGES = ["check-in/", "progress/", "progress.csv", "extra-session/"]


@pytest.mark.parametrize("suffix", PATIENT_PAGES)
def test_another_patients_pages_are_a_404(other_patient_client, other_patient, started, suffix):
    assert other_patient_client.get(f"/treatment/{started.pk}/{suffix}").status_code == 404


def test_another_patients_session_and_log_are_a_404_and_unchanged(
    other_patient_client, other_patient, patient_client, started
):
    session, second = past_sessions(started)[:2]
    patient_client.post(f"/treatment/sessions/{second.pk}/log/", {"action": "as_planned"})
    log = SessionLog.objects.get()
    for url in (f"/treatment/sessions/{session.pk}/log/", f"/treatment/logs/{log.pk}/"):
        assert other_patient_client.get(url).status_code == 404
        assert other_patient_client.post(url, {"action": "as_planned"}).status_code == 404
    assert SessionLog.objects.count() == 1
    response = other_patient_client.post(f"/treatment/{started.pk}/check-in/", {"palmar-hdss": "1"})
    assert response.status_code == 404 and not CheckIn.objects.exists()


@pytest.mark.parametrize("suffix", PATIENT_PAGES)
def test_clinicians_do_not_use_the_patients_pages(staff_client, started, suffix):
    assert staff_client.get(f"/treatment/{started.pk}/{suffix}").status_code == 403


@pytest.mark.parametrize(
    ("url", "staff", "as_patient"),
    [
        ("/specialist/dashboard/", 200, 403),
        ("/specialist/patients/{pk}/progress/", 200, 403),
        ("/specialist/patients/{pk}/check-in/", 403, 403),
        ("/specialist/patients/{pk}/flags/{flag}/", 403, 403),
    ],
)
def test_staff_read_and_patients_are_refused_the_specialist_pages(
    staff_client, patient_client, specialist_client, started, url, staff, as_patient
):
    log_all(started)
    flag = Flag.objects.create(
        patient=started, kind="no_log", severity=2, key="k", detail="d", raised_at=timezone.now()
    )
    url = url.format(pk=started.pk, flag=flag.pk)
    assert staff_client.get(url).status_code == staff
    assert patient_client.get(url).status_code == as_patient
    assert specialist_client.get(url).status_code == 200


def test_opening_the_progress_page_is_in_the_access_log(
    specialist_client, started, specialist_user
):
    specialist_client.get(f"/specialist/patients/{started.pk}/progress/")
    event = AccessEvent.objects.get(view_name="treatments:progress_specialist")
    assert event.actor == specialist_user


# --- The dashboard and acknowledging ----------------------------------------------------------
def _blister(patient):
    session = past_sessions(patient)[-1]
    return session_log_create(
        user=patient.user,
        patient_id=patient.pk,
        planned_session_id=session.pk,
        entry=LogEntry(
            minutes=20, current_ma=Decimal("12"), areas=("palmar",), side_effects=("blisters",)
        ),
    )


def test_the_dashboard_lists_own_patients_and_all_on_the_switch(
    specialist_client, started, other_patient, specialist_user
):
    from clinic.accounts.roles import Role
    from tests.factories import UserFactory
    from treatments.services import patient_assign_specialist

    _blister(started)
    page = specialist_client.get("/specialist/dashboard/").content.decode()
    assert "Ann Example" in page and "Blisters or pain reported" in page
    colleague = UserFactory(role=Role.SPECIALIST)
    patient_assign_specialist(patient_id=started.pk, specialist=colleague, user=colleague)
    assert "Ann Example" not in specialist_client.get("/specialist/dashboard/").content.decode()
    assert (
        "Ann Example" in specialist_client.get("/specialist/dashboard/?scope=all").content.decode()
    )


def test_acknowledge_asks_on_get_and_closes_on_post(specialist_client, started, specialist_user):
    _blister(started)
    flag = Flag.objects.get(kind="side_effect_concern")
    url = f"/specialist/patients/{started.pk}/flags/{flag.pk}/"
    assert specialist_client.get(url).status_code == 200
    flag.refresh_from_db()
    assert flag.closed_at is None  # S5: GET changes nothing
    response = specialist_client.post(url, {"note": "Called: pause for a week, petroleum jelly."})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.closed_by == specialist_user and "petroleum" in flag.close_note
    page = specialist_client.get("/specialist/dashboard/").content.decode()
    assert "Blisters or pain reported" not in page


def test_an_acknowledge_note_that_is_too_long_is_refused(specialist_client, started):
    _blister(started)
    flag = Flag.objects.get(kind="side_effect_concern")
    url = f"/specialist/patients/{started.pk}/flags/{flag.pk}/"
    response = specialist_client.post(url, {"note": "x" * 3000})
    assert response.status_code == 200
    flag.refresh_from_db()
    assert flag.closed_at is None


def test_a_flag_of_another_patient_is_a_404(specialist_client, started, other_patient):
    _blister(started)
    flag = Flag.objects.get(kind="side_effect_concern")
    url = f"/specialist/patients/{other_patient.pk}/flags/{flag.pk}/"
    assert specialist_client.post(url, {"note": ""}).status_code == 404
    assert Flag.objects.get(pk=flag.pk).closed_at is None


@pytest.mark.parametrize(
    "url",
    [
        "/treatment/",
        "/treatment/{pk}/progress/",
        "/treatment/{pk}/check-in/",
        "/treatment/{pk}/extra-session/",
        "/treatment/sessions/{session}/log/",
    ],
)
def test_get_changes_nothing(patient_client, started, url):
    url = url.format(pk=started.pk, session=past_sessions(started)[0].pk)
    before = (SessionLog.objects.count(), CheckIn.objects.count(), Flag.objects.count())
    assert patient_client.get(url).status_code == 200
    assert (SessionLog.objects.count(), CheckIn.objects.count(), Flag.objects.count()) == before
