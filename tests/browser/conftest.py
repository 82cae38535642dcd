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
    """A private Redis, a real SMTP server and a real Celery worker subprocess (on the test
    database, sending to that SMTP server, rendering links to the live server) for a module."""
    from types import SimpleNamespace

    from django.db import connection

    from tests.support.journey_servers import Redis, Worker, database_url, free_port
    from tests.support.smtp import SMTPServer

    redis = Redis().start()
    smtp = SMTPServer(port=free_port())
    smtp.start()
    with django_db_blocker.unblock():
        db_url = database_url(connection.settings_dict)
    worker = Worker(
        database_url=db_url, broker_url=redis.url(), smtp_port=smtp.port, site_url=live_server.url
    )
    try:
        worker.start(wait=False)  # it gets ready while the first pages load
        yield SimpleNamespace(redis=redis, smtp=smtp, worker=worker)
    finally:
        worker.stop()
        smtp.stop()
        redis.stop()


@pytest.fixture
def clinic_servers(journey_servers, transactional_db, live_site):
    """The live server publishes its tasks to the journey's worker (not inline)."""
    from tests.support.journey_servers import publishing_to

    journey_servers.smtp.messages.clear()
    with publishing_to(journey_servers.redis.url()):
        yield journey_servers
