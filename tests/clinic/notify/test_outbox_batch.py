"""Batches of messages (what the reminder dispatcher queues): one SMTP connection per batch,
each message still claimed, sent and recorded on its own (R3, R6)."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from clinic.notify import services, tasks
from clinic.notify.models import Message, MessageAttempt
from tests.conftest import free_port
from tests.support.smtp import SMTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Messages handed back to the queue one by one (by a batch that stopped early)."""
    calls = []
    monkeypatch.setattr(services, "message_enqueue", lambda **kw: calls.append(kw) or True)
    return calls


def queued(count: int) -> list[Message]:
    with transaction.atomic():
        return [
            services.message_queue(
                purpose="test.batch",
                recipient=f"ann{n}@example.com",
                subject=f"Hello {n}",
                body_text="Hi",
            )
            for n in range(count)
        ]


def outcomes(message: Message) -> list[str]:
    return list(message.attempt_log.values_list("outcome", flat=True))


def test_a_batch_goes_over_one_connection_each_message_once_with_its_message_id(
    smtp_server, enqueued, monkeypatch
):
    messages = queued(3)
    opened = []
    real = services.get_connection
    monkeypatch.setattr(services, "get_connection", lambda **kw: opened.append(kw) or real(**kw))
    results = services.messages_send(message_ids=[m.pk for m in messages])
    assert [r.outcome for r in results.values()] == ["sent"] * 3
    assert len(opened) == 1
    received = smtp_server.wait_for(3)
    assert [m["Message-ID"] for m in received] == [m.message_id for m in messages]
    for message in messages:
        message.refresh_from_db()
        assert message.status == Message.Status.SENT
        assert message.attempts == 1
        assert outcomes(message) == ["sent"]
    # The same batch again (a redelivered task) sends nothing twice.
    again = services.messages_send(message_ids=[m.pk for m in messages])
    assert {r.outcome for r in again.values()} == {"not_claimed"}
    assert len(smtp_server.messages) == 3
    assert MessageAttempt.objects.count() == 3
    assert enqueued == []


def test_a_4xx_reply_retries_that_message_and_the_batch_goes_on(settings, enqueued):
    server = SMTPServer(port=free_port(), failures=1)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    try:
        first, second = queued(2)
        results = services.messages_send(message_ids=[first.pk, second.pk])
    finally:
        server.stop()
    assert results[first.pk].outcome == "retry"
    assert not results[first.pk].connection_lost
    assert results[second.pk].outcome == "sent"
    first.refresh_from_db()
    assert first.status == Message.Status.PENDING
    assert outcomes(first) == ["transient"]
    assert enqueued == []  # the task re-enqueues the retry itself, with its backoff


def test_a_lost_connection_ends_the_batch_and_hands_the_rest_back(settings, enqueued):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listening
    first, second, third = queued(3)
    results = services.messages_send(message_ids=[first.pk, second.pk, third.pk])
    assert list(results) == [first.pk]
    assert results[first.pk].outcome == "retry" and results[first.pk].connection_lost
    assert enqueued == [{"message_id": second.pk}, {"message_id": third.pk}]
    second.refresh_from_db()
    assert (second.status, second.attempts) == (Message.Status.PENDING, 0)  # never claimed


def test_the_send_messages_task_re_enqueues_a_retry_with_its_backoff(settings, enqueued):
    server = SMTPServer(port=free_port(), failures=1)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    try:
        (message,) = queued(1)
        assert tasks.send_messages.run([message.pk]) == {"retry": 1}
    finally:
        server.stop()
    backoff = settings.NOTIFY_RETRY_BACKOFF_SECONDS
    assert enqueued == [{"message_id": message.pk, "countdown": backoff}]


def test_the_dispatcher_queues_its_messages_in_batches(
    visit_kind, visitor_factory, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from clinic.notify.services import reminders_dispatch, reminders_schedule

    settings.NOTIFY_SEND_BATCH = 2
    published = []
    monkeypatch.setattr(
        tasks.send_messages, "apply_async", lambda args, **kw: published.append(args[0])
    )
    for _ in range(5):
        visitor = visitor_factory(visit_in=dt.timedelta(minutes=59))  # due a minute ago
        reminders_schedule(target=visitor, version=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_dispatch() == {"sent": 5}
    assert [len(ids) for ids in published] == [2, 2, 1]
    assert sorted(sum(published, [])) == sorted(Message.objects.values_list("pk", flat=True))
    assert mail.outbox == []  # queued, not sent: the workers send
