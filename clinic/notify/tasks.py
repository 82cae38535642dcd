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


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_messages(message_ids: list[int]) -> dict:
    """A batch of messages over one email connection (what the reminder dispatcher queues)."""
    counts: dict[str, int] = {}
    for message_id, result in services.messages_send(message_ids=message_ids).items():
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        if result.retry_in is not None:
            services.message_enqueue(message_id=message_id, countdown=result.retry_in)
    return counts


@shared_task(ignore_result=True)
def outbox_sweep() -> dict:
    return services.outbox_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def reminders_dispatch() -> dict:
    # Re-delivered or run twice at once: harmless, the rows are claimed with SKIP LOCKED and
    # each reminder's message has an idempotency key.
    return services.reminders_dispatch()
