"""Writing the reminder schedule: rows per kind and channel, versions, cancel (R2, R3, R9)."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.notify.models import Message, Reminder
from clinic.notify.reminders import ReminderKind, register_kind, topics, unregister_kind
from clinic.notify.services import reminders_cancel, reminders_schedule
from tests.support.reminder_kinds import KIND

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def test_schedule_writes_one_row_per_chosen_channel(visitor_factory):
    user = visitor_factory(
        visit_in=dt.timedelta(days=2), channels={"email", "sms"}, phone="+14155550123"
    )
    rows = reminders_schedule(target=user, version=1)
    assert sorted(r.channel for r in rows) == ["email", "sms"]
    for row in rows:
        assert row.kind == KIND
        assert (row.target_label, row.target_id, row.target_version) == (
            "accounts.user",
            str(user.pk),
            1,
        )
        assert (row.person_label, row.person_id) == ("accounts.user", str(user.pk))
        assert row.status == Reminder.Status.PENDING
        assert row.scheduled_for == user.last_login - HOUR
        assert row.due_at == row.scheduled_for
        assert row.expires_at == user.last_login
        assert row.recipient == ""  # resolved at dispatch


def test_scheduling_twice_adds_nothing(visitor_factory):
    user = visitor_factory()
    reminders_schedule(target=user, version=1)
    reminders_schedule(target=user, version=1)
    assert Reminder.objects.count() == 1


def test_the_database_refuses_a_second_row_for_the_same_target_version_kind_channel(
    visitor_factory,
):
    user = visitor_factory()
    (row,) = reminders_schedule(target=user, version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            kind=row.kind,
            target_label=row.target_label,
            target_id=row.target_id,
            target_version=1,
            channel=row.channel,
            scheduled_for=row.scheduled_for,
            due_at=row.due_at,
        )


def test_a_reschedule_cancels_the_old_versions_pending_rows_and_adds_new_ones(visitor_factory):
    user = visitor_factory(visit_in=dt.timedelta(days=2))
    (old,) = reminders_schedule(target=user, version=1)
    user.last_login += dt.timedelta(days=1)
    user.last_name = "2"
    user.save()
    (new,) = reminders_schedule(target=user, version=2)
    old.refresh_from_db()
    assert old.status == Reminder.Status.CANCELLED
    assert old.reason == "rescheduled"
    assert new.status == Reminder.Status.PENDING
    assert new.target_version == 2
    assert new.scheduled_for == user.last_login - HOUR


def test_a_reschedule_keeps_the_old_versions_sent_rows_and_still_reminds_of_the_new_time(
    visitor_factory,
):
    user = visitor_factory(visit_in=dt.timedelta(days=2))
    (old,) = reminders_schedule(target=user, version=1)
    Reminder.objects.filter(pk=old.pk).update(status=Reminder.Status.SENT)
    user.last_name = "2"
    user.save()
    (new,) = reminders_schedule(target=user, version=2)
    old.refresh_from_db()
    assert old.status == Reminder.Status.SENT
    assert new.status == Reminder.Status.PENDING


def test_cancel_cancels_pending_rows_and_their_unsent_messages(visitor_factory):
    user = visitor_factory()
    (row,) = reminders_schedule(target=user, version=1)
    message = Message.objects.create(purpose="reminder", recipient=user.email)
    other = visitor_factory()
    (other_row,) = reminders_schedule(target=other, version=1)
    sent = Reminder.objects.create(
        kind="test.other",
        target_label=row.target_label,
        target_id=row.target_id,
        target_version=1,
        channel="email",
        scheduled_for=row.scheduled_for,
        due_at=row.due_at,
        status=Reminder.Status.SENT,
        message=message,
    )
    assert reminders_cancel(target=user) == 1
    row.refresh_from_db()
    message.refresh_from_db()
    sent.refresh_from_db()
    other_row.refresh_from_db()
    assert row.status == Reminder.Status.CANCELLED
    assert message.status == Message.Status.CANCELLED
    assert sent.status == Reminder.Status.SENT  # history: it was handed over
    assert other_row.status == Reminder.Status.PENDING


def test_cancel_before_a_version_leaves_that_version_alone(visitor_factory):
    user = visitor_factory()
    (v1,) = reminders_schedule(target=user, version=1)
    Reminder.objects.filter(pk=v1.pk).update(status=Reminder.Status.PENDING)
    v2 = Reminder.objects.create(
        kind=v1.kind,
        target_label=v1.target_label,
        target_id=v1.target_id,
        target_version=2,
        channel="email",
        scheduled_for=v1.scheduled_for,
        due_at=v1.due_at,
    )
    assert reminders_cancel(target=user, before_version=2) == 1
    v2.refresh_from_db()
    assert v2.status == Reminder.Status.PENDING


def test_a_failure_after_scheduling_rolls_the_reminders_back_with_the_booking(visit_kind):
    """R2: the target and its reminder rows are written in one transaction."""
    from tests.clinic.notify.conftest import make_visitor

    class BookingFailed(Exception):
        pass

    with pytest.raises(BookingFailed), transaction.atomic():
        user = make_visitor()
        reminders_schedule(target=user, version=1)
        assert Reminder.objects.count() == 1
        raise BookingFailed
    assert Reminder.objects.count() == 0
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    "zone, expected_due",
    [
        # 13:30 UTC is 06:30 in Los Angeles (quiet until 06:45) and 15:30 in Berlin (not quiet)
        ("America/Los_Angeles", dt.datetime(2030, 6, 4, 13, 45, tzinfo=dt.UTC)),
        ("Europe/Berlin", dt.datetime(2030, 6, 4, 13, 30, tzinfo=dt.UTC)),
    ],
)
def test_quiet_hours_are_kept_on_the_recipients_clock(visitor_factory, zone, expected_due):
    user = visitor_factory(
        visit_at=dt.datetime(2030, 6, 4, 14, 30, tzinfo=dt.UTC),
        time_zone=zone,
        quiet_start=dt.time(21),
        quiet_end=dt.time(6, 45),
    )
    (row,) = reminders_schedule(target=user, version=1)
    assert row.status == Reminder.Status.PENDING
    assert row.scheduled_for == dt.datetime(2030, 6, 4, 13, 30, tzinfo=dt.UTC)
    assert row.due_at == expected_due


def test_a_reminder_moved_past_its_event_by_quiet_hours_is_skipped(visitor_factory):
    import zoneinfo

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    user = visitor_factory(
        visit_at=dt.datetime(2030, 6, 4, 6, 30, tzinfo=berlin),
        time_zone="Europe/Berlin",
        quiet_start=dt.time(21),
        quiet_end=dt.time(7),
    )
    (row,) = reminders_schedule(target=user, version=1)
    assert row.status == Reminder.Status.SKIPPED
    assert "quiet hours" in row.reason


def test_a_reminder_inside_quiet_hours_before_its_event_is_moved_not_skipped(visitor_factory):
    import zoneinfo

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    user = visitor_factory(
        visit_at=dt.datetime(2030, 6, 4, 7, 45, tzinfo=berlin),  # reminder 06:45
        time_zone="Europe/Berlin",
        quiet_start=dt.time(21),
        quiet_end=dt.time(7),
    )
    (row,) = reminders_schedule(target=user, version=1)
    assert row.status == Reminder.Status.PENDING
    assert row.scheduled_for == dt.datetime(2030, 6, 4, 6, 45, tzinfo=berlin)
    assert row.due_at == dt.datetime(2030, 6, 4, 7, 0, tzinfo=berlin)


def test_booking_on_a_dst_day_the_reminder_fires_at_the_right_utc_instant(visit_kind):
    """R9: booked on the day clocks spring forward, for 09:00 that morning (PDT): the 1 h
    reminder is due at 08:00 PDT = 15:00 UTC, not 16:00 UTC."""
    import zoneinfo

    from tests.clinic.notify.conftest import make_visitor

    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    with time_machine.travel(dt.datetime(2026, 3, 8, 0, 30, tzinfo=la), tick=False):
        user = make_visitor(visit_at=dt.datetime(2026, 3, 8, 9, 0, tzinfo=la))
        (row,) = reminders_schedule(target=user, version=1)
    assert row.status == Reminder.Status.PENDING
    assert row.due_at == dt.datetime(2026, 3, 8, 15, 0, tzinfo=dt.UTC)


def test_a_reminder_whose_time_passed_before_booking_is_skipped(visitor_factory):
    user = visitor_factory(visit_in=dt.timedelta(minutes=30))  # reminder was 30 min ago
    (row,) = reminders_schedule(target=user, version=1)
    assert row.status == Reminder.Status.SKIPPED
    assert "already passed" in row.reason


def test_a_reminder_due_a_moment_ago_is_still_sent(visitor_factory):
    user = visitor_factory(visit_in=dt.timedelta(minutes=59))
    (row,) = reminders_schedule(target=user, version=1)
    assert row.status == Reminder.Status.PENDING
    assert row.due_at <= timezone.now()


def test_kinds_that_give_no_time_or_no_audience_write_no_rows(visitor_factory):
    user = visitor_factory()
    register_kind(
        ReminderKind(
            name="test.never",
            target="accounts.user",
            when=lambda u: None,
            is_valid=lambda u, v: True,
            audience=lambda u: None,
            render=lambda u, ctx: None,
        )
    )
    try:
        rows = reminders_schedule(target=user, version=1)
    finally:
        unregister_kind("test.never")
    assert [r.kind for r in rows] == [KIND]


def test_registering_a_different_kind_under_a_taken_name_is_refused(visit_kind):
    from dataclasses import replace

    with pytest.raises(ValueError, match="already registered"):
        register_kind(replace(visit_kind.TEST_VISIT_KIND, topic="other"))
    with pytest.raises(ValueError, match="lower-case model label"):
        register_kind(replace(visit_kind.TEST_VISIT_KIND, name="x", target="Accounts.User"))


def test_topics_list_each_opt_out_once_for_a_preferences_page(visit_kind):
    assert ("test-visits", "Test visits") in topics()
