"""The "not logged yet?" nudge (issue 7, 1b): the morning after a home session with no log,
one message through notify's reminder schedule; none when the session was logged first;
quiet hours, channel and opt-out honoured; the minimum necessary in the message (S13)."""

import datetime

import pytest
from django.core import mail

from clinic.notify.models import Reminder
from clinic.notify.services import reminders_dispatch
from tests.support.reminders import CANARIES, assert_reminder_free_of
from tests.treatments.conftest import at
from tests.treatments.tracking_support import day, evening, session_on
from treatments.nudge import KIND, TOPIC, nudges_schedule
from treatments.services.tracking import session_log_create

pytestmark = pytest.mark.django_db


def morning_after(offset, hour=9, minute=0):
    return at(day(offset + 1), hour, minute)


def dispatch(capture, now):
    """The dispatcher at ``now``, and the worker sending right then (it re-checks the target
    and its expiry against the clock). Returns the nudge rows' statuses (the session's other
    reminders, e.g. at its time on the day, are not this test's business)."""
    import time_machine

    with time_machine.travel(now, tick=False), capture(execute=True):
        reminders_dispatch(now=now)
    return sorted(Reminder.objects.filter(kind=KIND).values_list("status", flat=True))


def nudges():
    return [m for m in mail.outbox if m.subject == "Not logged yet?"]


def test_the_nudge_is_sent_once_when_nothing_is_logged(
    screened, home_plan, django_capture_on_commit_callbacks
):
    nudges_schedule(now=evening(0))
    nudges_schedule(now=evening(0))  # idempotent
    row = Reminder.objects.get(kind=KIND, target_id=str(session_on(home_plan, 0).pk))
    assert row.due_at == morning_after(0)
    assert row.status == "pending"
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 8, 59))
    assert not nudges()
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 9, 1))
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 9, 2))
    assert len(nudges()) == 1  # once, however often the dispatcher runs
    row.refresh_from_db()
    assert row.status == "sent"
    message = nudges()[0]
    assert message.to == ["pat.a@example.com"] and message.subject == "Not logged yet?"
    assert f"/treatment/sessions/{session_on(home_plan, 0).pk}/log/" in message.body
    assert "Monday 2 March" in message.body


def test_no_nudge_when_the_session_was_logged_first(
    screened, home_plan, django_capture_on_commit_callbacks
):
    nudges_schedule(now=evening(0))
    session = session_on(home_plan, 0)
    session_log_create(
        user=screened.user,
        patient_id=screened.pk,
        planned_session_id=session.pk,
        as_planned=True,
        now=evening(0),
    )
    row = Reminder.objects.get(kind=KIND, target_id=str(session.pk))
    assert row.status == Reminder.Status.CANCELLED
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 9, 1))
    row.refresh_from_db()
    assert row.status == Reminder.Status.CANCELLED and not nudges()


def test_a_session_logged_after_scheduling_is_dropped_by_the_dispatcher_too(
    screened, home_plan, django_capture_on_commit_callbacks
):
    from treatments.models import SessionLog

    nudges_schedule(now=evening(0))
    session = session_on(home_plan, 0)
    # A log written without going through the service (e.g. by another path): is_valid says no.
    SessionLog.objects.create(
        patient=screened,
        plan=home_plan,
        planned_session=session,
        item=session.item,
        status="skipped",
        skip_reason="forgot",
        day=session.day,
        logged_by=screened.user,
    )
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 9, 1))
    row = Reminder.objects.get(kind=KIND, target_id=str(session.pk))
    assert row.status == Reminder.Status.CANCELLED and not nudges()


def test_quiet_hours_move_the_nudge(screened, home_plan, django_capture_on_commit_callbacks):
    nudges_schedule(now=evening(0))
    # Quiet until 10:30, set after the row was written: the dispatcher honours it.
    screened.quiet_hours_start = datetime.time(21)
    screened.quiet_hours_end = datetime.time(10, 30)
    screened.save()
    row = Reminder.objects.get(kind=KIND, target_id=str(session_on(home_plan, 0).pk))
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 9, 1))
    row.refresh_from_db()
    assert row.status == "pending" and row.due_at == morning_after(0, 10, 30) and not nudges()
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 10, 31))
    assert len(nudges()) == 1


def test_opting_out_skips_the_nudge(screened, home_plan, django_capture_on_commit_callbacks):
    nudges_schedule(now=evening(0))
    screened.reminder_opt_outs = [TOPIC]
    screened.save()
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 9, 1))
    row = Reminder.objects.get(kind=KIND, target_id=str(session_on(home_plan, 0).pk))
    assert row.status == Reminder.Status.SKIPPED and not nudges()


def test_a_text_message_patient_gets_an_sms_not_an_email(
    screened, home_plan, django_capture_on_commit_callbacks
):
    screened.reminder_channel = "sms"
    screened.phone = "+14155550123"
    screened.save()
    nudges_schedule(now=evening(0))  # adds the SMS row
    dispatch(django_capture_on_commit_callbacks, morning_after(0, 9, 1))
    rows = Reminder.objects.filter(kind=KIND, target_id=str(session_on(home_plan, 0).pk))
    assert dict(rows.values_list("channel", "status")) == {"email": "skipped", "sms": "sent"}
    assert not nudges()


def test_S13_the_nudge_carries_no_clinical_detail(screened, home_plan):
    screened.preferred_name = ""
    screened.legal_name = f"Ann {CANARIES[4]}"
    screened.save()
    session = session_on(home_plan, 0)
    item = session.item
    item.instructions = CANARIES[3]
    item.save()
    checked = assert_reminder_free_of(kind=KIND, target=session, canaries=CANARIES)
    text = " ".join(checked.values()).lower()
    assert "iontophoresis" not in text and "palm" not in text and "hdss" not in text
