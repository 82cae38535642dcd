"""The outbox: written with the transaction, sent once, retried with backoff, swept (R2–R8)."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from clinic.notify import services
from clinic.notify.models import Message, MessageAttempt
from clinic.notify.registry import Rendered, TargetGone, register_renderer
from tests.conftest import free_port
from tests.support.smtp import SMTPServer


def queue(**kw):
    defaults = dict(
        purpose="test.hello", recipient="ann@example.com", subject="Hello", body_text="Hi Ann"
    )
    return services.message_queue(**{**defaults, **kw})


@pytest.fixture
def no_enqueue(monkeypatch):
    """Keep the on-commit enqueue out of the way to drive message_send by hand."""
    calls = []
    monkeypatch.setattr(services, "message_enqueue", lambda **kw: calls.append(kw) or True)
    return calls


@pytest.mark.django_db
def test_message_is_sent_after_commit_with_its_stable_message_id(
    smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
        assert smtp_server.messages == []  # nothing leaves before the commit
    [mail] = smtp_server.wait_for(1)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert mail["Message-ID"] == message.message_id
    assert mail["Subject"] == "Hello"
    assert list(message.attempt_log.values_list("outcome", flat=True)) == ["sent"]


@pytest.mark.django_db
def test_R2_a_rolled_back_transaction_leaves_no_message_and_no_task(no_enqueue):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("boom after the insert")
    assert Message.objects.count() == 0
    assert no_enqueue == []


@pytest.mark.django_db
def test_idempotency_key_queues_the_same_announcement_once(no_enqueue):
    first = queue(idempotency_key="appt-1-confirm")
    second = queue(idempotency_key="appt-1-confirm")
    assert first.pk == second.pk
    assert Message.objects.count() == 1
    queue(idempotency_key="appt-1-confirm", purpose="other.purpose")
    assert Message.objects.count() == 2


@pytest.mark.django_db
def test_R3_claiming_twice_sends_once(smtp_server, no_enqueue):
    message = queue()
    assert services.message_send(message_id=message.pk).outcome == "sent"
    assert services.message_send(message_id=message.pk).outcome == "not_claimed"
    assert len(smtp_server.messages) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_R3_two_threads_claiming_at_once_send_once(smtp_server, no_enqueue):
    messages = [queue(idempotency_key=str(i)) for i in range(20)]
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        barrier.wait()
        try:
            for m in messages:
                outcomes.append(services.message_send(message_id=m.pk).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("sent") == 20
    assert outcomes.count("not_claimed") == 20
    smtp_server.wait_for(20)
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) == 20


@pytest.mark.django_db
def test_R6_transient_failures_are_retried_with_backoff_then_sent(settings, no_enqueue):
    server = SMTPServer(port=free_port(), failures=2)
    server.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.NOTIFY_RETRY_BACKOFF_SECONDS = 30
        message = queue()
        first = services.message_send(message_id=message.pk)
        assert (first.outcome, first.retry_in) == ("retry", 30)
        message.refresh_from_db()
        assert message.status == Message.Status.PENDING
        assert message.next_attempt_at > timezone.now() + datetime.timedelta(seconds=25)
        # Not due yet: a premature task does nothing.
        assert services.message_send(message_id=message.pk).outcome == "not_claimed"
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        second = services.message_send(message_id=message.pk)
        assert (second.outcome, second.retry_in) == ("retry", 60)  # doubled
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert services.message_send(message_id=message.pk).outcome == "sent"
        server.wait_for(1)
        assert server.attempts == 3
        assert list(
            MessageAttempt.objects.filter(message=message).values_list("outcome", flat=True)
        ) == ["transient", "transient", "sent"]
    finally:
        server.stop()


@pytest.mark.django_db
def test_R6_retries_stop_at_the_cap_and_the_message_is_marked_failed(settings, no_enqueue):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.NOTIFY_MAX_ATTEMPTS = 3
    message = queue()
    outcomes = []
    for _ in range(3):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        outcomes.append(services.message_send(message_id=message.pk).outcome)
    assert outcomes == ["retry", "retry", "failed"]
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    assert message.attempt_log.count() == 3


@pytest.mark.django_db
def test_R6_a_refused_recipient_is_a_permanent_failure(settings, no_enqueue, monkeypatch):
    import smtplib

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    message = queue(recipient="x@example.com")
    assert services.message_send(message_id=message.pk).outcome == "failed"
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.attempts == 1


@pytest.mark.django_db
def test_renderer_runs_at_send_time_and_a_gone_target_is_never_sent(smtp_server, no_enqueue):
    state = {"gone": False}

    def render(params, recipient):
        if state["gone"]:
            raise TargetGone("appointment cancelled")
        return Rendered(subject=f"Hi {params['name']}", text="rendered late")

    register_renderer("test-late", render)
    ok = queue(renderer="test-late", render_params={"name": "Ann"}, subject="", body_text="")
    assert services.message_send(message_id=ok.pk).outcome == "sent"
    assert smtp_server.wait_for(1)[0]["Subject"] == "Hi Ann"

    state["gone"] = True
    gone = queue(renderer="test-late", render_params={"name": "Ben"})
    assert services.message_send(message_id=gone.pk).outcome == "cancelled"
    gone.refresh_from_db()
    assert gone.status == Message.Status.CANCELLED
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_R8_enqueue_failure_after_commit_is_logged_and_left_to_the_sweep(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from clinic.notify import tasks

    def broker_down(*a, **kw):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.send_message, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()  # must not raise
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
    assert "the sweep will" in caplog.text


@pytest.mark.django_db
def test_R4_sweep_resets_stuck_sending_rows_and_enqueues_due_ones(settings, no_enqueue):
    settings.NOTIFY_STUCK_AFTER_SECONDS = 300
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    stuck = queue(idempotency_key="stuck")
    Message.objects.filter(pk=stuck.pk).update(
        status=Message.Status.SENDING, claimed_at=long_ago, updated_at=long_ago
    )
    recent = queue(idempotency_key="recent-sending")
    Message.objects.filter(pk=recent.pk).update(
        status=Message.Status.SENDING, claimed_at=timezone.now()
    )
    pending = queue(idempotency_key="pending")
    Message.objects.filter(pk=pending.pk).update(updated_at=long_ago, next_attempt_at=long_ago)
    future = queue(idempotency_key="future")
    Message.objects.filter(pk=future.pk).update(
        updated_at=long_ago, next_attempt_at=timezone.now() + datetime.timedelta(hours=1)
    )
    no_enqueue.clear()
    result = services.outbox_sweep()
    assert result["stuck_reset"] == 1
    enqueued = {c["message_id"] for c in no_enqueue}
    assert pending.pk in enqueued
    assert future.pk not in enqueued and recent.pk not in enqueued
    stuck.refresh_from_db()
    assert stuck.status == Message.Status.PENDING


@pytest.mark.django_db
def test_staff_retry_of_a_failed_message(no_enqueue, django_capture_on_commit_callbacks):
    message = queue()
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED, attempts=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.message_retry(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.PENDING, 0)
    assert not services.message_retry(message_id=message.pk)  # only failed ones


def test_R7_email_timeout_is_set(settings):
    assert 0 < settings.EMAIL_TIMEOUT <= 30
