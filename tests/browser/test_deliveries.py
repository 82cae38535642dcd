"""Staff look at failed deliveries and retry one, on a phone and on a desktop."""

import importlib
from pathlib import Path

import pytest
from django.test import Client

from clinic.notify.models import Message
from tests.conftest import login_with_two_factor

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def roles(transactional_db):
    """The role groups come from a data migration; an earlier transactional test's flush
    removes them (serialized_rollback does not restore them alongside pytest-playwright's
    fixtures), so write them again, idempotently, with the migration's own function."""
    from django.apps import apps

    importlib.import_module("clinic.accounts.migrations.0002_roles").create_roles(apps, None)


def _log_in(page, live_server, user):
    client = login_with_two_factor(Client(), user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_staff_retry_a_failed_delivery(page, live_server, roles, staff_user, size):
    Message.objects.create(
        purpose="reminder",
        recipient="ann.smith@example.com",
        status=Message.Status.FAILED,
        attempts=6,
        last_error="SMTP 550: 5.1.1 mailbox unavailable (recipient refused by the mail server)",
    )
    Message.objects.create(
        purpose="reminder",
        channel="sms",
        recipient="+14155550123",
        status=Message.Status.FAILED,
        attempts=1,
        last_error='SMS provider HTTP 400: {"error": "number is a landline"}',
    )
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _log_in(page, live_server, staff_user)
    page.goto(f"{live_server.url}/staff/deliveries/")
    assert page.get_by_role("heading", name="Deliveries that need attention").is_visible()
    assert page.get_by_text("a•••@example.com").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"deliveries-{size[0]}x{size[1]}"
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.get_by_role("button", name="Retry").first.click()
    page.wait_for_url(f"{live_server.url}/staff/deliveries/")
    assert page.get_by_text("Queued again").is_visible()
    page.screenshot(path=str(SHOTS / f"{name}-after-retry.png"), full_page=True)
    # The email went out (inline Celery in tests): one delivery is left to fix.
    assert Message.objects.filter(status=Message.Status.FAILED).count() == 1
