"""The outbox: queue a message inside the caller's transaction, send it exactly once.

Delivery guarantees (QUALITY.md R2–R8):
- ``message_queue`` writes the row in the caller's transaction and enqueues the send task only
  after commit; if the broker is down the failure is logged and the periodic sweep sends it.
- ``message_send`` claims the row with a conditional UPDATE, so a duplicated or retried task
  sends nothing twice; only a message in flight when a worker dies can go out again, with the
  same Message-ID.
"""

import logging
import smtplib
import socket
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Message, MessageAttempt
from .registry import Rendered, TargetGone, get_renderer

logger = logging.getLogger(__name__)

# SMTP replies in the 4xx range and lost connections are worth another try; 5xx are not.
TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
    socket.timeout,
    OSError,
)


class PermanentSendError(Exception):
    """The message can never be delivered as it is (bad address, refused content)."""


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent", "retry", "failed", "cancelled", "not_claimed"
    retry_in: float | None = None


def message_queue(
    *,
    purpose: str,
    recipient: str,
    idempotency_key: str | None = None,
    channel: str = Message.Channel.EMAIL,
    subject: str = "",
    body_text: str = "",
    body_html: str = "",
    attachments: list[dict] | None = None,
    renderer: str = "",
    render_params: dict | None = None,
) -> Message:
    """Write one outgoing message in the current transaction and send it after commit.

    With an ``idempotency_key`` the same (purpose, key) is queued once: a second call returns
    the first row. Give either rendered content or a registered ``renderer``."""
    fields = dict(
        channel=channel,
        recipient=recipient,
        subject=subject[:255],
        body_text=body_text,
        body_html=body_html,
        attachments=attachments or [],
        renderer=renderer,
        render_params=render_params or {},
    )
    if idempotency_key is not None:
        try:
            with transaction.atomic():
                message, created = Message.objects.get_or_create(
                    purpose=purpose, idempotency_key=idempotency_key, defaults=fields
                )
        except IntegrityError:  # a concurrent twin won the race: same message
            message = Message.objects.get(purpose=purpose, idempotency_key=idempotency_key)
            created = False
    else:
        message = Message.objects.create(purpose=purpose, **fields)
        created = True
    if created:
        transaction.on_commit(lambda: message_enqueue(message_id=message.pk))
    return message


def message_enqueue(*, message_id: int, countdown: float | None = None) -> bool:
    """Hand a message to the worker. Never raises: a broker outage leaves it to the sweep."""
    from .tasks import send_message

    try:
        send_message.apply_async(args=[message_id], countdown=countdown)
    except Exception:  # any broker/transport failure; the row stays pending (R8)
        logger.warning("outbox: could not enqueue message %s; the sweep will", message_id)
        return False
    return True


def _record(message: Message, outcome: str, error: str = "") -> None:
    MessageAttempt.objects.create(
        message=message, number=message.attempts, outcome=outcome, error=error[:2000]
    )


def _backoff(attempt: int) -> float:
    base = settings.NOTIFY_RETRY_BACKOFF_SECONDS
    return min(base * (2 ** max(attempt - 1, 0)), settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS)


def message_claim(*, message_id: int) -> Message | None:
    """Atomically move a due pending message to "sending"; None if someone else has it."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, status=Message.Status.PENDING, next_attempt_at__lte=now
    ).update(
        status=Message.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if claimed != 1:
        return None
    return Message.objects.get(pk=message_id)


def _content(message: Message) -> Rendered:
    if message.renderer:
        return get_renderer(message.renderer)(message.render_params, message.recipient)
    return Rendered(
        subject=message.subject,
        text=message.body_text,
        html=message.body_html,
        attachments=message.attachments,
    )


def _deliver_email(message: Message, content: Rendered) -> None:
    email = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": message.message_id},
    )
    if content.html:
        email.attach_alternative(content.html, "text/html")
    for item in content.attachments:
        email.attach(item["filename"], item["content"], item.get("mimetype"))
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        email.connection = connection
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentSendError(f"recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise ConnectionError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise PermanentSendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc


CHANNELS = {Message.Channel.EMAIL: _deliver_email}


def message_send(*, message_id: int) -> SendResult:
    """Claim and send one message, recording the attempt. Safe to call any number of times."""
    message = message_claim(message_id=message_id)
    if message is None:
        return SendResult("not_claimed")
    now = timezone.now()
    try:
        content = _content(message)
        deliver = CHANNELS.get(message.channel)
        if deliver is None:
            raise PermanentSendError(f"no delivery configured for channel {message.channel!r}")
        deliver(message, content)
    except TargetGone as exc:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.CANCELLED, last_error=str(exc), updated_at=now
        )
        _record(message, MessageAttempt.Outcome.PERMANENT, f"not sent: {exc}")
        return SendResult("cancelled")
    except PermanentSendError as exc:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.FAILED, last_error=str(exc), updated_at=now
        )
        _record(message, MessageAttempt.Outcome.PERMANENT, str(exc))
        logger.error("outbox: message %s failed permanently: %s", message.pk, exc)
        return SendResult("failed")
    except TRANSIENT_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"
        if message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            Message.objects.filter(pk=message.pk).update(
                status=Message.Status.FAILED, last_error=error, updated_at=now
            )
            _record(message, MessageAttempt.Outcome.PERMANENT, f"gave up: {error}")
            return SendResult("failed")
        delay = _backoff(message.attempts)
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.PENDING,
            last_error=error,
            next_attempt_at=now + timedelta(seconds=delay),
            updated_at=now,
        )
        _record(message, MessageAttempt.Outcome.TRANSIENT, error)
        return SendResult("retry", retry_in=delay)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT, sent_at=timezone.now(), last_error="", updated_at=now
    )
    _record(message, MessageAttempt.Outcome.SENT)
    return SendResult("sent")


def outbox_sweep(*, batch: int = 500) -> dict:
    """Re-dispatch what the broker lost: rows stuck in "sending" past the limit (their worker
    died) go back to pending; due pending rows not touched for a while are enqueued again."""
    now = timezone.now()
    stuck = Message.objects.filter(
        status=Message.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.NOTIFY_STUCK_AFTER_SECONDS),
    ).update(status=Message.Status.PENDING, next_attempt_at=now, updated_at=now)
    due_ids = list(
        Message.objects.filter(
            status=Message.Status.PENDING,
            next_attempt_at__lte=now,
            updated_at__lte=now - timedelta(seconds=20),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    enqueued = sum(message_enqueue(message_id=pk) for pk in due_ids)
    return {"stuck_reset": stuck, "due": len(due_ids), "enqueued": enqueued}


def message_retry(*, message_id: int) -> bool:
    """Staff asked to try a failed message again."""
    now = timezone.now()
    updated = Message.objects.filter(pk=message_id, status=Message.Status.FAILED).update(
        status=Message.Status.PENDING, next_attempt_at=now, attempts=0, updated_at=now
    )
    if updated:
        transaction.on_commit(lambda: message_enqueue(message_id=message_id))
    return bool(updated)
