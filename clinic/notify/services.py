"""The outbox and the reminder schedule: queue in the caller's transaction, send exactly once.

Delivery guarantees (QUALITY.md R2–R9):
- ``message_queue`` writes the row in the caller's transaction and enqueues the send task only
  after commit; if the broker is down the failure is logged and the periodic sweep sends it.
- ``message_send`` claims the row with a conditional UPDATE, so a duplicated or retried task
  sends nothing twice; only a message in flight when a worker dies can go out again, with the
  same Message-ID (its outbox row's uuid).
- Reminders are rows with a ``due_at`` (no eta/countdown): ``reminders_schedule`` writes them
  in the caller's transaction, ONE dispatcher (``reminders_dispatch``, a beat task every
  minute) claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and hands each to the outbox
  under an idempotency key of its own, in the same short transaction.
- The message body of a reminder is rendered by the worker when it sends (renderer
  ``notify.reminder``): the "manage reminders" token is never stored (S14), and a target that
  moved after dispatch is still never sent.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from billiard.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    transaction,
)
from django.db import connection as db_connection
from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation

from . import reminders as kinds
from . import sms
from .models import Message, MessageAttempt, Reminder
from .registry import Rendered, TargetGone, get_renderer
from .tokens import manage_reminders_url

logger = logging.getLogger(__name__)

# Lost connections, timeouts and SMTP 4xx replies (mapped to ConnectionError below) are worth
# another try; SMTP 5xx and refused recipients are not.
TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
    socket.timeout,
    OSError,
    SoftTimeLimitExceeded,
)

REMINDER_PURPOSE = "reminder"
CLAIM_EARLY_TOLERANCE = timedelta(seconds=1)
REMINDER_RENDERER = "notify.reminder"


class PermanentSendError(Exception):
    """The message can never be delivered as it is (bad address, refused content)."""


class TransientReply(ConnectionError):
    """The SMTP server answered 4xx for this message: try it again later; the connection itself
    is fine (the next message of a batch goes on it)."""


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent", "retry", "failed", "cancelled", "not_claimed"
    retry_in: float | None = None
    # A transient failure of the connection itself (not a 4xx reply to this message): a batch
    # stops there and hands its other messages back to the queue one by one.
    connection_lost: bool = False


# === The outbox ============================================================================
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
    new_key: bool = False,
) -> Message:
    """Write one outgoing message in the current transaction and send it after commit.

    With an ``idempotency_key`` the same (purpose, key) is queued once: a second call returns
    the first row. ``new_key`` tells that the key names something created in this very
    transaction (a new appointment's id), so no row can hold it yet: one plain INSERT instead
    of a look-up in a savepoint (the unique constraint still stands guard). Give either
    rendered content or a registered ``renderer``."""
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
    if idempotency_key is not None and new_key:
        message = Message.objects.create(purpose=purpose, idempotency_key=idempotency_key, **fields)
        created = True
    elif idempotency_key is not None:
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


def messages_enqueue(*, message_ids: list[int]) -> int:
    """Hand messages to the workers in batches of ``NOTIFY_SEND_BATCH`` (one task, one SMTP
    connection per batch). Never raises: what the broker did not take is left to the sweep.
    Returns how many messages were handed over."""
    from .tasks import send_messages

    size = max(1, settings.NOTIFY_SEND_BATCH)
    handed = 0
    for start in range(0, len(message_ids), size):
        chunk = list(message_ids[start : start + size])
        try:
            send_messages.apply_async(args=[chunk])
        except Exception:  # any broker/transport failure; the rows stay pending (R8)
            logger.warning("outbox: could not enqueue %s messages; the sweep will", len(chunk))
            continue
        handed += len(chunk)
    return handed


def _record(message_id: int, number: int, outcome: str, error: str = "") -> None:
    MessageAttempt.objects.create(
        message_id=message_id, number=number, outcome=outcome, error=error[:2000]
    )


def _backoff(attempt: int) -> float:
    base = settings.NOTIFY_RETRY_BACKOFF_SECONDS
    return min(base * (2 ** max(attempt - 1, 0)), settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS)


def message_claim(*, message_id: int, sent_before: Message | None = None) -> Message | None:
    """Atomically move a due pending message to "sending"; None if someone else has it.

    A retry task may run a moment before its row is due (the broker's countdown and the
    database clock round differently): it still claims within ``CLAIM_EARLY_TOLERANCE``
    rather than leaving the message to the next sweep.

    ``sent_before``: the message a batch sent just before this one, marked sent (and its
    attempt recorded) in the same statement — one commit per message instead of two."""
    now = timezone.now()
    if db_connection.vendor == "postgresql":
        # The same conditional UPDATE, returning the claimed row: one round trip, not two.
        claim = [
            Message.Status.SENDING,
            now,
            now,
            message_id,
            Message.Status.PENDING,
            now + CLAIM_EARLY_TOLERANCE,
        ]
        if sent_before is None:
            rows = Message.objects.raw(_sql(_CLAIM_SQL), claim)
        else:
            rows = Message.objects.raw(
                _sql(_SENT_THEN_CLAIM_SQL), _sent_params(sent_before, now) + claim
            )
        claimed_rows = list(rows)
        return claimed_rows[0] if claimed_rows else None
    if sent_before is not None:
        _mark_sent(sent_before)
    claimed = Message.objects.filter(
        pk=message_id,
        status=Message.Status.PENDING,
        next_attempt_at__lte=now + CLAIM_EARLY_TOLERANCE,
    ).update(
        status=Message.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if claimed != 1:
        return None
    return Message.objects.get(pk=message_id)


def message_content(message: Message, preloaded: dict | None = None) -> Rendered:
    """The message's subject and bodies: stored, or rendered now by its renderer.
    ``preloaded`` (from ``_preload_reminders``) saves a batch the per-message queries of
    reminder messages."""
    if message.renderer == REMINDER_RENDERER and preloaded is not None:
        reminder_id = message.render_params.get("reminder")
        if reminder_id in preloaded["reminders"]:
            reminder = preloaded["reminders"][reminder_id]
            return _render_reminder(reminder, preloaded["targets"].get(reminder_id))
    if message.renderer:
        return get_renderer(message.renderer)(message.render_params, message.recipient)
    return Rendered(
        subject=message.subject,
        text=message.body_text,
        html=message.body_html,
        attachments=message.attachments,
    )


def message_build_email(message: Message, content: Rendered) -> EmailMultiAlternatives:
    """The email exactly as it goes out, with the stable Message-ID of its outbox row (R4)."""
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
    return email


def _deliver_email(message: Message, content: Rendered, connection=None) -> None:
    email = message_build_email(message, content)
    email.connection = connection or get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        if connection is not None:
            connection.open()  # a batch's connection: opened once, kept open (no-op then)
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        # The address is on the row already; the error text is shown to staff without it.
        raise PermanentSendError(f"recipient refused by the mail server (SMTP {codes})") from exc
    except smtplib.SMTPResponseException as exc:
        reply = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        if 400 <= exc.smtp_code < 500:
            raise TransientReply(f"SMTP {exc.smtp_code}: {reply}") from exc
        raise PermanentSendError(f"SMTP {exc.smtp_code}: {reply}") from exc


def _deliver_sms(message: Message, content: Rendered, connection=None) -> None:
    try:
        to = sms.phone_normalize(message.recipient)
    except sms.InvalidPhoneNumber as exc:
        raise PermanentSendError(f"phone number not valid: {exc}") from exc
    try:
        sms.get_sms_backend().send(to, content.text, reference=str(message.uuid))
    except sms.SMSPermanentError as exc:
        raise PermanentSendError(str(exc)) from exc


CHANNELS = {Message.Channel.EMAIL: _deliver_email, Message.Channel.SMS: _deliver_sms}


def _finish(message: Message, *, status: str, error: str, outcome: str, note: str = "") -> None:
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(status=status, last_error=error, updated_at=now)
    _record(message.pk, message.attempts, outcome, note or error)
    reminder_status = {
        Message.Status.FAILED: Reminder.Status.FAILED,
        Message.Status.CANCELLED: Reminder.Status.CANCELLED,
    }.get(status)
    if reminder_status:
        Reminder.objects.filter(message_id=message.pk).update(
            status=reminder_status, reason=error[:255], updated_at=now
        )


def message_send(*, message_id: int, connection=None, preloaded: dict | None = None) -> SendResult:
    """Claim and send one message, recording the attempt. Safe to call any number of times.

    ``connection``: an email connection a batch keeps open across its messages; ``preloaded``:
    the batch's reminders and their targets (``_preload_reminders``)."""
    message = message_claim(message_id=message_id)
    if message is None:
        return SendResult("not_claimed")
    return _send_claimed(message, connection=connection, preloaded=preloaded)


def _send_claimed(
    message: Message, *, connection=None, preloaded: dict | None = None, mark_sent: bool = True
) -> SendResult:
    """Send a claimed message and record the outcome. With ``mark_sent=False`` a success is
    left for the caller to mark (a batch does it with the next claim)."""
    try:
        content = message_content(message, preloaded)
        deliver = CHANNELS.get(message.channel)
        if deliver is None:
            raise PermanentSendError(f"no delivery configured for channel {message.channel!r}")
        deliver(message, content, connection)
    except TargetGone as exc:
        _finish(
            message,
            status=Message.Status.CANCELLED,
            error=str(exc),
            outcome=MessageAttempt.Outcome.PERMANENT,
            note=f"not sent: {exc}",
        )
        return SendResult("cancelled")
    except PermanentSendError as exc:
        _finish(
            message,
            status=Message.Status.FAILED,
            error=str(exc),
            outcome=MessageAttempt.Outcome.PERMANENT,
        )
        logger.error("outbox: message %s failed permanently: %s", message.pk, exc)
        return SendResult("failed")
    except (OperationalError, InterfaceError):
        # The database went away mid-send: the row stays "sending" and the sweep resets it.
        raise
    except TRANSIENT_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"
        if message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            _finish(
                message,
                status=Message.Status.FAILED,
                error=error,
                outcome=MessageAttempt.Outcome.PERMANENT,
                note=f"gave up after {message.attempts} attempts: {error}",
            )
            logger.error("outbox: message %s gave up: %s", message.pk, error)
            return SendResult("failed")
        delay = _backoff(message.attempts)
        now = timezone.now()
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.PENDING,
            last_error=error,
            next_attempt_at=now + timedelta(seconds=delay),
            updated_at=now,
        )
        _record(message.pk, message.attempts, MessageAttempt.Outcome.TRANSIENT, error)
        logger.warning("outbox: message %s attempt %s: %s", message.pk, message.attempts, error)
        return SendResult(
            "retry", retry_in=delay, connection_lost=not isinstance(exc, TransientReply)
        )
    except Exception as exc:  # a bug (in a renderer, say): retrying would not help; staff see it
        logger.exception("outbox: message %s could not be sent", message.pk)
        _finish(
            message,
            status=Message.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            outcome=MessageAttempt.Outcome.PERMANENT,
        )
        return SendResult("failed")
    if mark_sent:
        _mark_sent(message)
    return SendResult("sent")


def _mark_sent(message: Message) -> None:
    """The message is sent and its attempt recorded (on PostgreSQL in one statement, so a
    batch pays one round trip per message for it)."""
    now = timezone.now()
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute(_sql(_SENT_SQL), _sent_params(message, now))
        return
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT, sent_at=now, last_error="", updated_at=now
    )
    _record(message.pk, message.attempts, MessageAttempt.Outcome.SENT)


def _sent_params(message: Message, now: datetime) -> list:
    return [
        Message.Status.SENT,
        now,
        now,
        message.pk,
        message.attempts,
        now,
        MessageAttempt.Outcome.SENT,
    ]


@functools.cache
def _sql(template: str) -> str:
    message = Message._meta
    qn = db_connection.ops.quote_name
    return template.format(
        message=qn(message.db_table),
        attempt=qn(MessageAttempt._meta.db_table),
        columns=", ".join(qn(f.column) for f in message.concrete_fields),
    )


# Claim (see message_claim): the row comes back with the claim, read by Message.objects.raw.
_CLAIM_SQL = (
    "UPDATE {message} SET status = %s, claimed_at = %s, attempts = attempts + 1, "
    "updated_at = %s WHERE id = %s AND status = %s AND next_attempt_at <= %s "
    "RETURNING {columns}"
)
# Sent: the row's status and its attempt log, in one statement.
_SENT_CTE = (
    "WITH sent AS (UPDATE {message} SET status = %s, sent_at = %s, last_error = '', "
    "updated_at = %s WHERE id = %s RETURNING id), "
    "logged AS (INSERT INTO {attempt} (message_id, number, at, outcome, error) "
    "SELECT id, %s, %s, %s, '' FROM sent) "
)
_SENT_SQL = _SENT_CTE + "SELECT 1"
# A batch: the previous message marked sent and the next one claimed, in one statement.
_SENT_THEN_CLAIM_SQL = _SENT_CTE + _CLAIM_SQL


def messages_send(*, message_ids: list[int]) -> dict[int, SendResult]:
    """Send a batch of messages over ONE email connection, each exactly as ``message_send``
    sends it: claimed on its own just before it goes (so a worker that dies leaves at most the
    one message in flight "sending", as with one task per message), marked sent and its
    attempt recorded right after the server accepted it — in the same statement as the claim
    of the next message (one commit per message). The reminders of the batch and their
    targets are read up front in a few queries instead of a few per message.

    A connection-level failure (timeout, refused, dropped) ends the batch: that message is
    retried as usual, the rest go back to the queue one by one. The batch also stops after
    half the task's soft time limit and re-queues the rest."""
    started = time.monotonic()
    budget = settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    preloaded = _preload_reminders(message_ids)
    results: dict[int, SendResult] = {}
    rest: list[int] = []
    mail_connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    unmarked: Message | None = None  # sent; marked with the next claim (or at the end)
    try:
        for index, message_id in enumerate(message_ids):
            if time.monotonic() - started > budget:
                rest = list(message_ids[index:])
                break
            message = message_claim(message_id=message_id, sent_before=unmarked)
            unmarked = None
            if message is None:
                results[message_id] = SendResult("not_claimed")
                continue
            result = _send_claimed(
                message, connection=mail_connection, preloaded=preloaded, mark_sent=False
            )
            results[message_id] = result
            if result.outcome == "sent":
                unmarked = message
            if result.connection_lost:
                rest = list(message_ids[index + 1 :])
                break
    finally:
        if unmarked is not None:
            _mark_sent(unmarked)
        try:
            mail_connection.close()
        except Exception:  # a dead connection: nothing to close
            logger.debug("outbox: closing the batch's email connection failed", exc_info=True)
    for message_id in rest:
        message_enqueue(message_id=message_id)
    return results


def _preload_reminders(message_ids: list[int]) -> dict:
    """The reminders behind the reminder messages among ``message_ids``, and their targets
    (one query per target model, with the kind's ``related`` rows)."""
    params = Message.objects.filter(pk__in=message_ids, renderer=REMINDER_RENDERER).values_list(
        "render_params", flat=True
    )
    reminder_ids = [p.get("reminder") for p in params if isinstance(p, dict) and p.get("reminder")]
    reminders = Reminder.objects.in_bulk(reminder_ids) if reminder_ids else {}
    return {"reminders": reminders, "targets": _load_targets(list(reminders.values()))}


def _stuck_cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.NOTIFY_STUCK_AFTER_SECONDS)


def outbox_sweep(*, batch: int = 500) -> dict:
    """Re-dispatch what the broker lost (R4, R8).

    Rows stuck in "sending" past ``NOTIFY_STUCK_AFTER_SECONDS`` (their worker died) go back to
    pending and are enqueued at once (or fail, once they used up their attempts); due pending
    rows not touched for ``NOTIFY_SWEEP_PENDING_AFTER_SECONDS`` (their task was lost, or the
    broker was down at enqueue) are enqueued again. A duplicate task is harmless: the claim."""
    now = timezone.now()
    stuck = list(
        Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=_stuck_cutoff(now))
        .order_by("claimed_at")
        .values_list("pk", "attempts")[:batch]
    )
    reset: list[int] = []
    gave_up = 0
    for pk, attempts in stuck:
        error = "worker lost while sending (stuck in sending)"
        with transaction.atomic():
            if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                changed = Message.objects.filter(pk=pk, status=Message.Status.SENDING).update(
                    status=Message.Status.FAILED, last_error=error, updated_at=now
                )
                if changed:
                    gave_up += 1
                    _record(pk, attempts, MessageAttempt.Outcome.PERMANENT, f"gave up: {error}")
                    Reminder.objects.filter(message_id=pk).update(
                        status=Reminder.Status.FAILED, reason=error, updated_at=now
                    )
                continue
            changed = Message.objects.filter(pk=pk, status=Message.Status.SENDING).update(
                status=Message.Status.PENDING, next_attempt_at=now, last_error=error, updated_at=now
            )
            if changed:
                reset.append(pk)
                _record(pk, attempts, MessageAttempt.Outcome.TRANSIENT, error)
    quiet_since = now - timedelta(seconds=settings.NOTIFY_SWEEP_PENDING_AFTER_SECONDS)
    due_ids = list(
        Message.objects.filter(
            status=Message.Status.PENDING, next_attempt_at__lte=now, updated_at__lte=quiet_since
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    enqueued = sum(message_enqueue(message_id=pk) for pk in [*reset, *due_ids])
    return {
        "stuck_reset": len(reset),
        "gave_up": gave_up,
        "due": len(due_ids),
        "enqueued": enqueued,
    }


def deliveries_needing_attention_q(now: datetime | None = None) -> Q:
    """Messages staff should look at: failed, or stuck (sending too long, or overdue)."""
    now = now or timezone.now()
    overdue = now - timedelta(seconds=settings.NOTIFY_OVERDUE_AFTER_SECONDS)
    return (
        Q(status=Message.Status.FAILED)
        | Q(status=Message.Status.SENDING, claimed_at__lt=_stuck_cutoff(now))
        | Q(status=Message.Status.PENDING, next_attempt_at__lt=overdue)
    )


class NothingToRetry(Exception):
    pass


@transaction.atomic
def message_retry(*, message_id: int) -> bool:
    """Staff asked to try a failed or stuck message again: a fresh set of attempts, now."""
    now = timezone.now()
    updated = (
        Message.objects.filter(pk=message_id)
        .filter(deliveries_needing_attention_q(now))
        .update(status=Message.Status.PENDING, next_attempt_at=now, attempts=0, updated_at=now)
    )
    if updated:
        Reminder.objects.filter(message_id=message_id, status=Reminder.Status.FAILED).update(
            status=Reminder.Status.SENT, reason="", updated_at=now
        )
        _refresh_reminder_recipient(message_id=message_id)
        transaction.on_commit(lambda: message_enqueue(message_id=message_id))
    return bool(updated)


def _refresh_reminder_recipient(*, message_id: int) -> None:
    """A reminder's address is resolved again on a staff retry: the usual fix for a refused
    address is to correct it in the patient's profile, then retry."""
    reminder = Reminder.objects.filter(message_id=message_id).first()
    if reminder is None:
        return
    try:
        kind = kinds.get_kind(reminder.kind)
    except kinds.UnknownKind:
        return
    target = _load_target(reminder)
    audience = kind.audience(target) if target is not None else None
    address = audience.address(reminder.channel) if audience is not None else ""
    if reminder.channel == Message.Channel.SMS:
        try:
            address = sms.phone_normalize(address)
        except sms.InvalidPhoneNumber:
            return
    if address and address != reminder.recipient:
        Message.objects.filter(pk=message_id).update(recipient=address)
        Reminder.objects.filter(pk=reminder.pk).update(recipient=address)


# === The reminder schedule =================================================================
def _ref(obj) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def _late_grace() -> timedelta:
    return timedelta(seconds=settings.NOTIFY_REMINDER_LATE_GRACE_SECONDS)


def _plan_row(
    *,
    kind: kinds.ReminderKind,
    audience: kinds.Audience,
    scheduled: datetime,
    expires: datetime | None,
    now: datetime,
) -> tuple[datetime, str, str]:
    """(due_at, status, reason) of a new row."""
    due = kinds.quiet_hours_shift(
        scheduled, start=audience.quiet_start, end=audience.quiet_end, zone=audience.zone
    )
    if scheduled < now - _late_grace():
        return due, Reminder.Status.SKIPPED, "its time had already passed when it was scheduled"
    if expires is not None and due >= expires:
        return due, Reminder.Status.SKIPPED, "quiet hours last until after the appointment"
    return due, Reminder.Status.PENDING, ""


def reminders_schedule(
    *, target, version: int, now: datetime | None = None, new_target: bool = False
) -> list[Reminder]:
    """Write the reminder rows of ``target`` at ``version`` in the caller's transaction (R2).

    Every kind registered for the target's model gives at most one row per channel the
    recipient chose; quiet hours move a row to their end (R9). Idempotent: calling it again
    for the same version adds nothing (the unique constraint), so an app may call it again
    after a preference change. Pending rows of older versions are cancelled: a reschedule
    bumps the version and calls this once. ``new_target``: the target was created in this
    transaction, so it has no rows yet (none to cancel, none to conflict with): one INSERT."""
    if new_target and transaction.get_connection().in_atomic_block:
        return _reminders_write(target=target, version=version, now=now, new_target=True)
    with transaction.atomic():
        return _reminders_write(target=target, version=version, now=now, new_target=False)


def _reminders_write(*, target, version: int, now, new_target: bool) -> list[Reminder]:
    now = now or timezone.now()
    label, pk = _ref(target)
    if not new_target:
        reminders_cancel(target=target, before_version=version, reason="rescheduled")
    rows = []
    for kind in kinds.kinds_for(label):
        scheduled = kind.when(target)
        if scheduled is None:
            continue
        audience = kind.audience(target)
        if audience is None:
            continue
        expires = kind.expires(target)
        person_label, person_id = audience.person or ("", "")
        due, status, reason = _plan_row(
            kind=kind, audience=audience, scheduled=scheduled, expires=expires, now=now
        )
        for channel in kinds.channels_for(kind, audience):
            rows.append(
                Reminder(
                    kind=kind.name,
                    target_label=label,
                    target_id=pk,
                    target_version=version,
                    person_label=person_label,
                    person_id=person_id,
                    channel=channel,
                    scheduled_for=scheduled,
                    due_at=due,
                    expires_at=expires,
                    status=status,
                    reason=reason,
                )
            )
    if new_target:
        return Reminder.objects.bulk_create(rows) if rows else []
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Reminder.objects.filter(target_label=label, target_id=pk, target_version=version))


@transaction.atomic
def reminders_cancel(
    *, target, before_version: int | None = None, reason: str = "cancelled"
) -> int:
    """Cancel the pending reminders of ``target`` (all of them, or those of versions older
    than ``before_version``), in the caller's transaction. A reminder already handed to the
    outbox but not yet picked up by a worker is cancelled too."""
    label, pk = _ref(target)
    rows = Reminder.objects.filter(target_label=label, target_id=pk)
    if before_version is not None:
        rows = rows.filter(target_version__lt=before_version)
    now = timezone.now()
    Message.objects.filter(
        reminder__in=rows.filter(status=Reminder.Status.SENT), status=Message.Status.PENDING
    ).update(status=Message.Status.CANCELLED, last_error=reason, updated_at=now)
    return rows.filter(status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED, reason=reason, updated_at=now
    )


def _related(kind_name: str) -> tuple[str, ...]:
    try:
        return tuple(kinds.get_kind(kind_name).related)
    except kinds.UnknownKind:
        return ()


def _load_target(reminder: Reminder):
    try:
        model = apps.get_model(reminder.target_label)
    except LookupError:
        return None
    rows = model._default_manager.all()
    related = _related(reminder.kind)
    if related:
        rows = rows.select_related(*related)
    return rows.filter(pk=reminder.target_id).first()


def _load_targets(reminders: list[Reminder]) -> dict[int, object]:
    """``{reminder.pk: target}`` for every reminder whose target still exists: one query per
    target model and set of related rows its kinds read (``ReminderKind.related``)."""
    wanted: dict[tuple[str, tuple[str, ...]], set] = {}
    for reminder in reminders:
        key = (reminder.target_label, _related(reminder.kind))
        wanted.setdefault(key, set()).add(reminder.target_id)
    found: dict[tuple[str, str], object] = {}
    for (label, related), ids in wanted.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        pks = []
        for value in ids:
            try:
                pks.append(model._meta.pk.to_python(value))
            except Exception:  # not a valid key of that model: no such target
                continue
        rows = model._default_manager.all()
        if related:
            rows = rows.select_related(*related)
        for target in rows.filter(pk__in=pks):
            found[(label, str(target.pk))] = target
    return {
        r.pk: found[(r.target_label, r.target_id)]
        for r in reminders
        if (r.target_label, r.target_id) in found
    }


@dataclass
class _Outcome:
    status: str
    reason: str = ""
    due_at: datetime | None = None


def _dispatch_one(reminder: Reminder, now: datetime) -> str:
    """Decide one claimed row and write the outcome. Runs inside the dispatcher's transaction,
    with the row locked."""
    outcome = _decide(reminder, now)
    if outcome.status == Reminder.Status.PENDING:  # postponed past quiet hours
        Reminder.objects.filter(pk=reminder.pk).update(
            due_at=outcome.due_at, reason=outcome.reason, updated_at=now
        )
        return "postponed"
    if outcome.status != Reminder.Status.SENT:
        Reminder.objects.filter(pk=reminder.pk).update(
            status=outcome.status, reason=outcome.reason[:255], updated_at=now
        )
        return outcome.status
    message = message_queue(
        purpose=REMINDER_PURPOSE,
        idempotency_key=f"reminder:{reminder.pk}",
        channel=reminder.channel,
        recipient=reminder.recipient,
        renderer=REMINDER_RENDERER,
        render_params={"reminder": reminder.pk},
    )
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.SENT,
        message=message,
        recipient=reminder.recipient,
        dispatched_at=now,
        reason="",
        updated_at=now,
    )
    return "sent"


_LOAD = object()


def _decide(reminder: Reminder, now: datetime, target=_LOAD) -> _Outcome:
    """What to do with a claimed row. ``target``: already loaded (None: gone), or loaded here."""
    try:
        kind = kinds.get_kind(reminder.kind)
    except kinds.UnknownKind as exc:
        return _Outcome(Reminder.Status.FAILED, str(exc))
    if target is _LOAD:
        target = _load_target(reminder)
    if target is None or not kind.is_valid(target, reminder.target_version):
        return _Outcome(Reminder.Status.CANCELLED, "what it announced changed or was cancelled")
    expires = kind.expires(target)
    if expires is not None and now >= expires:
        return _Outcome(Reminder.Status.SKIPPED, "too late: the time it announced has passed")
    audience = kind.audience(target)
    if audience is None:
        return _Outcome(Reminder.Status.SKIPPED, "nobody to remind")
    if kind.opt_out_key in audience.opted_out:
        return _Outcome(Reminder.Status.SKIPPED, "the patient turned these reminders off")
    if reminder.channel not in audience.channels:
        return _Outcome(Reminder.Status.SKIPPED, f"the patient no longer wants {reminder.channel}")
    later = kinds.quiet_hours_shift(
        now, start=audience.quiet_start, end=audience.quiet_end, zone=audience.zone
    )
    if later > now:
        if expires is not None and later >= expires:
            return _Outcome(Reminder.Status.SKIPPED, "quiet hours last until after the event")
        return _Outcome(Reminder.Status.PENDING, "moved to the end of quiet hours", later)
    address = audience.address(reminder.channel)
    if reminder.channel == Message.Channel.SMS:
        try:
            address = sms.phone_normalize(address)
        except sms.InvalidPhoneNumber:
            return _Outcome(Reminder.Status.FAILED, "no valid mobile number on file")
    elif not address:
        return _Outcome(Reminder.Status.FAILED, "no email address on file")
    reminder.recipient = address
    return _Outcome(Reminder.Status.SENT)


def reminders_dispatch(*, batch: int | None = None, now: datetime | None = None) -> dict:
    """THE dispatcher (a beat task every minute): hand every due pending reminder to the outbox.

    Rows are claimed in short transactions with ``SELECT … FOR UPDATE SKIP LOCKED``, so two
    dispatchers at once split the work instead of doubling it (R3); each row is decided,
    queued under the idempotency key ``reminder:<id>`` and marked in the same transaction, so
    a dispatcher killed half-way leaves its rows pending for the next run, and a retried run
    never makes a second message. A batch is decided in Python on targets read in one query
    per model and written with a few bulk statements; the messages go to the workers after
    commit in batches (``messages_enqueue``). Should the database refuse a bulk write (a value
    too long, say), the batch is done again row by row, each in a savepoint of its own, so one
    bad row fails alone. Stops after ``NOTIFY_DISPATCH_BUDGET_SECONDS``: the rest waits for
    the next minute."""
    batch = batch or settings.NOTIFY_DISPATCH_BATCH
    started = time.monotonic()
    counts: dict[str, int] = {}
    while True:
        tick = now or timezone.now()
        with transaction.atomic():
            claimed = list(
                Reminder.objects.select_for_update(skip_locked=True)
                .filter(status=Reminder.Status.PENDING, due_at__lte=tick)
                .order_by("due_at", "pk")[:batch]
            )
            try:
                with transaction.atomic():
                    results, queued = _dispatch_batch(claimed, tick)
            except (OperationalError, InterfaceError):
                raise  # the database is gone: the whole batch waits for the next run
            except DatabaseError:
                logger.warning("reminders: a bulk write was refused; dispatching row by row")
                results, queued = _dispatch_rows(claimed, tick), []
            if queued:
                transaction.on_commit(lambda ids=queued: messages_enqueue(message_ids=ids))
        for result in results:
            counts[result] = counts.get(result, 0) + 1
        if len(claimed) < batch:
            break
        if time.monotonic() - started > settings.NOTIFY_DISPATCH_BUDGET_SECONDS:
            break
    return counts


def _dispatch_batch(claimed: list[Reminder], tick: datetime) -> tuple[list[str], list[int]]:
    """Decide and write a claimed batch in bulk; returns the outcome of each row and the ids
    of the messages created (to enqueue after commit)."""
    targets = _load_targets(claimed)
    results: list[str] = []
    closed: dict[tuple[str, str], list[int]] = {}
    to_send: list[Reminder] = []
    for reminder in claimed:
        try:
            outcome = _decide(reminder, tick, targets.get(reminder.pk))
        except Exception as exc:  # a broken kind spoils its own row only
            logger.exception("reminders: dispatching reminder %s failed", reminder.pk)
            outcome = _Outcome(Reminder.Status.FAILED, f"{type(exc).__name__}: {exc}")
        if outcome.status == Reminder.Status.PENDING:  # postponed past quiet hours
            Reminder.objects.filter(pk=reminder.pk).update(
                due_at=outcome.due_at, reason=outcome.reason, updated_at=tick
            )
            results.append("postponed")
        elif outcome.status != Reminder.Status.SENT:
            closed.setdefault((outcome.status, outcome.reason[:255]), []).append(reminder.pk)
            results.append(outcome.status)
        else:
            to_send.append(reminder)
            results.append("sent")
    for (status, reason), pks in closed.items():
        Reminder.objects.filter(pk__in=pks).update(status=status, reason=reason, updated_at=tick)
    return results, _queue_reminder_messages(to_send, tick)


def _queue_reminder_messages(reminders: list[Reminder], tick: datetime) -> list[int]:
    """One outbox row per reminder (idempotency key ``reminder:<id>``: a row already there is
    reused, never doubled), and the reminders marked as handed over. Returns the ids of the
    messages created here."""
    if not reminders:
        return []
    by_key = {f"reminder:{r.pk}": r for r in reminders}
    mine = Message.objects.filter(purpose=REMINDER_PURPOSE, idempotency_key__in=list(by_key))
    existing = set(mine.values_list("idempotency_key", flat=True))
    Message.objects.bulk_create(
        [
            Message(
                purpose=REMINDER_PURPOSE,
                idempotency_key=key,
                channel=r.channel,
                recipient=r.recipient,
                renderer=REMINDER_RENDERER,
                render_params={"reminder": r.pk},
            )
            for key, r in by_key.items()
            if key not in existing
        ],
        ignore_conflicts=True,  # a concurrent twin won the race: the same message
    )
    ids = dict(mine.values_list("idempotency_key", "pk"))
    # One UPDATE for the batch: each row points at its message (found by its key, through the
    # unique index) and takes the address it goes to.
    message = Message.objects.filter(
        purpose=REMINDER_PURPOSE,
        idempotency_key=Concat(Value("reminder:"), Cast(OuterRef("pk"), CharField())),
    )
    Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(
        status=Reminder.Status.SENT,
        message=Subquery(message.values("pk")[:1]),
        recipient=Subquery(message.values("recipient")[:1]),
        dispatched_at=tick,
        reason="",
        updated_at=tick,
    )
    return [ids[key] for key in by_key if key not in existing]


def _dispatch_rows(claimed: list[Reminder], tick: datetime) -> list[str]:
    """The batch row by row, each in a savepoint: a row the database refuses fails alone."""
    results = []
    for reminder in claimed:
        try:
            with transaction.atomic():
                result = _dispatch_one(reminder, tick)
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:
            logger.exception("reminders: dispatching reminder %s failed", reminder.pk)
            Reminder.objects.filter(pk=reminder.pk).update(
                status=Reminder.Status.FAILED,
                reason=f"{type(exc).__name__}: {exc}"[:255],
                updated_at=tick,
            )
            result = "failed"
        results.append(result)
    return results


def reminder_context(*, reminder_kind, target, channel: str) -> kinds.ReminderContext | None:
    audience = reminder_kind.audience(target)
    if audience is None:
        return None
    if audience.person:
        manage_url = manage_reminders_url(
            person_label=audience.person[0], person_id=audience.person[1]
        )
    else:
        manage_url = settings.SITE_URL + "/"
    return kinds.ReminderContext(
        channel=channel,
        first_name=audience.first_name,
        zone=audience.zone,
        language=audience.language or settings.LANGUAGE_CODE,
        manage_url=manage_url,
    )


def reminder_render(*, kind: str, target, channel: str = Message.Channel.EMAIL) -> Rendered:
    """Render ``kind`` for ``target`` as the worker does when it sends (in the recipient's
    language). Also what the content tests (S13) call."""
    reminder_kind = kinds.get_kind(kind)
    ctx = reminder_context(reminder_kind=reminder_kind, target=target, channel=channel)
    if ctx is None:
        raise TargetGone("nobody to remind")
    with translation.override(ctx.language):
        return reminder_kind.render(target, ctx)


def render_reminder_message(params: dict, recipient: str) -> Rendered:
    """The outbox renderer of reminder messages: re-checks the target at send time."""
    reminder = Reminder.objects.filter(pk=params.get("reminder")).first()
    if reminder is None:
        raise TargetGone("the reminder no longer exists")
    return _render_reminder(reminder, _LOAD)


def _render_reminder(reminder: Reminder, target) -> Rendered:
    """Render a reminder's message if its target still holds (``target``: loaded already,
    None when gone, or ``_LOAD`` to load it here)."""
    try:
        kind = kinds.get_kind(reminder.kind)
    except kinds.UnknownKind as exc:
        raise TargetGone(str(exc)) from exc
    if target is _LOAD:
        target = _load_target(reminder)
    if target is None or not kind.is_valid(target, reminder.target_version):
        raise TargetGone("what it announced changed or was cancelled")
    expires = kind.expires(target)
    if expires is not None and timezone.now() >= expires:
        raise TargetGone("too late: the time it announced has passed")
    return reminder_render(kind=reminder.kind, target=target, channel=reminder.channel)
