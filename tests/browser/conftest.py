import os
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def shot(page):
    """Save a screenshot: shot("name") → test-artifacts/screenshots/name.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, full_page: bool = True):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def live_site(live_server, settings):
    """The live server's URL, also used in emails the worker renders."""
    settings.SITE_URL = live_server.url
    return live_server.url


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


# --- The browser journeys: a real Celery worker and SMTP server behind the live server -------
@pytest.fixture(scope="module")
def journey_servers(django_db_setup, django_db_blocker, live_server):
    """A private Redis, a real SMTP server and a real Celery worker subprocess for a module:
    the worker uses the test database, sends to that SMTP server and renders links to the
    live server. It starts in the background: tasks wait in Redis until it is ready, so its
    start overlaps the journey's first pages (``mail_to`` in the journeys waits for it)."""
    import threading
    from types import SimpleNamespace

    from django.db import connection

    from tests.support.servers import (
        CeleryWorker,
        PrivateRedis,
        database_url,
        free_port,
        worker_env,
    )
    from tests.support.smtp import SMTPServer

    redis = PrivateRedis().start()
    smtp = SMTPServer(port=free_port())
    smtp.start()
    with django_db_blocker.unblock():
        db_url = database_url(connection.settings_dict)
    worker = CeleryWorker(
        env=worker_env(
            database_url=db_url,
            broker_url=redis.url(),
            smtp_port=smtp.port,
            SITE_URL=live_server.url,
        ),
        app="clinic",
        concurrency=1,
        name="journeys",
    )
    errors = []

    def start():
        try:
            worker.start()
        except Exception as exc:  # reported by ``worker_ok`` and at teardown
            errors.append(exc)

    starter = threading.Thread(target=start, daemon=True)
    starter.start()

    def worker_ok():
        if errors:
            raise errors[0]
        return worker

    try:
        yield SimpleNamespace(redis=redis, smtp=smtp, worker=worker, worker_ok=worker_ok)
    finally:
        starter.join(timeout=90)
        worker.stop()
        smtp.stop()
        redis.stop()


@pytest.fixture
def clinic_servers(journey_servers, transactional_db, live_site):
    """The live server publishes its tasks to the journey's worker (not inline)."""
    from tests.clinic.notify.integration.conftest import celery_publishing_to

    journey_servers.smtp.reset()
    with celery_publishing_to(journey_servers.redis.url()):
        yield journey_servers
