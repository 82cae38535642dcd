"""Periodic work for treatment plans (thin: the service does the work)."""

from celery import shared_task

from .services import plans_extend_horizon


@shared_task(name="treatments.tasks.extend_session_horizons")
def extend_session_horizons() -> int:
    """Daily: keep every active plan's maintenance sessions generated 8 weeks ahead.
    Idempotent: a second run on the same day finds nothing to do."""
    return plans_extend_horizon()


@shared_task(name="treatments.tasks.refresh_progress")
def refresh_progress() -> int:
    """Daily: recount every patient's progress snapshot and the flags that depend on the date
    (adherence over the last two weeks, no log for 10 days). Idempotent."""
    from .services.tracking import progress_refresh_all

    return progress_refresh_all()


@shared_task(name="treatments.tasks.schedule_nudges")
def schedule_nudges() -> int:
    """Hourly: write the "not logged yet?" reminder rows of home sessions from yesterday to
    two days ahead (idempotent; notify's dispatcher sends them when due)."""
    from .nudge import nudges_schedule

    return nudges_schedule()
