"""The reminder benchmark end to end at a tiny size (a real worker on a private Redis, a real
SMTP server), so its code cannot rot; and its report section and regression check."""

import pytest
from django.db import connection

from bench import reminders, report
from clinic.accounts.models import User
from clinic.notify.models import Message, Reminder
from tests.clinic.notify.integration.conftest import celery_publishing_to
from tests.support.servers import PrivateRedis, database_url


def _result(**extra):
    result = {
        "reminders": 30,
        "kind": reminders.KIND,
        "concurrency": 2,
        "seconds": 1.5,
        "per_second": 20.0,
        "first_arrival_seconds": 0.2,
        "steady_per_second": 25.0,
        "send_mail_per_second": 40.0,
        "ratio": 0.5,
        "goal_ratio": 0.8,
        "meets_goal": False,
        "received": 30,
        "unique_message_ids": 30,
        "unique_recipients": 30,
        "duplicates": 0,
        "lost": 0,
        "unexpected": 0,
        "exactly_once": True,
        "dispatch": {"runs": 1, "last_batch_after_seconds": 0.1, "reminder_statuses": {}},
        "outbox": {"statuses": {"sent": 30}, "retried": 0},
        "worker_rss": {"start_mb": 100.0, "peak_mb": 101.0, "end_mb": 101.0, "meets_goal": True},
        "worker_rss_mb": 101.0,
        "worker_cpu_ms_per_reminder": 2.0,
        "send_mail": {"messages": 30, "seconds": 0.75, "cpu_ms_per_message": 0.7},
        "single_connection": {"messages": 30, "seconds": 0.5, "per_second": 60.0},
        "setup": "tiny",
    }
    result.update(extra)
    return result


def test_the_reminder_ratio_25_percent_worse_or_a_duplicate_is_a_regression():
    old = {"reminders": _result(ratio=0.8)}
    assert report.compare_reminders(old, {"reminders": _result(ratio=0.7)}) == []
    (line,) = report.compare_reminders(old, {"reminders": _result(ratio=0.6)})
    assert "0.8 -> 0.6" in line
    lost = _result(ratio=0.8, exactly_once=False)
    assert report.compare_reminders(old, {"reminders": lost}) == [
        "reminders: exactly-once delivery lost"
    ]
    assert report.compare_reminders(None, {"reminders": lost}) == []


def test_the_reminder_section_renders():
    text = "\n".join(report._reminders_markdown(_result()))
    assert "## Reminders" in text
    assert "| ratio (goal ≥ 80%) | 0.5 (**missed**) |" in text
    assert "100.0 / 101.0 / 101.0 MB" in text


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_reminder_bench_runs_end_to_end_at_a_tiny_size():
    if connection.vendor != "postgresql":
        pytest.skip("the reminder benchmark runs on PostgreSQL (set DATABASE_URL=postgres://…)")
    redis = PrivateRedis().start()
    try:
        with celery_publishing_to(redis.url()):
            result = reminders.run(
                count=30,
                database_url=database_url(connection.settings_dict),
                broker_url=redis.url(),
                concurrency=2,
                log=lambda *args: None,
            )
    finally:
        redis.stop()
    assert result["received"] == 30
    assert result["exactly_once"], result
    assert (result["duplicates"], result["lost"], result["unexpected"]) == (0, 0, 0)
    assert result["unique_recipients"] == 30
    assert result["outbox"]["statuses"] == {"sent": 30}
    assert result["per_second"] > 0 and result["send_mail_per_second"] > 0
    assert result["ratio"] == pytest.approx(
        result["per_second"] / result["send_mail_per_second"], rel=0.01
    )
    assert result["send_mail"]["received"] == result["single_connection"]["received"] == 30
    assert result["worker_rss"]["processes"] >= 3  # the parent and its 2 pool processes
    assert 0 < result["worker_rss"]["start_mb"] <= result["worker_rss"]["peak_mb"]
    # The rows it seeded are gone again.
    assert not User.objects.filter(email__endswith="@" + reminders.DOMAIN).exists()
    assert not Reminder.objects.exists()
    assert not Message.objects.exists()
    assert "## Reminders" in "\n".join(report._reminders_markdown(result))
