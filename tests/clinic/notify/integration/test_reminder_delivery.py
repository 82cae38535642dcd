"""Reminders end to end with real parts: a Celery worker subprocess on Redis, an SMTP server
(aiosmtpd), PostgreSQL. Proves R3–R8 of QUALITY.md with the test-only reminder kind (target: a
User row; see tests/support/reminder_kinds.py). Every wait has a deadline; the module runs in
a couple of minutes."""

import datetime as dt
import json
import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from clinic.notify import tasks
from clinic.notify.models import Message, MessageAttempt, Reminder
from clinic.notify.services import message_queue, outbox_sweep, reminders_dispatch
from tests.clinic.notify.integration.conftest import celery_publishing_to, visitors_due
from tests.support.servers import (
    CeleryWorker,
    GunicornServer,
    PrivatePostgres,
    PrivateRedis,
    free_port,
    wait_until,
    worker_env,
)
from tests.support.smtp import SMTPServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, *, timeout: float, what: str, worker: CeleryWorker | None = None):
    try:
        return wait_until(predicate, timeout=timeout, interval=0.2, what=what)
    except TimeoutError as exc:
        tail = f"\n--- worker log ---\n{worker.log_tail()}" if worker else ""
        raise AssertionError(f"{exc}{tail}") from None


def sent_count() -> int:
    return Message.objects.filter(status=Message.Status.SENT).count()


def by_message_id(smtp: SMTPServer) -> Counter:
    return Counter(str(m["Message-ID"]) for m in list(smtp.messages))


def assert_each_reminder_arrived_once(smtp: SMTPServer, count: int) -> None:
    received = by_message_id(smtp)
    expected = set(Message.objects.filter(reminder__isnull=False).values_list("uuid", flat=True))
    assert len(expected) == count
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == count
    assert set(received) == {f"<{u}@{_domain()}>" for u in expected}
    assert all(n == 1 for n in received.values()), received.most_common(3)
    assert len(smtp.messages) == count


def _domain() -> str:
    from django.conf import settings

    return settings.MESSAGE_ID_DOMAIN


# --- R3: once -------------------------------------------------------------------------------
def test_200_due_reminders_all_arrive_once(live, smtp):
    visitors_due(200)
    tasks.reminders_dispatch.delay()
    wait_for(lambda: sent_count() == 200, timeout=90, what="200 sent", worker=live)
    time.sleep(1)  # anything doubled would arrive now
    assert_each_reminder_arrived_once(smtp, 200)
    assert MessageAttempt.objects.filter(outcome="sent").count() == 200


def test_two_dispatch_runs_at_once_still_send_each_reminder_once(live, smtp):
    visitors_due(200)
    # Two beat runs land at once in two worker processes, and a third dispatcher runs here.
    tasks.reminders_dispatch.delay()
    tasks.reminders_dispatch.delay()
    here = threading.Thread(target=lambda: (reminders_dispatch(batch=20), connection.close()))
    here.start()
    here.join(timeout=60)
    wait_for(lambda: sent_count() == 200, timeout=90, what="200 sent", worker=live)
    tasks.reminders_dispatch.delay()  # and a late, retried one
    time.sleep(2)
    assert Message.objects.count() == 200
    assert_each_reminder_arrived_once(smtp, 200)


# --- R5: rows with a due time, no eta ---------------------------------------------------------
def test_only_the_reminder_already_due_is_sent(live, smtp):
    (now_user,) = visitors_due(1)  # due a minute ago
    (later_user,) = visitors_due(1, visit_in=dt.timedelta(days=1, hours=1))  # due in a day
    tasks.reminders_dispatch.delay()
    wait_for(lambda: sent_count() == 1, timeout=30, what="1 sent", worker=live)
    time.sleep(1)
    (received,) = smtp.messages
    assert received["To"] == now_user.email
    later = Reminder.objects.get(target_id=str(later_user.pk))
    assert later.status == Reminder.Status.PENDING
    assert later.message is None


# --- A target that moved is never announced -------------------------------------------------
def test_a_reminder_for_a_target_whose_version_moved_is_never_sent(live, smtp):
    kept, moved = visitors_due(2)
    moved.last_name = "2"  # the visit moved to version 2 (its own reminders would follow)
    moved.save()
    tasks.reminders_dispatch.delay()
    wait_for(lambda: sent_count() == 1, timeout=30, what="1 sent", worker=live)
    wait_for(
        lambda: Reminder.objects.filter(status=Reminder.Status.CANCELLED).count() == 1,
        timeout=10,
        what="the moved one cancelled",
    )
    time.sleep(1)
    assert [m["To"] for m in smtp.messages] == [kept.email]
    cancelled = Reminder.objects.get(target_id=str(moved.pk))
    assert cancelled.status == Reminder.Status.CANCELLED
    assert cancelled.message is None


# --- R6: transient SMTP failures retried with backoff ----------------------------------------
def test_smtp_failing_twice_then_accepting_sends_after_three_attempts(live, smtp):
    smtp.reset(failures=2)
    visitors_due(1)
    tasks.reminders_dispatch.delay()
    wait_for(lambda: sent_count() == 1, timeout=30, what="sent after retries", worker=live)
    message = Message.objects.get()
    attempts = list(message.attempt_log.values_list("number", "outcome", "error"))
    assert [(n, o) for n, o, _ in attempts] == [(1, "transient"), (2, "transient"), (3, "sent")]
    assert all("451" in e for _, o, e in attempts if o == "transient")
    assert message.attempts == 3
    assert smtp.attempts == 3
    assert len(smtp.messages) == 1


# --- R7: a hung SMTP server costs one timeout, not the worker ----------------------------------
def test_a_hung_smtp_server_fails_the_send_in_time_and_the_worker_carries_on(
    transactional_db, visit_kind, redis_server, test_database_url, tmp_path
):
    hung = SMTPServer(port=free_port(), hang=True)
    hung.start()
    sms_file = tmp_path / "sms.jsonl"
    worker = CeleryWorker(
        env=worker_env(
            database_url=test_database_url,
            broker_url=redis_server.url(1),
            smtp_port=hung.port,
            EMAIL_TIMEOUT=2,
            NOTIFY_MAX_ATTEMPTS=2,
            SMS_BACKEND="clinic.notify.sms.FileSMSBackend",
            SMS_FILE_PATH=sms_file,
        ),
        concurrency=1,  # one process: if the hung send blocked it, nothing else would run
        name="hung",
    ).start()
    try:
        with celery_publishing_to(redis_server.url(1)), transaction.atomic():
            email = message_queue(
                purpose="test", recipient="ann@example.com", subject="Hi", body_text="x"
            )
            text = message_queue(
                purpose="test", channel="sms", recipient="+14155550123", body_text="Hi"
            )
        wait_for(
            lambda: MessageAttempt.objects.filter(message=email).count() >= 1,
            timeout=60,
            what="the first attempt",
            worker=worker,
        )
        first = MessageAttempt.objects.filter(message=email).first()
        email.refresh_from_db()
        assert first.outcome == "transient"
        assert "timed out" in first.error
        # Bounded by the 2 s timeout (the slack is for a loaded shared machine: a hang without
        # a timeout would never end).
        assert (first.at - email.claimed_at).total_seconds() < 2 + 6
        # The worker lives on: the text message queued behind it goes out ...
        wait_for(
            lambda: Message.objects.get(pk=text.pk).status == Message.Status.SENT,
            timeout=60,
            what="the SMS after the hung email",
            worker=worker,
        )
        assert json.loads(sms_file.read_text().splitlines()[0])["to"] == "+14155550123"
        # ... and the email, retried once more, is marked failed within its attempts.
        wait_for(
            lambda: Message.objects.get(pk=email.pk).status == Message.Status.FAILED,
            timeout=60,
            what="the email to give up",
            worker=worker,
        )
        assert worker.alive
        assert list(
            MessageAttempt.objects.filter(message=email).values_list("outcome", flat=True)
        ) == ["transient", "permanent"]
    finally:
        worker.stop(timeout=10)
        hung.stop()


# --- R4: a worker killed mid-batch -------------------------------------------------------------
def test_a_worker_killed_mid_batch_loses_nothing(
    transactional_db, visit_kind, redis_server, test_database_url, settings
):
    concurrency = 4
    slow = SMTPServer(port=free_port(), delay=0.05)  # ~200 messages take a few seconds
    slow.start()
    env = worker_env(
        database_url=test_database_url, broker_url=redis_server.url(2), smtp_port=slow.port
    )
    first = CeleryWorker(env=env, concurrency=concurrency, name="doomed").start()
    second = None
    try:
        with celery_publishing_to(redis_server.url(2)):
            visitors_due(200)
            tasks.reminders_dispatch.delay()
            wait_for(lambda: len(slow.messages) >= 40, timeout=60, what="40 sent", worker=first)
            first.kill()  # SIGKILL the worker and its pool processes: a crash
            at_kill = len(slow.messages)
            in_flight = Message.objects.filter(status=Message.Status.SENDING).count()
            assert at_kill < 200, "the batch finished before the kill; slow the server down"
            second = CeleryWorker(env=env, concurrency=concurrency, name="phoenix").start()
            # Beat, sped up: the sweep finds rows stuck in "sending" (their worker died) and
            # re-sends them; rows whose task the broker still holds go out as usual.
            settings.NOTIFY_STUCK_AFTER_SECONDS = 3
            settings.NOTIFY_SWEEP_PENDING_AFTER_SECONDS = 2
            deadline = time.monotonic() + 90
            while sent_count() < 200 and time.monotonic() < deadline:
                outbox_sweep()
                reminders_dispatch()
                time.sleep(1)
        time.sleep(1)
        received = by_message_id(slow)
        expected = {
            f"<{u}@{settings.MESSAGE_ID_DOMAIN}>"
            for u in Message.objects.values_list("uuid", flat=True)
        }
        delivered = len(received)
        duplicates = sum(n - 1 for n in received.values())
        lost = len(expected - set(received))
        print(
            f"\nkill test: delivered {delivered} of 200, duplicates {duplicates}, lost {lost} "
            f"(at the kill: {at_kill} delivered, {in_flight} in flight; concurrency "
            f"{concurrency})"
        )
        assert sent_count() == 200, second.log_tail()
        assert lost == 0
        assert delivered == 200
        assert set(received) == expected  # every copy carries its own row's Message-ID
        assert duplicates <= concurrency
        # A duplicate is the same message again: same Message-ID, same recipient and subject.
        for message_id, n in received.items():
            if n > 1:
                copies = [m for m in slow.messages if str(m["Message-ID"]) == message_id]
                assert len({(str(c["To"]), str(c["Subject"])) for c in copies}) == 1
    finally:
        if second is not None:
            second.stop(timeout=10)
        first.kill()
        slow.stop()


# --- R8: the broker down at enqueue ----------------------------------------------------------
def test_redis_down_while_queueing_commits_and_the_reminder_goes_out_when_it_returns(
    transactional_db, visit_kind, test_database_url, smtp, settings, caplog
):
    smtp.reset()
    redis = PrivateRedis().start()
    worker = CeleryWorker(
        env=worker_env(database_url=test_database_url, broker_url=redis.url(), smtp_port=smtp.port),
        concurrency=2,
        name="outage",
    ).start()
    try:
        with celery_publishing_to(redis.url()):
            redis.stop()
            started = time.monotonic()
            # What a booking request does: write the target, its reminders and a
            # confirmation in one transaction; after commit the enqueue fails (broker down).
            with transaction.atomic():
                (user,) = visitors_due(1)
                message_queue(
                    purpose="confirmation",
                    recipient=user.email,
                    subject="Booked",
                    body_text="See you",
                )
            # The beat's dispatcher, running while the broker is down, commits as well.
            assert reminders_dispatch() == {"sent": 1}
            assert time.monotonic() - started < 15
            assert "could not enqueue message" in caplog.text
            assert Message.objects.filter(status=Message.Status.PENDING).count() == 2
            assert smtp.messages == []

            redis.start()  # the broker is back, on the same port
            settings.NOTIFY_SWEEP_PENDING_AFTER_SECONDS = 1
            deadline = time.monotonic() + 60
            while sent_count() < 2 and time.monotonic() < deadline:
                outbox_sweep()  # beat's sweep re-enqueues what the outage left behind
                time.sleep(1)
        assert sent_count() == 2, worker.log_tail()
        time.sleep(1)
        assert sorted(str(m["Subject"]) for m in smtp.messages) == [
            "Booked",
            "Your visit is coming up",
        ]
        assert Reminder.objects.get().status == Reminder.Status.SENT
    finally:
        worker.stop(timeout=10)
        redis.stop()


# --- R8: a PostgreSQL restart between two requests -------------------------------------------
def test_a_postgres_restart_between_two_requests_costs_no_error(tmp_path):
    pg = PrivatePostgres().init().start()
    env = worker_env(
        database_url=pg.url("postgres"),
        broker_url="filesystem://",
        VAR_DIR=tmp_path,
        CONN_MAX_AGE=60,
    )
    web = GunicornServer(env=env).start()
    try:
        status, body = web.get("/healthz")
        assert (status, json.loads(body)["database"]) == (200, "ok"), web.log_tail()
        web.get("/healthz")
        # One persistent connection serves the requests: the restart really cuts it.
        clients = pg.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
            "AND datname = 'postgres' AND pid <> pg_backend_pid()"
        )
        assert clients == "1"
        pg.restart()
        for _ in range(2):
            status, body = web.get("/healthz")
            assert status == 200, (body, web.log_tail())
            assert json.loads(body) == {"status": "ok", "database": "ok", "broker": "ok"}
    finally:
        web.stop()
        pg.cleanup()
