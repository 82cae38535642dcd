"""Thin tasks: take ids, call a service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_message(message_id: int) -> str:
    result = services.message_send(message_id=message_id)
    if result.retry_in is not None:
        # Quick backoff in the worker; if this retry is lost, the sweep sends it when due.
        services.message_enqueue(message_id=message_id, countdown=result.retry_in)
    return result.outcome


@shared_task(ignore_result=True)
def outbox_sweep() -> dict:
    return services.outbox_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def reminders_dispatch() -> dict:
    # Re-delivered or run twice at once: harmless, the rows are claimed with SKIP LOCKED and
    # each reminder's message has an idempotency key.
    return services.reminders_dispatch()
