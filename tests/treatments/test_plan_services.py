"""Assigning, changing and moving plans to maintenance; the session calendar they generate."""

import datetime
from decimal import Decimal

import pytest

from patients.models import Screen
from tests.factories import PatientFactory, make_screen
from tests.treatments.conftest import MONDAY, at, ion, other
from treatments.models import PatientSpecialist, Plan, PlannedSession, PlanVersion
from treatments.services import (
    PlanError,
    plan_assign,
    plan_change,
    plan_move_to_maintenance,
    plans_extend_horizon,
)

pytestmark = pytest.mark.django_db
NOW = at(MONDAY, 9)  # Monday 2 March 2026, 09:00 in Los Angeles


def planned(plan, **filters):
    return list(plan.sessions.filter(status="planned", **filters).order_by("day", "pk"))


def assign(patient, user, items, **kwargs):
    return plan_assign(patient_id=patient.pk, items=items, user=user, now=NOW, **kwargs)


# --- The screen gate ------------------------------------------------------------------------
def test_no_plan_without_a_screen(patient, specialist_user):
    with pytest.raises(PlanError, match="no eligibility screen"):
        assign(patient, specialist_user, [ion()])


@pytest.mark.parametrize(
    ("status", "outcome", "message"),
    [
        (Screen.Status.SUBMITTED, "", "not been reviewed"),
        (Screen.Status.REVIEWED, Screen.Outcome.INFO_REQUESTED, "more information"),
        (Screen.Status.REVIEWED, Screen.Outcome.WORKUP, "work-up"),
    ],
)
def test_no_plan_before_the_latest_screen_is_reviewed_and_cleared(
    patient, specialist_user, status, outcome, message
):
    make_screen(patient, areas={"palmar": 3}, status=status, outcome=outcome)
    with pytest.raises(PlanError, match=message):
        assign(patient, specialist_user, [ion()])
    assert not Plan.objects.exists()


def test_workup_screen_with_the_specialists_reason_is_accepted_and_stored(patient, specialist_user):
    make_screen(patient, areas={"palmar": 3}, outcome=Screen.Outcome.WORKUP)
    plan = assign(patient, specialist_user, [ion()], workup_reason="TSH and bloods normal.")
    assert plan.current_version.workup_reason == "TSH and bloods normal."


def test_the_latest_screen_counts_not_an_older_cleared_one(patient, specialist_user):
    make_screen(patient, areas={"palmar": 3})
    make_screen(patient, areas={"palmar": 3}, status=Screen.Status.SUBMITTED)
    with pytest.raises(PlanError, match="not been reviewed"):
        assign(patient, specialist_user, [ion()])


def test_only_specialists_assign(screened, staff_user):
    with pytest.raises(PlanError, match="Only specialists"):
        assign(screened, staff_user, [ion()])


def test_one_plan_per_patient(screened, specialist_user):
    assign(screened, specialist_user, [ion()])
    with pytest.raises(PlanError, match="already has a plan"):
        assign(screened, specialist_user, [ion()])


# --- Override rules -------------------------------------------------------------------------
OVERRIDES = [
    # (screen areas, extra profile, item, ground)
    ({"palmar": 3}, {"electronic_implants": ["pacemaker"]}, ion(), "excluded"),
    ({"palmar": 3}, {"breastfeeding": True}, ion(), "review"),
    ({"craniofacial": 3}, {}, ion(areas=("craniofacial",)), "not_applicable"),
    ({"palmar": 1, "axillary": 3}, {}, ion(), "hdss_1"),
    ({"palmar": 3}, {"red_flags": ["night_sweats"]}, ion(), "refer"),
    (
        {"axillary": 3},
        {},
        other("oral_glycopyrrolate"),
        "review",  # OAC-10: oral drugs are not a first choice outside the face
    ),
]


@pytest.mark.parametrize(("areas", "profile", "item", "ground"), OVERRIDES)
def test_override_without_a_reason_is_refused(
    patient, specialist_user, areas, profile, item, ground
):
    make_screen(patient, areas=areas, **profile)
    with pytest.raises(PlanError, match="needs a written clinical reason"):
        assign(patient, specialist_user, [item])
    assert not Plan.objects.exists()


@pytest.mark.parametrize(("areas", "profile", "item", "ground"), OVERRIDES)
def test_override_with_a_reason_is_accepted_and_stored(
    patient, specialist_user, areas, profile, item, ground
):
    from dataclasses import replace

    make_screen(patient, areas=areas, **profile)
    plan = assign(patient, specialist_user, [replace(item, reason="Discussed; benefits outweigh.")])
    [stored] = plan.current_version.items.all()
    assert ground in stored.override_grounds
    assert stored.reason == "Discussed; benefits outweigh."


def test_ok_and_caution_choices_need_no_reason(patient, specialist_user):
    make_screen(patient, areas={"palmar": 3}, metal_implants=["knee"])  # ION-06 caution
    plan = assign(patient, specialist_user, [ion()])
    [item] = plan.current_version.items.all()
    assert item.option_statuses == {"palmar": "caution"}
    assert item.option_rules == {"palmar": ["ION-06"]}
    assert item.override_grounds == [] and item.reason == ""


def test_a_blank_reason_does_not_count(patient, specialist_user):
    from dataclasses import replace

    make_screen(patient, areas={"palmar": 3}, electronic_implants=["pacemaker"])
    with pytest.raises(PlanError, match="written clinical reason"):
        assign(patient, specialist_user, [replace(ion(), reason="   \n ")])


# --- Hands and feet together ----------------------------------------------------------------
def test_hands_and_feet_together_where_both_allow_iontophoresis(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion(areas=("palmar", "plantar"))])
    [item] = plan.current_version.items.all()
    assert item.areas == ["palmar", "plantar"]
    assert {s.series for s in planned(plan, kind="session")} == {"iontophoresis:palmar+plantar"}


def test_hands_and_feet_together_refused_where_one_excludes_it(patient, specialist_user):
    # A knee replacement lies on the feet's current path (ION-05): excluded for the feet.
    make_screen(patient, areas={"palmar": 3, "plantar": 3}, metal_implants=["knee"])
    from dataclasses import replace

    item = replace(ion(areas=("palmar", "plantar")), reason="Patient insists.")
    with pytest.raises(PlanError, match="together only where iontophoresis is ok or caution"):
        assign(patient, specialist_user, [item])


def test_only_one_treatment_per_area(screened, specialist_user):
    with pytest.raises(PlanError, match="only one treatment per area"):
        assign(screened, specialist_user, [ion(), other("aluminium_chloride", areas=("palmar",))])


def test_areas_not_on_the_screen_are_refused(screened, specialist_user):
    with pytest.raises(PlanError, match="not on the patient's screen"):
        assign(screened, specialist_user, [other("aluminium_chloride", areas=("axillary",))])


# --- Iontophoresis parameters ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"current_ma": Decimal("20.5")}, "at most 20 mA"),
        ({"current_ma": Decimal("0")}, "at least 1 mA"),
        ({"session_minutes": 8}, "10 to 30 minutes"),
        ({"session_minutes": 45}, "10 to 30 minutes"),
        ({"weekdays": (0, 2), "sessions_per_week": 3}, "tick exactly 3 weekdays"),
        ({"weekdays": (0, 1, 2, 3, 4, 5), "sessions_per_week": 6}, "never more than 5 a week"),
        ({"start_date": MONDAY - datetime.timedelta(days=1)}, "start date cannot be in the past"),
        ({"setting": "garden"}, "at home or in the clinic"),
        ({"review_date": MONDAY}, "review must come after the start"),
        ({"water": ""}, "fill in: water"),
    ],
)
def test_iontophoresis_values_are_checked_with_clear_messages(
    screened, specialist_user, overrides, message
):
    with pytest.raises(PlanError) as err:
        assign(screened, specialist_user, [ion(**overrides)])
    assert any(message in m for m in err.value.messages), err.value.messages
    assert not Plan.objects.exists() and not PlannedSession.objects.exists()


@pytest.mark.parametrize(
    ("ma", "pulsed", "message"),
    [
        (Decimal("16"), True, "Under 18 the current is at most 15 mA"),
        (Decimal("12"), False, "must be pulsed"),
        (Decimal("15"), True, None),
    ],
)
def test_under_18_at_most_15_ma_and_pulsed(specialist_user, ma, pulsed, message):
    child = PatientFactory(date_of_birth=datetime.date(2014, 9, 3))
    make_screen(child, areas={"palmar": 3}, onset_age=8)
    items = [ion(current_ma=ma, pulsed=pulsed)]
    if message is None:
        assert assign(child, specialist_user, items).current_version.items.get().pulsed
    else:
        with pytest.raises(PlanError, match=message):
            assign(child, specialist_user, items)


# --- The calendar ---------------------------------------------------------------------------
def test_assigning_generates_the_initial_phase_and_maintenance_to_the_horizon(
    screened, specialist_user
):
    plan = assign(screened, specialist_user, [ion()])
    sessions = planned(plan, kind="session")
    initial = [s for s in sessions if s.phase == "initial"]
    maintenance = [s for s in sessions if s.phase == "maintenance"]
    assert len(initial) == 12
    assert {s.day.weekday() for s in initial} == {0, 2, 4}
    # Horizon: today + 8 weeks = 27 April; maintenance on Mondays from 30 March.
    assert plan.horizon_until == MONDAY + datetime.timedelta(weeks=8)
    assert [s.day for s in maintenance] == [
        datetime.date(2026, 3, 30),
        datetime.date(2026, 4, 6),
        datetime.date(2026, 4, 13),
        datetime.date(2026, 4, 20),
        datetime.date(2026, 4, 27),
    ]
    [review] = planned(plan, kind="review")
    assert review.day == MONDAY + datetime.timedelta(weeks=4) and review.starts_at is None
    assert all(s.revision == 1 for s in sessions)


def test_home_sessions_are_at_the_patients_preferred_time_across_dst(screened, specialist_user):
    from zoneinfo import ZoneInfo

    screened.home_session_time = datetime.time(19, 30)
    screened.save()
    plan = assign(screened, specialist_user, [ion()])
    sessions = planned(plan, kind="session")
    local = {s.starts_at.astimezone(ZoneInfo("America/Los_Angeles")).time() for s in sessions}
    assert local == {datetime.time(19, 30)}
    utc_hours = {s.day: s.starts_at.astimezone(datetime.UTC).hour for s in sessions[:4]}
    # Fri 6 March is PST (UTC-8): 03:30 UTC next day; Mon 9 March is PDT (UTC-7): 02:30 UTC.
    assert utc_hours[datetime.date(2026, 3, 6)] == 3
    assert utc_hours[datetime.date(2026, 3, 9)] == 2


def test_home_sessions_follow_the_patients_own_time_zone(patient, specialist_user):
    patient.time_zone = "Europe/Berlin"
    patient.save()
    make_screen(patient, areas={"palmar": 3})
    plan = plan_assign(
        patient_id=patient.pk,
        items=[ion()],
        user=specialist_user,
        now=datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC),
    )
    first = planned(plan, kind="session")[0]
    assert first.starts_at == datetime.datetime(2026, 3, 2, 17, tzinfo=datetime.UTC)  # 18:00 CET


# In-clinic sessions (treatment-visit appointments): tests/treatments/test_inclinic.py


@pytest.mark.parametrize(
    ("item", "kinds"),
    [
        (other("aluminium_chloride", areas=("palmar",)), [("review", 28)]),
        (
            other(
                "botulinum_toxin",
                areas=("palmar",),
                procedure_date=MONDAY + datetime.timedelta(days=14),
                review_date=MONDAY + datetime.timedelta(days=42),
                reason="Prefers injections.",
            ),
            [("procedure", 14), ("review", 42)],
        ),
    ],
)
def test_other_treatments_schedule_their_procedure_and_review(
    screened, specialist_user, item, kinds
):
    plan = assign(screened, specialist_user, [item])
    got = [(s.kind, (s.day - MONDAY).days) for s in planned(plan)]
    assert got == kinds


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (other("aluminium_chloride", areas=("palmar",), instructions=""), "application"),
        (other("botulinum_toxin", areas=("palmar",), reason="x"), "procedure date"),
        (other("aluminium_chloride", areas=("palmar",), review_date=None), "review"),
    ],
)
def test_other_treatments_need_what_they_need(screened, specialist_user, item, message):
    with pytest.raises(PlanError, match=message):
        assign(screened, specialist_user, [item])


def test_the_assigning_specialist_becomes_the_patients_specialist(screened, specialist_user):
    assign(screened, specialist_user, [ion()])
    assert PatientSpecialist.objects.get(patient=screened).specialist == specialist_user


# --- Versioning and regeneration ------------------------------------------------------------
def test_a_change_makes_a_new_version_and_keeps_the_past(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    before = {s.pk: (s.day, s.starts_at, s.revision) for s in planned(plan)}
    # Wednesday 11 March, 20:00: Mon 2 … Wed 11 March are past (5 sessions).
    later = at(datetime.date(2026, 3, 11), 20)
    version = plan_change(
        plan_id=plan.pk,
        items=[ion(weekdays=(1, 3, 5), current_ma=Decimal("14"))],
        reason="Works Mondays now; tolerating more current.",
        user=specialist_user,
        now=later,
    )
    assert version.number == 2 and version.kind == PlanVersion.Kind.CHANGED
    assert version.reason == "Works Mondays now; tolerating more current."
    assert "weekdays Mon/Wed/Fri → Tue/Thu/Sat" in version.summary
    assert "current 12 mA → 14 mA" in version.summary
    assert version.created_by == specialist_user
    assert PlanVersion.objects.filter(plan=plan).count() == 2

    past = [s for s in planned(plan, kind="session") if s.starts_at <= later]
    assert [s.day.day for s in past] == [2, 4, 6, 9, 11]
    for s in past:  # untouched: same row, day, time, revision and version
        assert before[s.pk] == (s.day, s.starts_at, s.revision)
        assert s.item.version.number == 1
    future = [s for s in planned(plan, kind="session") if s.starts_at > later]
    assert future[0].day == datetime.date(2026, 3, 12)  # Thursday
    assert {s.day.weekday() for s in future if s.phase == "initial"} == {1, 3, 5}
    assert all(s.item.version_id == version.pk for s in future)
    cancelled = plan.sessions.filter(status="cancelled")
    assert cancelled.exists() and all(s.revision == 2 for s in cancelled)
    assert all(s.day > datetime.date(2026, 3, 11) for s in cancelled)


def test_a_time_change_moves_future_sessions_in_place_with_a_new_revision(
    screened, specialist_user
):
    plan = assign(screened, specialist_user, [ion()])
    first_future = planned(plan, kind="session")[3]
    plan_change(
        plan_id=plan.pk,
        items=[ion(session_minutes=25)],
        reason="Longer sessions.",
        user=specialist_user,
        now=at(datetime.date(2026, 3, 6), 20),
    )
    first_future.refresh_from_db()
    assert first_future.status == "planned"
    assert first_future.duration_minutes == 25 and first_future.revision == 2


def test_a_change_needs_a_reason_and_a_difference(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    with pytest.raises(PlanError, match="why the plan changes"):
        plan_change(plan_id=plan.pk, items=[ion()], reason=" ", user=specialist_user, now=NOW)
    with pytest.raises(PlanError, match="Nothing changed"):
        plan_change(plan_id=plan.pk, items=[ion()], reason="x", user=specialist_user, now=NOW)


def test_a_change_cannot_break_five_a_week_counting_past_sessions(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion(weekdays=(0, 1, 2, 3, 4), sessions_per_week=5)])
    with pytest.raises(PlanError, match="never more than 5 a week"):
        plan_change(
            plan_id=plan.pk,
            items=[ion(weekdays=(3, 4, 5, 6), sessions_per_week=4)],
            reason="Weekends suit better.",
            user=specialist_user,
            now=at(datetime.date(2026, 3, 4), 20),  # Mon, Tue, Wed done
        )
    assert plan.versions.count() == 1


def test_stopping_an_item_cancels_its_future_sessions_only(screened, specialist_user):
    plan = assign(
        screened,
        specialist_user,
        [ion(), other("aluminium_chloride", areas=("plantar",))],
    )
    plan_change(
        plan_id=plan.pk,
        items=[other("aluminium_chloride", areas=("plantar",))],
        reason="Hands dry now.",
        user=specialist_user,
        now=at(datetime.date(2026, 3, 6), 20),
    )
    sessions = planned(plan, kind="session")
    assert [s.day.day for s in sessions] == [2, 4, 6]  # the past ones only
    assert "Stopped Hands (palms): Iontophoresis" in plan.versions.first().summary


def test_move_to_maintenance_ends_the_initial_phase_and_regenerates(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    tuesday = at(datetime.date(2026, 3, 17), 10)
    version = plan_move_to_maintenance(
        plan_id=plan.pk, reason="HDSS 3 → 1 after 7 sessions.", user=specialist_user, now=tuesday
    )
    assert version.kind == PlanVersion.Kind.MAINTENANCE and version.number == 2
    assert version.items.get().maintenance_from == datetime.date(2026, 3, 18)
    sessions = planned(plan, kind="session")
    initial = [s.day for s in sessions if s.phase == "initial"]
    maintenance = [s.day for s in sessions if s.phase == "maintenance"]
    assert initial[-1] == datetime.date(2026, 3, 16)
    assert maintenance[:3] == [
        datetime.date(2026, 3, 23),
        datetime.date(2026, 3, 30),
        datetime.date(2026, 4, 6),
    ]
    # The Wed/Fri initial sessions after today are cancelled, not deleted.
    assert plan.sessions.filter(status="cancelled", day=datetime.date(2026, 3, 18)).exists()
    with pytest.raises(PlanError, match="initial phase"):
        plan_move_to_maintenance(plan_id=plan.pk, reason="again", user=specialist_user, now=tuesday)


def test_a_later_change_keeps_the_early_move_to_maintenance(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    plan_move_to_maintenance(
        plan_id=plan.pk, reason="Dry.", user=specialist_user, now=at(datetime.date(2026, 3, 17))
    )
    plan_change(
        plan_id=plan.pk,
        items=[ion(current_ma=Decimal("10"))],
        reason="Tingling.",
        user=specialist_user,
        now=at(datetime.date(2026, 3, 19)),
    )
    assert plan.versions.first().items.get().maintenance_from == datetime.date(2026, 3, 18)
    assert not planned(plan, phase="initial", day__gt=datetime.date(2026, 3, 17))


def test_the_periodic_task_extends_maintenance_and_is_idempotent(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    count = len(planned(plan))
    later = at(datetime.date(2026, 4, 20), 4)
    assert plans_extend_horizon(now=later) == 1
    plan.refresh_from_db()
    assert plan.horizon_until == datetime.date(2026, 4, 20) + datetime.timedelta(weeks=8)
    added = len(planned(plan)) - count
    assert added == 7  # the Mondays 4 May … 15 June
    assert plans_extend_horizon(now=later) == 0
    assert len(planned(plan)) - count == added


def test_the_celery_task_runs_the_extension(screened, specialist_user):
    from treatments.tasks import extend_session_horizons

    assign(screened, specialist_user, [ion()])
    assert extend_session_horizons.delay().get() in (0, 1)
