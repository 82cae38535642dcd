"""The one dispatcher: due rows to the outbox, once; stale targets never sent (R3, R5)."""

import datetime as dt
import json
import threading
from dataclasses import replace

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from clinic.notify import reminders as kinds
from clinic.notify.models import Message, MessageAttempt, Reminder
from clinic.notify.services import (
    message_send,
    reminders_dispatch,
    reminders_schedule,
)
from clinic.notify.tokens import manage_token_verify
from tests.clinic.notify.conftest import make_visitor
from tests.support.reminder_kinds import KIND, TEST_VISIT_KIND

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def due_visitor(**prefs):
    """A visitor whose reminder fell due a minute ago (visit in 59 minutes)."""
    user = make_visitor(visit_in=dt.timedelta(minutes=59), **prefs)
    reminders_schedule(target=user, version=1)
    return user


def dispatch(capture):
    with capture(execute=True):
        return reminders_dispatch()


def test_only_due_reminders_are_sent(visit_kind, django_capture_on_commit_callbacks):
    """R5: reminders due a minute ago and in a day: only the first goes out."""
    now_user = due_visitor()
    later_user = make_visitor(visit_in=dt.timedelta(days=1, hours=1))
    reminders_schedule(target=later_user, version=1)
    counts = dispatch(django_capture_on_commit_callbacks)
    assert counts == {"sent": 1}
    assert [m.to for m in mail.outbox] == [[now_user.email]]
    later = Reminder.objects.get(target_id=str(later_user.pk))
    assert later.status == Reminder.Status.PENDING
    assert later.message is None


def test_a_reminder_is_sent_with_the_outbox_rows_message_id_and_a_manage_link(
    visit_kind, django_capture_on_commit_callbacks
):
    user = due_visitor()
    dispatch(django_capture_on_commit_callbacks)
    reminder = Reminder.objects.select_related("message").get()
    message = reminder.message
    assert reminder.status == Reminder.Status.SENT
    assert reminder.recipient == user.email
    assert message.status == Message.Status.SENT
    assert message.idempotency_key == f"reminder:{reminder.pk}"
    (email,) = mail.outbox
    assert email.extra_headers["Message-ID"] == message.message_id
    assert email.subject == "Your visit is coming up"
    assert "Hello Ann," in email.body
    link = next(w for w in email.body.split() if "/reminders/manage/" in w)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert manage_token_verify(token) == ("accounts.user", str(user.pk))
    # S14: the link is rendered when the mail is sent, never stored in the outbox.
    assert token not in json.dumps(
        [message.subject, message.body_text, message.body_html, message.render_params]
    )
    assert message.render_params == {"reminder": reminder.pk}


def test_dispatching_twice_makes_one_message_and_sending_twice_one_email(
    visit_kind, django_capture_on_commit_callbacks
):
    """R3: a retried dispatch and a duplicated send task do nothing twice."""
    due_visitor()
    due_visitor()
    assert dispatch(django_capture_on_commit_callbacks) == {"sent": 2}
    assert dispatch(django_capture_on_commit_callbacks) == {}
    assert Message.objects.count() == 2
    assert len(mail.outbox) == 2
    for message in Message.objects.all():
        assert message_send(message_id=message.pk).outcome == "not_claimed"
    assert len(mail.outbox) == 2
    assert MessageAttempt.objects.count() == 2


def test_a_reminder_for_a_moved_target_is_cancelled_and_never_sent(
    visit_kind, django_capture_on_commit_callbacks
):
    user = due_visitor()
    user.last_name = "2"  # moved: version 2 now, without a reschedule call
    user.save()
    assert dispatch(django_capture_on_commit_callbacks) == {"cancelled": 1}
    reminder = Reminder.objects.get()
    assert reminder.status == Reminder.Status.CANCELLED
    assert Message.objects.count() == 0
    assert mail.outbox == []


def test_a_reminder_for_a_deleted_target_is_cancelled(
    visit_kind, django_capture_on_commit_callbacks
):
    user = due_visitor()
    user.delete()
    assert dispatch(django_capture_on_commit_callbacks) == {"cancelled": 1}
    assert mail.outbox == []


def test_a_target_moved_after_dispatch_is_not_sent_by_the_worker(
    visit_kind, django_capture_on_commit_callbacks
):
    user = due_visitor()
    with django_capture_on_commit_callbacks(execute=False):  # the send task not run yet
        reminders_dispatch()
    user.last_name = "2"
    user.save()
    message = Message.objects.get()
    assert message_send(message_id=message.pk).outcome == "cancelled"
    message.refresh_from_db()
    reminder = Reminder.objects.get()
    assert message.status == Message.Status.CANCELLED
    assert reminder.status == Reminder.Status.CANCELLED
    assert mail.outbox == []


def test_an_opted_out_topic_is_skipped(visit_kind, django_capture_on_commit_callbacks):
    user = due_visitor()
    visit_kind.PREFS[user.pk] = {"opted_out": {"test-visits"}}  # turned off after booking
    assert dispatch(django_capture_on_commit_callbacks) == {"skipped": 1}
    assert "turned these reminders off" in Reminder.objects.get().reason
    assert mail.outbox == []


def test_a_channel_the_patient_dropped_is_skipped(visit_kind, django_capture_on_commit_callbacks):
    user = due_visitor(channels={"email", "sms"}, phone="+14155550123")
    visit_kind.PREFS[user.pk] = {"channels": {"sms"}, "phone": "+14155550123"}
    counts = dispatch(django_capture_on_commit_callbacks)
    assert counts == {"skipped": 1, "sent": 1}
    assert Reminder.objects.get(channel="email").status == Reminder.Status.SKIPPED


def test_quiet_hours_that_began_after_scheduling_postpone_the_reminder(
    visit_kind, django_capture_on_commit_callbacks
):
    user = make_visitor(visit_in=dt.timedelta(hours=20))
    reminders_schedule(target=user, version=1)
    Reminder.objects.update(due_at=timezone.now() - MIN)
    now_local = timezone.now().astimezone(kinds.Audience().zone)
    start = (now_local - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now_local + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    visit_kind.PREFS[user.pk] = {"quiet_start": start, "quiet_end": end}
    assert dispatch(django_capture_on_commit_callbacks) == {"postponed": 1}
    reminder = Reminder.objects.get()
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.due_at > timezone.now() + dt.timedelta(hours=1)
    assert reminder.due_at.astimezone(now_local.tzinfo).time() == end
    assert mail.outbox == []


def test_a_dispatcher_running_late_skips_a_reminder_for_an_event_that_is_over(
    visit_kind, django_capture_on_commit_callbacks
):
    user = make_visitor(visit_in=dt.timedelta(hours=3))
    reminders_schedule(target=user, version=1)
    user.last_login = timezone.now() - MIN  # the visit began a minute ago, same version
    user.save()
    Reminder.objects.update(due_at=timezone.now() - dt.timedelta(hours=2))
    assert dispatch(django_capture_on_commit_callbacks) == {"skipped": 1}
    assert "too late" in Reminder.objects.get().reason


def test_an_sms_reminder_without_a_valid_number_fails_visibly(
    visit_kind, django_capture_on_commit_callbacks
):
    due_visitor(channels={"sms"}, phone="555-0123")
    assert dispatch(django_capture_on_commit_callbacks) == {"failed": 1}
    reminder = Reminder.objects.get()
    assert reminder.status == Reminder.Status.FAILED
    assert reminder.reason == "no valid mobile number on file"


def test_an_sms_reminder_goes_through_the_sms_backend(
    visit_kind, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.SMS_BACKEND = "clinic.notify.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    due_visitor(channels={"sms"}, phone="+1 415 555 0123")
    assert dispatch(django_capture_on_commit_callbacks) == {"sent": 1}
    message = Message.objects.get()
    assert message.status == Message.Status.SENT
    (line,) = (tmp_path / "sms.jsonl").read_text().splitlines()
    sent = json.loads(line)
    assert sent["to"] == "+14155550123"
    assert sent["ref"] == str(message.uuid)
    assert "/reminders/manage/" in sent["text"]
    assert mail.outbox == []


def test_a_broken_kind_fails_its_own_row_and_the_others_go_out(
    visit_kind, django_capture_on_commit_callbacks
):
    def explode(user, version):
        raise RuntimeError("bug in is_valid")

    kinds.register_kind(replace(TEST_VISIT_KIND, name="test.broken", is_valid=explode))
    try:
        due_visitor()  # one row of each kind
        counts = dispatch(django_capture_on_commit_callbacks)
    finally:
        kinds.unregister_kind("test.broken")
    assert counts == {"failed": 1, "sent": 1}
    broken = Reminder.objects.get(kind="test.broken")
    assert broken.reason == "RuntimeError: bug in is_valid"
    assert Reminder.objects.get(kind=KIND).status == Reminder.Status.SENT


def test_a_renderer_bug_fails_the_message_instead_of_retrying_forever(
    visit_kind, django_capture_on_commit_callbacks
):
    def render(user, ctx):
        raise KeyError("oops")

    kinds.unregister_kind(KIND)
    kinds.register_kind(replace(TEST_VISIT_KIND, render=render))
    due_visitor()
    dispatch(django_capture_on_commit_callbacks)
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert "KeyError" in message.last_error
    assert Reminder.objects.get().status == Reminder.Status.FAILED
    assert mail.outbox == []


def test_a_reminder_of_an_unregistered_kind_fails_visibly(
    visit_kind, django_capture_on_commit_callbacks
):
    due_visitor()
    Reminder.objects.update(kind="gone.kind")
    assert dispatch(django_capture_on_commit_callbacks) == {"failed": 1}
    assert "gone.kind" in Reminder.objects.get().reason


def test_dispatch_works_through_in_batches(visit_kind, django_capture_on_commit_callbacks):
    for _ in range(5):
        due_visitor()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_dispatch(batch=2) == {"sent": 5}
    assert len(mail.outbox) == 5


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_send_each_reminder_once(visit_kind, settings):
    """R3: two dispatchers in two threads (two connections) at once: one message each."""
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL (CI runs on it)")
    from clinic.celery import app

    for _ in range(60):
        due_visitor()
    app.conf.task_always_eager = True
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(reminders_dispatch(batch=7))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 2
    assert sum(r.get("sent", 0) for r in results) == 60
    assert Message.objects.count() == 60
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == 60
    assert len(mail.outbox) == 60
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 60


def test_a_row_the_database_refuses_fails_alone(visit_kind, django_capture_on_commit_callbacks):
    """A database error on one row (here: an address too long for the column) is rolled back
    to its savepoint and that row marked failed; it cannot block the schedule forever."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce column lengths")
    bad = due_visitor()
    visit_kind.PREFS[bad.pk] = {"email": "x" * 300 + "@example.com"}
    due_visitor()
    assert dispatch(django_capture_on_commit_callbacks) == {"failed": 1, "sent": 1}
    failed = Reminder.objects.get(target_id=str(bad.pk))
    assert failed.status == Reminder.Status.FAILED
    assert "DataError" in failed.reason
