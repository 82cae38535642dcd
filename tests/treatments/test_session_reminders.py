"""Reminders of a plan's sessions: home sessions at the patient's preferred time on the day,
in-clinic visits 24 h before; written and updated in the plan's own transaction (R2)."""

import datetime as dt

import pytest

from clinic.notify.models import Reminder
from clinic.notify.services import reminder_render, reminders_dispatch
from patients.models import Appointment, BookingPolicy, Patient
from tests.factories import SpecialistFactory, working_week
from tests.support.reminders import CANARIES, assert_reminder_free_of
from tests.treatments.conftest import LA, MONDAY, at, ion
from treatments.models import Plan, PlannedSession
from treatments.services import PlanError, plan_assign, plan_change

pytestmark = pytest.mark.django_db
NOW = at(MONDAY, 8)
LATER = at(MONDAY + dt.timedelta(days=2), 12)
UTC = dt.UTC


@pytest.fixture
def dana(specialist_user):
    BookingPolicy().save()
    specialist = SpecialistFactory(user=specialist_user, display_name="Dr. Dana Test")
    working_week(specialist)
    return specialist


def assign(patient, user, items):
    return plan_assign(patient_id=patient.pk, items=items, user=user, now=NOW)


# The session's own reminder (the "not logged yet?" nudge of issue 7 has its own tests).
KIND = "home-session"


def session_rows(session, **filters):
    return list(
        Reminder.objects.filter(
            kind=KIND,
            target_label="treatments.plannedsession",
            target_id=str(session.pk),
            **filters,
        ).order_by("target_version", "pk")
    )


def home_rows(plan, **filters):
    ids = [str(pk) for pk in plan.sessions.values_list("pk", flat=True)]
    return Reminder.objects.filter(
        kind=KIND, target_label="treatments.plannedsession", target_id__in=ids, **filters
    )


def planned(plan):
    return list(plan.sessions.filter(status="planned", kind="session").order_by("day"))


def test_each_home_session_is_reminded_at_its_time_on_the_day(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    sessions = planned(plan)
    assert home_rows(plan).count() == len(sessions)
    for session in sessions:
        (row,) = session_rows(session)
        assert (row.kind, row.channel, row.target_version, row.status) == (
            "home-session",
            "email",
            1,
            "pending",
        )
        assert row.due_at == session.starts_at
        assert row.due_at.astimezone(LA).time() == dt.time(18)  # the preferred time, local
        midnight = dt.datetime.combine(session.day + dt.timedelta(days=1), dt.time(0), LA)
        assert row.expires_at == midnight
    # 18:00 on the clock before and after DST (8 March): the UTC instant moves by an hour.
    assert sessions[0].starts_at == dt.datetime(2026, 3, 3, 2, tzinfo=UTC)
    assert sessions[3].starts_at == dt.datetime(2026, 3, 10, 1, tzinfo=UTC)


def test_a_plan_change_cancels_and_renews_the_session_reminders(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    plan_change(
        plan_id=plan.pk,
        items=[ion(weekdays=(1, 3), sessions_per_week=2)],
        reason="Fewer sessions.",
        user=specialist_user,
        now=LATER,
    )
    for session in plan.sessions.filter(starts_at__gt=LATER):
        statuses = {r.status for r in session_rows(session)}
        if session.status == PlannedSession.Status.CANCELLED:
            assert statuses == {"cancelled"}
        else:
            assert statuses == {"pending"}
    # Past sessions keep what they had.
    past = plan.sessions.filter(starts_at__lte=LATER)
    assert all(r.status == "pending" for s in past for r in session_rows(s))


def test_a_moved_session_gets_a_new_revision_and_new_reminders(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    Patient.objects.filter(pk=screened.pk).update(home_session_time=dt.time(19))
    plan_change(
        plan_id=plan.pk,
        items=[ion(session_minutes=25)],
        reason="Longer sessions.",
        user=specialist_user,
        now=LATER,
    )
    future = [s for s in planned(plan) if s.starts_at > LATER]
    assert future and all(s.revision == 2 for s in future)
    for session in future:
        old, new = session_rows(session)
        assert (old.target_version, old.status) == (1, "cancelled")
        assert (new.target_version, new.status) == (2, "pending")
        assert new.due_at.astimezone(LA).time() == dt.time(19)


def test_moving_sessions_to_the_clinic_swaps_home_reminders_for_visit_reminders(
    screened, specialist_user, dana
):
    plan = assign(screened, specialist_user, [ion()])
    plan_change(
        plan_id=plan.pk,
        items=[ion(setting="clinic", clinic_time=dt.time(10))],
        reason="Supervised sessions.",
        user=specialist_user,
        now=LATER,
    )
    future = [s for s in planned(plan) if s.starts_at > LATER]
    assert future
    for session in future:
        assert {r.status for r in session_rows(session)} == {"cancelled"}
        visit_rows = Reminder.objects.filter(
            target_label="patients.appointment", target_id=str(session.appointment_id)
        )
        assert [(r.kind, r.status) for r in visit_rows] == [("treatment-visit-24h", "pending")]
        assert visit_rows[0].due_at == session.appointment.start - dt.timedelta(hours=24)


def test_visit_reminders_follow_the_visit_when_the_plan_moves_it(screened, specialist_user, dana):
    plan = assign(screened, specialist_user, [ion(setting="clinic", clinic_time=dt.time(10))])
    plan_change(
        plan_id=plan.pk,
        items=[ion(setting="clinic", clinic_time=dt.time(14))],
        reason="Afternoons suit better.",
        user=specialist_user,
        now=LATER,
    )
    for appt in Appointment.objects.filter(start__gt=LATER + dt.timedelta(days=1)):
        reminders = Reminder.objects.filter(
            target_label="patients.appointment", target_id=str(appt.pk)
        ).order_by("target_version")
        assert [(r.target_version, r.status) for r in reminders] == [
            (1, "cancelled"),
            (2, "pending"),
        ]
        assert reminders[1].due_at == appt.start - dt.timedelta(hours=24)


def test_a_refused_plan_writes_no_reminders(screened, specialist_user, dana):
    with pytest.raises(PlanError):
        assign(screened, specialist_user, [ion(setting="clinic", clinic_time=dt.time(7))])
    assert not Plan.objects.exists() and not Reminder.objects.exists()


def test_quiet_hours_can_push_a_late_session_reminder_past_its_day(screened, specialist_user):
    """A 22:30 session inside quiet hours 22:00-08:00: the reminder would go out the next
    morning, after the day is over, so it is skipped rather than sent late."""
    Patient.objects.filter(pk=screened.pk).update(
        home_session_time=dt.time(22, 30), quiet_hours_start=dt.time(22)
    )
    screened.refresh_from_db()
    plan = assign(screened, specialist_user, [ion()])
    assert set(home_rows(plan).values_list("status", flat=True)) == {"skipped"}


def test_S13_home_session_content_is_the_minimum(screened, specialist_user):
    Patient.objects.filter(pk=screened.pk).update(legal_name=f"Ann {CANARIES[4]}")
    plan = assign(screened, specialist_user, [ion(reason=CANARIES[0], water="tap")])
    plan.current_version.items.update(instructions=CANARIES[3])
    session = planned(plan)[0]
    assert_reminder_free_of(kind="home-session", target=session)
    rendered = reminder_render(kind="home-session", target=session)
    assert rendered.subject.endswith("Your reminder for today")
    assert "your session at home" in rendered.text and "Tuesday 3 March 2026, 18:00" not in (
        rendered.text
    )
    assert "Monday 2 March 2026, 18:00" in rendered.text and "at home" in rendered.text
    for banned in ("ionto", " mA", "HDSS", "palm", "Palm", "Ionto"):
        assert banned not in rendered.text and banned not in rendered.html


def test_a_due_home_session_reminder_goes_to_the_outbox(screened, specialist_user):
    plan = assign(screened, specialist_user, [ion()])
    first = planned(plan)[0]
    assert reminders_dispatch(now=first.starts_at + dt.timedelta(seconds=5)) == {"sent": 1}
    (row,) = session_rows(first)
    assert row.status == "sent" and row.recipient == screened.user.email
    assert row.message.purpose == "reminder"
