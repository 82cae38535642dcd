"""The outbox: retries with backoff and a cap, timeouts, the sweep, staff retry (R4, R6–R8)."""

import datetime as dt
import logging
import time

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from clinic.notify import services, tasks
from clinic.notify.models import Message, MessageAttempt, Reminder
from clinic.notify.services import (
    message_queue,
    message_retry,
    message_send,
    outbox_sweep,
)
from tests.conftest import free_port
from tests.support.smtp import SMTPServer

pytestmark = pytest.mark.django_db


def queued(**kwargs) -> Message:
    fields = dict(purpose="test", recipient="ann@example.com", subject="Hi", body_text="Hello")
    fields.update(kwargs)
    with transaction.atomic():
        return message_queue(**fields)


@pytest.fixture
def no_enqueue(monkeypatch):
    """Record enqueues instead of running the task inline, to drive the outbox by hand."""
    calls = []
    monkeypatch.setattr(
        services, "message_enqueue", lambda **kw: calls.append(kw) or True, raising=True
    )
    return calls


def test_a_transient_smtp_failure_is_retried_with_backoff_until_sent(
    smtp_server, settings, no_enqueue
):
    """R6: a server that fails twice, then accepts: sent on the 3rd attempt, all recorded."""
    settings.NOTIFY_RETRY_BACKOFF_SECONDS = 30
    smtp_server.reset(failures=2)
    message = queued()
    start = timezone.now()
    first = message_send(message_id=message.pk)
    assert first.outcome == "retry" and first.retry_in == 30
    assert message_send(message_id=message.pk).outcome == "not_claimed"  # not due yet
    with time_machine.travel(start + dt.timedelta(seconds=31)):
        second = message_send(message_id=message.pk)
    assert second.outcome == "retry" and second.retry_in == 60  # doubled
    with time_machine.travel(start + dt.timedelta(seconds=92)):
        assert message_send(message_id=message.pk).outcome == "sent"
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 3
    outcomes = list(message.attempt_log.values_list("number", "outcome"))
    assert outcomes == [(1, "transient"), (2, "transient"), (3, "sent")]
    assert "451" in message.attempt_log.first().error
    assert smtp_server.attempts == 3
    (received,) = smtp_server.messages
    assert received["Message-ID"] == message.message_id


def test_backoff_is_capped(settings):
    settings.NOTIFY_RETRY_BACKOFF_SECONDS = 30
    settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS = 900
    assert [services._backoff(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]


def test_after_the_last_attempt_a_transient_failure_becomes_failed(
    smtp_server, settings, no_enqueue
):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    settings.NOTIFY_RETRY_BACKOFF_SECONDS = 0
    smtp_server.reset(failures=5)
    message = queued()
    assert message_send(message_id=message.pk).outcome == "retry"
    assert message_send(message_id=message.pk).outcome == "failed"
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.attempt_log.last().error.startswith("gave up after 2 attempts")


def test_a_permanent_smtp_refusal_is_failed_at_once_and_the_reminder_too(settings, no_enqueue):
    server = SMTPServer(port=free_port(), failures=1, failure_reply="554 Message rejected")
    server.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        message = queued()
        reminder = Reminder.objects.create(
            kind="k",
            target_label="accounts.user",
            target_id="1",
            channel="email",
            scheduled_for=timezone.now(),
            due_at=timezone.now(),
            status=Reminder.Status.SENT,
            message=message,
        )
        assert message_send(message_id=message.pk).outcome == "failed"
    finally:
        server.stop()
    message.refresh_from_db()
    reminder.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.last_error == "SMTP 554: Message rejected"
    assert reminder.status == Reminder.Status.FAILED
    assert reminder.reason == "SMTP 554: Message rejected"


def test_a_server_that_never_answers_fails_the_attempt_within_the_timeout(settings, no_enqueue):
    """R7: EMAIL_TIMEOUT bounds every SMTP call; the attempt is recorded as transient."""
    server = SMTPServer(port=free_port(), hang=True)
    server.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_TIMEOUT = 1
        message = queued()
        started = time.monotonic()
        result = message_send(message_id=message.pk)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert result.outcome == "retry"
    assert elapsed < 1 + 2  # the timeout plus a little, never the server's hour
    attempt = MessageAttempt.objects.get()
    assert attempt.outcome == "transient"
    assert "timed out" in attempt.error


def test_the_sweep_puts_a_message_stuck_in_sending_back_and_enqueues_it(settings, no_enqueue):
    """R4: the worker died while sending; the sweep, not the broker, brings it back."""
    settings.NOTIFY_STUCK_AFTER_SECONDS = 300
    message = queued()
    assert services.message_claim(message_id=message.pk) is not None
    no_enqueue.clear()
    assert outbox_sweep()["stuck_reset"] == 0  # still within the limit: maybe still sending
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=301)):
        result = outbox_sweep()
    assert result["stuck_reset"] == 1
    assert no_enqueue == [{"message_id": message.pk}]
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
    attempt = message.attempt_log.get()
    assert (attempt.number, attempt.outcome) == (1, "transient")
    assert "worker lost" in attempt.error


def test_the_sweep_gives_up_on_a_message_that_keeps_killing_workers(settings, no_enqueue):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    message = queued()
    services.message_claim(message_id=message.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        assert outbox_sweep()["gave_up"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED


def test_the_sweep_enqueues_pending_messages_the_broker_lost_but_not_fresh_ones(
    settings, no_enqueue
):
    settings.NOTIFY_SWEEP_PENDING_AFTER_SECONDS = 20
    message = queued()
    no_enqueue.clear()
    assert outbox_sweep()["due"] == 0
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=21)):
        assert outbox_sweep()["due"] == 1
    assert no_enqueue == [{"message_id": message.pk}]


def test_a_broker_outage_at_enqueue_is_logged_and_the_transaction_commits(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """R8: a request whose transaction committed never fails because the broker is down."""

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.send_message, "apply_async", broker_down)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        message = queued()
    assert Message.objects.get(pk=message.pk).status == Message.Status.PENDING
    assert "could not enqueue message" in caplog.text


def test_staff_retry_gives_a_failed_message_fresh_attempts(
    smtp_server, django_capture_on_commit_callbacks
):
    message = queued()
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.FAILED, attempts=6, last_error="SMTP 554"
    )
    reminder = Reminder.objects.create(
        kind="k",
        target_label="accounts.user",
        target_id="1",
        channel="email",
        scheduled_for=timezone.now(),
        due_at=timezone.now(),
        status=Reminder.Status.FAILED,
        message=message,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert message_retry(message_id=message.pk) is True
    message.refresh_from_db()
    reminder.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 1
    assert reminder.status == Reminder.Status.SENT
    assert len(smtp_server.messages) == 1
    assert message_retry(message_id=message.pk) is False  # sent: nothing to retry


def test_staff_retry_of_a_message_still_sending_normally_is_refused(no_enqueue):
    message = queued()
    services.message_claim(message_id=message.pk)
    assert message_retry(message_id=message.pk) is False


def test_staff_retry_of_a_reminder_uses_the_corrected_address(
    visit_kind, django_capture_on_commit_callbacks
):
    from tests.clinic.notify.conftest import make_visitor

    user = make_visitor(visit_in=dt.timedelta(minutes=59))
    services.reminders_schedule(target=user, version=1)
    with django_capture_on_commit_callbacks(execute=False):
        services.reminders_dispatch()
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED)
    user.email = "ann.fixed@example.com"  # staff corrected the profile
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert message_retry(message_id=message.pk)
    message.refresh_from_db()
    assert message.recipient == "ann.fixed@example.com"
    assert message.status == Message.Status.SENT
    assert Reminder.objects.get().recipient == "ann.fixed@example.com"
