"""Fixtures for the reminder integration tests: a real Celery worker (subprocess) on a
private Redis, a real SMTP server, the test database on PostgreSQL; each test bounded."""

import contextlib
import datetime as dt
import os
import signal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from kombu import pools as kombu_pools

from clinic.accounts.models import User
from clinic.celery import app
from clinic.notify.services import reminders_schedule
from tests.support.servers import (
    CeleryWorker,
    PrivateRedis,
    database_url,
    free_port,
    worker_env,
)
from tests.support.smtp import SMTPServer

ENV_BROKER = "CELERY_BROKER_URL"
TEST_TIME_LIMIT = 150  # seconds; every wait inside a test has a shorter deadline of its own


@pytest.fixture(autouse=True)
def _bounded_in_time():
    def over_time(signum, frame):
        raise TimeoutError(f"integration test ran over {TEST_TIME_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, over_time)
    signal.alarm(TEST_TIME_LIMIT)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the integration tests run on PostgreSQL (set DATABASE_URL=postgres://…)")


def _reset_producer_pools():
    # Close and forget every pooled broker connection (kombu keeps a global registry), so the
    # next publish connects to the broker now configured.
    kombu_pools.reset()
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.__dict__["amqp"]._producer_pool = None


@contextlib.contextmanager
def celery_publishing_to(broker_url: str):
    """Make this process publish real tasks to ``broker_url`` (not run them inline)."""
    previous = app.conf.broker_url, app.conf.task_always_eager, os.environ.get(ENV_BROKER)
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    os.environ[ENV_BROKER] = broker_url
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = False
    _reset_producer_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager, env_before = previous
        if env_before is None:
            os.environ.pop(ENV_BROKER, None)
        else:
            os.environ[ENV_BROKER] = env_before
        _reset_producer_pools()


@pytest.fixture(scope="module")
def redis_server():
    server = PrivateRedis().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def smtp():
    server = SMTPServer(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def test_database_url(django_db_setup):
    if connection.vendor != "postgresql":
        pytest.skip("the integration tests run on PostgreSQL (set DATABASE_URL=postgres://…)")
    return database_url(connection.settings_dict)


@pytest.fixture(scope="module")
def shared_worker(test_database_url, redis_server, smtp):
    """One worker (4 processes) for the tests that need nothing special of it."""
    worker = CeleryWorker(
        env=worker_env(
            database_url=test_database_url, broker_url=redis_server.url(), smtp_port=smtp.port
        ),
        concurrency=4,
        name="shared",
    ).start()
    yield worker
    worker.stop()


@pytest.fixture
def live(transactional_db, visit_kind, redis_server, smtp, shared_worker):
    """The shared worker, SMTP server emptied, this process publishing to the same Redis."""
    smtp.reset()
    with celery_publishing_to(redis_server.url()):
        yield shared_worker


def visitors_due(count: int, *, visit_in=dt.timedelta(minutes=59)) -> list[User]:
    """``count`` users whose test visit is ``visit_in`` from now, with their reminders
    scheduled (the reminder is an hour before the visit: due a minute ago by default)."""
    at = timezone.now() + visit_in
    start = User.objects.count()
    users = User.objects.bulk_create(
        [
            User(
                email=f"it-{start + i}-{at.timestamp():.0f}@example.com",
                first_name="Ann",
                last_name="1",
                last_login=at,
            )
            for i in range(count)
        ]
    )
    with transaction.atomic():
        for user in users:
            reminders_schedule(target=user, version=1)
    return users
