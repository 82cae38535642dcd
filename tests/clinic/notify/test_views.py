"""The staff deliveries page: who may see it, what it lists, the retry button; history."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.notify.models import Message, Reminder
from clinic.notify.selectors import (
    mask_recipient,
    reminder_history,
    reminder_history_for_person,
)
from clinic.notify.services import reminders_schedule
from tests.clinic.notify.conftest import make_visitor

pytestmark = pytest.mark.django_db
URL = "/staff/deliveries/"


def failed(n=1, **kwargs) -> list[Message]:
    rows = []
    for i in range(n):
        fields = dict(
            purpose="reminder",
            recipient=f"person{i}@example.com",
            status=Message.Status.FAILED,
            attempts=6,
            last_error="SMTP 554: Message rejected",
        )
        fields.update(kwargs)
        rows.append(Message.objects.create(**fields))
    return rows


def test_the_page_is_reachable_by_its_name():
    assert reverse("notify:deliveries") == URL


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["patient_client", "privacy_officer_client"])
def test_roles_without_calendar_permission_are_refused(request, who):
    assert request.getfixturevalue(who).get(URL).status_code == 403


def test_a_patient_cannot_retry(patient_client):
    (message,) = failed()
    response = patient_client.post(reverse("notify:delivery_retry", args=[message.pk]))
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED


@pytest.mark.parametrize("who", ["staff_client", "specialist_client"])
def test_staff_and_specialists_see_the_page(request, who):
    assert request.getfixturevalue(who).get(URL).status_code == 200


def test_staff_without_a_second_factor_are_sent_to_set_it_up(staff_user):
    client = Client()
    client.force_login(staff_user)
    assert client.get(URL).status_code == 302


def test_failed_stuck_and_overdue_deliveries_are_listed_and_healthy_ones_not(staff_client):
    now = timezone.now()
    (fail,) = failed(recipient="ann.smith@example.com")
    stuck = Message.objects.create(
        purpose="reminder",
        recipient="+14155550123",
        channel="sms",
        status=Message.Status.SENDING,
        claimed_at=now - dt.timedelta(hours=1),
        attempts=1,
    )
    overdue = Message.objects.create(
        purpose="confirmation",
        recipient="bob@example.com",
        next_attempt_at=now - dt.timedelta(hours=2),
        last_error="ConnectionRefusedError",
    )
    Message.objects.create(purpose="fine", recipient="sent@example.com", status="sent")
    Message.objects.create(purpose="fresh", recipient="fresh@example.com")
    Message.objects.create(
        purpose="busy", recipient="busy@example.com", status="sending", claimed_at=now
    )
    reminder = Reminder.objects.create(
        kind="test.visit-1h",
        target_label="accounts.user",
        target_id="1",
        channel="email",
        scheduled_for=now,
        due_at=now,
        status=Reminder.Status.FAILED,
        message=fail,
    )
    response = staff_client.get(URL)
    rows = response.context["deliveries"]
    assert {m.pk for m in rows} == {fail.pk, stuck.pk, overdue.pk}
    html = response.content.decode()
    assert "SMTP 554: Message rejected" in html
    assert "Stuck while sending" in html
    assert "Overdue" in html
    assert "a•••@example.com" in html
    assert "ann.smith@example.com" not in html  # masked
    assert "+1••••••0123" in html
    assert "no-store" in response["Cache-Control"]
    assert reminder.kind in html  # no kind registered under it here: its name is shown


def test_retry_is_a_post_that_queues_the_message_again(staff_client, smtp_server):
    (message,) = failed()
    get = staff_client.get(reverse("notify:delivery_retry", args=[message.pk]))
    assert get.status_code == 405  # S5: a GET changes nothing
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    response = staff_client.post(reverse("notify:delivery_retry", args=[message.pk]), follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert "Queued again" in response.content.decode()
    message.refresh_from_db()
    # Celery runs inline in tests, and on_commit fires in the client's request.
    assert message.status in (Message.Status.PENDING, Message.Status.SENT)


def test_retrying_something_that_no_longer_needs_it_says_so(staff_client):
    message = Message.objects.create(purpose="x", recipient="a@example.com", status="sent")
    response = staff_client.post(reverse("notify:delivery_retry", args=[message.pk]), follow=True)
    assert "no longer needs a retry" in response.content.decode()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_retrying_an_unknown_delivery_is_a_404(staff_client):
    assert staff_client.post(reverse("notify:delivery_retry", args=[999999])).status_code == 404


def test_retry_needs_the_csrf_token(staff_user):
    from tests.conftest import login_with_two_factor

    client = login_with_two_factor(Client(enforce_csrf_checks=True), staff_user)
    (message,) = failed()
    response = client.post(reverse("notify:delivery_retry", args=[message.pk]))
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED


@pytest.mark.parametrize("rows", [1, 20])
def test_the_page_runs_a_fixed_number_of_queries(staff_client, django_assert_num_queries, rows):
    failed(rows)
    staff_client.get(URL)  # warm the session and permission caches of this client
    # 1 session, 2 user, 3 the user's permissions (roles for the two-factor middleware, the
    # permission check and navigation), 4 the deliveries with their reminders (one join)
    with django_assert_num_queries(4):
        response = staff_client.get(URL)
    assert len(response.context["deliveries"]) == rows


@pytest.mark.parametrize(
    "value, masked",
    [
        ("ann.smith@example.com", "a•••@example.com"),
        ("+14155550123", "+1••••••0123"),
        ("123", "•••"),
    ],
)
def test_mask_recipient(value, masked):
    assert mask_recipient(value) == masked


def test_reminder_history_per_target_and_per_person(visit_kind):
    user = make_visitor(visit_in=dt.timedelta(days=2))
    reminders_schedule(target=user, version=1)
    user.last_name = "2"
    user.save()
    reminders_schedule(target=user, version=2)
    other = make_visitor()
    reminders_schedule(target=other, version=1)
    history = reminder_history(target=user)
    assert [(r.target_version, r.status) for r in history] == [(1, "cancelled"), (2, "pending")]
    assert history[0].kind_label == "Test visit, 1 h before"
    assert [r.pk for r in reminder_history_for_person(person=user)] == [r.pk for r in history]
    html = render_to_string("notify/_reminder_history.html", {"reminders": history})
    assert "Test visit, 1 h before" in html
    assert "Scheduled" in html
    assert "rescheduled" in html
    assert "version 2" in html


def test_the_admin_lists_the_schedule_without_addresses(admin_client_2fa, visit_kind):
    user = make_visitor()
    (row,) = reminders_schedule(target=user, version=1)
    Reminder.objects.filter(pk=row.pk).update(recipient=user.email)
    listing = admin_client_2fa.get("/admin/notify/reminder/")
    detail = admin_client_2fa.get(f"/admin/notify/reminder/{row.pk}/change/")
    assert listing.status_code == detail.status_code == 200
    assert "test.visit-1h" in listing.content.decode()
    assert user.email not in listing.content.decode() + detail.content.decode()


def test_the_deliveries_come_in_pages(staff_client, monkeypatch):
    """More than a page: Older / Newer, one query a page; nothing beyond the cap is hidden."""
    from clinic.notify import selectors

    monkeypatch.setattr(selectors, "DELIVERIES_PAGE_SIZE", 5)
    monkeypatch.setattr(
        selectors.deliveries_needing_attention, "__kwdefaults__", {"limit": 5, "page": 1}
    )
    failed(12)
    first = staff_client.get(URL)
    assert len(first.context["deliveries"]) == 5 and "?page=2" in first.content.decode()
    last = staff_client.get(URL, {"page": "3"})
    assert len(last.context["deliveries"]) == 2 and "?page=2" in last.content.decode()
