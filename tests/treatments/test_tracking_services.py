"""Session logs, check-ins, flags and the progress snapshot (services)."""

import datetime
from decimal import Decimal

import pytest

from patients.models import RecordedOutcome
from patients.questionnaire import build_profile
from patients.services.outcomes import recorded_tried
from tests.patients.intake_support import BASE_ANSWERS
from tests.treatments.tracking_support import day, evening, session_on
from treatments.models import CheckIn, Flag, Progress, SessionLog
from treatments.rules import recommend
from treatments.services.tracking import (
    LogEntry,
    TrackingError,
    checkin_record,
    flag_acknowledge,
    progress_refresh,
    session_log_create,
    session_log_edit,
)

pytestmark = pytest.mark.django_db


def done(offset=None, **overrides) -> LogEntry:
    values = dict(
        status="done",
        day=day(offset) if offset is not None else None,
        minutes=20,
        current_ma=Decimal("12"),
        areas=("palmar",),
        side_effects=("none",),
    )
    values.update(overrides)
    return LogEntry(**values)


def log_planned(patient, plan, offset, **kwargs):
    return session_log_create(
        user=patient.user,
        patient_id=patient.pk,
        planned_session_id=session_on(plan, offset).pk,
        now=evening(offset),
        **kwargs,
    )


# --- Logging rules ---------------------------------------------------------------------------
def test_done_as_planned_fills_in_the_plan(screened, home_plan):
    log = log_planned(screened, home_plan, 0, as_planned=True)
    assert (log.status, log.day, log.minutes, log.current_ma) == ("done", day(0), 20, 12)
    assert log.areas == ["palmar"] and log.side_effects == ["none"]
    assert not log.current_out_of_bounds and not Flag.objects.exists()
    assert Progress.objects.get(patient=screened).done_total == 1


def test_a_skipped_session_needs_a_reason(screened, home_plan):
    with pytest.raises(TrackingError, match="why the session was skipped"):
        log_planned(screened, home_plan, 0, entry=LogEntry(status="skipped"))
    log = log_planned(
        screened, home_plan, 0, entry=LogEntry(status="skipped", skip_reason="forgot")
    )
    assert log.status == "skipped" and log.minutes is None


def test_a_session_cannot_be_logged_before_its_day(screened, home_plan):
    with pytest.raises(TrackingError, match="not due yet"):
        session_log_create(
            user=screened.user,
            patient_id=screened.pk,
            planned_session_id=session_on(home_plan, 2).pk,
            as_planned=True,
            now=evening(0),
        )
    assert not SessionLog.objects.exists()


def test_an_extra_session_cannot_be_in_the_future(screened, home_plan):
    with pytest.raises(TrackingError, match="cannot be in the future"):
        session_log_create(
            user=screened.user, patient_id=screened.pk, entry=done(2), now=evening(1)
        )


def test_an_extra_session_before_the_plan_started_is_refused(screened, home_plan):
    with pytest.raises(TrackingError, match="plan started"):
        session_log_create(
            user=screened.user, patient_id=screened.pk, entry=done(-3), now=evening(1)
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"minutes": 0}, "1 to 60 minutes"),
        ({"minutes": 61}, "1 to 60 minutes"),
        ({"minutes": None}, "1 to 60 minutes"),
        ({"current_ma": None}, "current you reached"),
        ({"current_ma": Decimal("0")}, "current you reached"),
        ({"areas": ()}, "where you treated"),
        ({"areas": ("plantar",)}, "one device session"),
        ({"side_effects": ()}, "or “None”"),
        ({"side_effects": ("none", "redness")}, "cannot go with"),
        ({"side_effects": ("other",)}, "Describe the other"),
        ({"side_effects": ("sunburn",)}, "from the list"),
        ({"status": "maybe"}, "done or skipped"),
    ],
)
def test_bad_log_entries_are_refused_and_nothing_is_written(
    screened, home_plan, overrides, message
):
    with pytest.raises(TrackingError, match=message):
        session_log_create(
            user=screened.user, patient_id=screened.pk, entry=done(1, **overrides), now=evening(1)
        )
    assert not SessionLog.objects.exists() and not Flag.objects.exists()


def test_one_log_per_planned_session(screened, home_plan):
    log_planned(screened, home_plan, 0, as_planned=True)
    with pytest.raises(TrackingError, match="already logged"):
        log_planned(screened, home_plan, 0, as_planned=True)
    assert SessionLog.objects.count() == 1


def test_the_same_area_cannot_be_logged_done_twice_a_day(screened, home_plan):
    log_planned(screened, home_plan, 0, as_planned=True)
    with pytest.raises(TrackingError, match="already logged for this area"):
        session_log_create(
            user=screened.user, patient_id=screened.pk, entry=done(0), now=evening(0)
        )


def test_another_patient_cannot_log_for_ann(screened, home_plan, other_patient):
    with pytest.raises(TrackingError, match="no such patient"):
        session_log_create(
            user=other_patient.user,
            patient_id=screened.pk,
            planned_session_id=session_on(home_plan, 0).pk,
            as_planned=True,
            now=evening(0),
        )


def test_a_guardian_logs_for_a_dependant(specialist_user):
    from clinic.accounts.roles import Role
    from tests.factories import PatientFactory, UserFactory, make_screen
    from tests.treatments.conftest import MONDAY, at, ion
    from treatments.services import plan_assign

    parent = UserFactory(role=Role.PATIENT)
    child = PatientFactory(
        user=None,
        guardian=parent,
        legal_name="Kid Example",
        date_of_birth=datetime.date(2014, 1, 1),
    )
    make_screen(child, areas={"palmar": 3}, onset_age=5)
    plan = plan_assign(
        patient_id=child.pk,
        items=[ion(current_ma=Decimal("10"), pulsed=True)],
        user=specialist_user,
        now=at(MONDAY, 9),
    )
    log = session_log_create(
        user=parent,
        patient_id=child.pk,
        planned_session_id=session_on(plan, 0).pk,
        as_planned=True,
        now=evening(0),
    )
    assert log.logged_by == parent and log.patient == child


# --- Flags from a log ------------------------------------------------------------------------
def test_a_current_outside_the_plan_is_kept_and_flagged(screened, home_plan):
    log = log_planned(screened, home_plan, 0, entry=done(current_ma=Decimal("15.5")))
    assert log.current_ma == Decimal("15.5") and log.current_out_of_bounds
    flag = Flag.objects.get(kind="current")
    assert flag.severity == Flag.Severity.WARNING and "15.5 mA" in flag.detail
    assert "1–12 mA" in flag.detail


def test_a_current_within_the_plan_raises_nothing(screened, home_plan):
    log_planned(screened, home_plan, 0, entry=done(current_ma=Decimal("9.5")))
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    ("effects", "kind", "severity"),
    [
        (("blisters",), "side_effect_concern", Flag.Severity.URGENT),
        (("pain", "redness"), "side_effect_concern", Flag.Severity.URGENT),
        (("dryness",), "side_effect", Flag.Severity.INFO),
        (("tingling", "redness"), "side_effect", Flag.Severity.INFO),
    ],
)
def test_side_effects_flag_at_once(screened, home_plan, effects, kind, severity):
    log_planned(screened, home_plan, 0, entry=done(side_effects=effects))
    flag = Flag.objects.get()
    assert (flag.kind, flag.severity) == (kind, severity)
    snapshot = Progress.objects.get(patient=screened)
    assert snapshot.open_flags == 1 and snapshot.top_severity == severity


def test_editing_away_a_side_effect_closes_its_flag(screened, home_plan):
    log = log_planned(screened, home_plan, 0, entry=done(side_effects=("blisters",)))
    session_log_edit(user=screened.user, log_id=log.pk, entry=done(), now=evening(1))
    flag = Flag.objects.get()
    assert flag.closed_at is not None and flag.closed_by is None
    assert Progress.objects.get(patient=screened).open_flags == 0


# --- The 48-hour window -------------------------------------------------------------------------
def test_a_log_can_be_changed_within_48_hours(screened, home_plan):
    import time_machine

    with time_machine.travel(evening(0), tick=False):
        log = log_planned(screened, home_plan, 0, as_planned=True)
    edited = session_log_edit(
        user=screened.user,
        log_id=log.pk,
        entry=done(minutes=15),
        now=evening(0) + datetime.timedelta(hours=47, minutes=59),
    )
    assert edited.minutes == 15 and edited.day == day(0)


def test_a_log_is_read_only_after_48_hours(screened, home_plan):
    import time_machine

    with time_machine.travel(evening(0), tick=False):
        log = log_planned(screened, home_plan, 0, as_planned=True)
    with pytest.raises(TrackingError, match="48 hours"):
        session_log_edit(
            user=screened.user,
            log_id=log.pk,
            entry=done(minutes=15),
            now=evening(0) + datetime.timedelta(hours=48),
        )
    log.refresh_from_db()
    assert log.minutes == 20


def test_another_patient_cannot_edit_the_log(screened, home_plan, other_patient):
    log = log_planned(screened, home_plan, 0, as_planned=True)
    with pytest.raises(TrackingError, match="no such patient"):
        session_log_edit(user=other_patient.user, log_id=log.pk, entry=done(minutes=5))


# --- Check-ins -----------------------------------------------------------------------------------
def test_a_check_in_needs_every_treated_area(screened, home_plan):
    with pytest.raises(TrackingError, match="each treated area"):
        checkin_record(user=screened.user, patient_id=screened.pk, scores={}, now=evening(0))
    with pytest.raises(TrackingError, match="each treated area"):
        checkin_record(
            user=screened.user,
            patient_id=screened.pk,
            scores={"palmar": 3, "axillary": 2},
            now=evening(0),
        )


@pytest.mark.parametrize(
    ("scores", "dryness", "message"),
    [
        ({"palmar": 5}, {}, "four sentences"),
        ({"palmar": 0}, {}, "four sentences"),
        ({"palmar": True}, {}, "four sentences"),
        ({"palmar": 2}, {"palmar": 11}, "0 to 10"),
        ({"palmar": 2}, {"plantar": 3}, "0 to 10"),
    ],
)
def test_bad_check_ins_are_refused(screened, home_plan, scores, dryness, message):
    with pytest.raises(TrackingError, match=message):
        checkin_record(
            user=screened.user,
            patient_id=screened.pk,
            scores=scores,
            dryness=dryness,
            now=evening(0),
        )
    assert not CheckIn.objects.exists()


def test_a_second_check_in_the_same_day_replaces_the_first(screened, home_plan):
    for hdss in (3, 2):
        checkin_record(
            user=screened.user, patient_id=screened.pk, scores={"palmar": hdss}, now=evening(0)
        )
    assert list(CheckIn.objects.values_list("scores", flat=True)) == [{"palmar": 2}]


def test_only_specialists_record_a_consultation_check_in(screened, home_plan, staff_user):
    with pytest.raises(TrackingError, match="Only specialists"):
        checkin_record(
            user=staff_user,
            patient_id=screened.pk,
            scores={"palmar": 3},
            source="consultation",
            now=evening(0),
        )


def test_a_check_in_is_due_two_weeks_after_the_last(screened, home_plan):
    checkin_record(user=screened.user, patient_id=screened.pk, scores={"palmar": 3}, now=evening(3))
    assert Progress.objects.get(patient=screened).checkin_due_on == day(17)


# --- Response and failure ------------------------------------------------------------------------
def _sessions(patient, plan, offsets, **kwargs):
    for offset in offsets:
        log_planned(patient, plan, offset, as_planned=True, **kwargs)


MWF = [0, 2, 4, 7, 9, 11, 14, 16, 18, 21, 23, 25]


def test_a_response_flags_the_specialist_to_consider_maintenance(screened, home_plan):
    _sessions(screened, home_plan, MWF[:6])  # two weeks
    checkin_record(
        user=screened.user, patient_id=screened.pk, scores={"palmar": 1}, now=evening(13)
    )
    flag = Flag.objects.get(kind="response")
    assert "HDSS 3 → 1" in flag.detail and "maintenance" in flag.detail
    assert flag.area == "palmar"
    assert not RecordedOutcome.objects.exists()


def test_no_change_after_an_adequate_trial_is_a_failure_recorded_for_the_next_screen(
    screened, home_plan
):
    _sessions(screened, home_plan, MWF)
    checkin_record(
        user=screened.user, patient_id=screened.pk, scores={"palmar": 3}, now=evening(28)
    )
    flag = Flag.objects.get(kind="failure")
    assert flag.severity == Flag.Severity.URGENT and "12 sessions" in flag.detail
    outcome = RecordedOutcome.objects.get(patient=screened)
    assert outcome.as_tried() == {
        "treatment": "iontophoresis",
        "outcome": "failed",
        "sessions": 12,
        "weeks": 4,
        "area": "palmar",
    }
    # A re-screen: the profile builder adds it, and the engine excludes iontophoresis (ION-22).
    build = build_profile(BASE_ANSWERS, age=35, recorded=recorded_tried(screened.pk))
    assert outcome.as_tried() in build.profile["tried"]
    result = recommend({**build.profile, "areas": {"palmar": 3}})
    option = next(
        o for o in result["areas"]["palmar"]["options"] if o["treatment"] == "iontophoresis"
    )
    assert option["status"] == "excluded" and "ION-22" in option["rules"]


def test_no_change_with_too_few_sessions_is_not_a_failure(screened, home_plan):
    _sessions(screened, home_plan, MWF[:6])
    checkin_record(
        user=screened.user, patient_id=screened.pk, scores={"palmar": 3}, now=evening(28)
    )
    assert not Flag.objects.filter(kind="failure").exists()
    assert not RecordedOutcome.objects.exists()


def test_response_and_failure_flags_are_raised_once(screened, home_plan):
    _sessions(screened, home_plan, MWF[:6])
    for offset in (13, 14):
        checkin_record(
            user=screened.user, patient_id=screened.pk, scores={"palmar": 1}, now=evening(offset)
        )
    progress_refresh(patient=screened, now=evening(15))
    assert Flag.objects.filter(kind="response").count() == 1


# --- Condition flags ---------------------------------------------------------------------
def test_low_adherence_over_two_weeks_flags_and_closes_when_it_recovers(screened, home_plan):
    log_planned(screened, home_plan, 0, as_planned=True)
    progress_refresh(patient=screened, now=evening(13))  # 1 of 6 due
    flag = Flag.objects.get(kind="low_adherence")
    assert "1 of 6" in flag.detail
    # Logged late (all on day 13): 5 of 6 now, and the flag closes by itself.
    for offset in (2, 4, 7, 9, 11):
        session_log_create(
            user=screened.user,
            patient_id=screened.pk,
            planned_session_id=session_on(home_plan, offset).pk,
            as_planned=True,
            now=evening(13),
        )
    flag.refresh_from_db()
    assert flag.closed_at is not None and flag.closed_by is None


def test_no_log_for_ten_days_flags_and_a_log_closes_it(screened, home_plan):
    log_planned(screened, home_plan, 0, as_planned=True)
    progress_refresh(patient=screened, now=evening(9))
    assert not Flag.objects.filter(kind="no_log").exists()
    progress_refresh(patient=screened, now=evening(10))
    flag = Flag.objects.get(kind="no_log")
    assert "since Mon 02 Mar" in flag.detail
    session_log_create(
        user=screened.user,
        patient_id=screened.pk,
        planned_session_id=session_on(home_plan, 9).pk,
        as_planned=True,
        now=evening(10),
    )
    flag.refresh_from_db()
    assert flag.closed_at is not None


def test_the_refresh_is_idempotent(screened, home_plan):
    log_planned(screened, home_plan, 0, entry=done(side_effects=("pain",)))
    first = progress_refresh(patient=screened, now=evening(12))
    count = Flag.objects.count()
    second = progress_refresh(patient=screened, now=evening(12))
    assert Flag.objects.count() == count
    assert (first.open_flags, first.done_total, first.planned_total) == (
        second.open_flags,
        second.done_total,
        second.planned_total,
    )


# --- Acknowledging -----------------------------------------------------------------------
def test_a_specialist_acknowledges_a_flag_with_a_note(screened, home_plan, specialist_user):
    log_planned(screened, home_plan, 0, entry=done(side_effects=("blisters",)))
    flag = Flag.objects.get()
    flag_acknowledge(
        user=specialist_user, flag_id=flag.pk, note="Called her: pause 1 week.", now=evening(1)
    )
    flag.refresh_from_db()
    assert flag.closed_by == specialist_user and flag.close_note == "Called her: pause 1 week."
    assert Progress.objects.get(patient=screened).open_flags == 0
    with pytest.raises(TrackingError, match="already closed"):
        flag_acknowledge(user=specialist_user, flag_id=flag.pk)


def test_staff_cannot_acknowledge(screened, home_plan, staff_user):
    log_planned(screened, home_plan, 0, entry=done(side_effects=("blisters",)))
    with pytest.raises(TrackingError, match="Only specialists"):
        flag_acknowledge(user=staff_user, flag_id=Flag.objects.get().pk)
    assert Flag.objects.get().closed_at is None
