"""Background work of the patients app (thin: each task calls a service)."""

from celery import shared_task


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1500)
def retention_purge() -> dict:
    """Daily: purge the records whose retention has ended, on the purge database role."""
    from .services.closure import retention_purge_run

    return retention_purge_run()
