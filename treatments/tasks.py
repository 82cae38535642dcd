"""Periodic work for treatment plans (thin: the service does the work)."""

from celery import shared_task

from .services import plans_extend_horizon


@shared_task(name="treatments.tasks.extend_session_horizons")
def extend_session_horizons() -> int:
    """Daily: keep every active plan's maintenance sessions generated 8 weeks ahead.
    Idempotent: a second run on the same day finds nothing to do."""
    return plans_extend_horizon()
