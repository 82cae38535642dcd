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
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
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


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent", "retry", "failed", "cancelled", "not_claimed"
    retry_in: float | None = None


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


def _record(message_id: int, number: int, outcome: str, error: str = "") -> None:
    MessageAttempt.objects.create(
        message_id=message_id, number=number, outcome=outcome, error=error[:2000]
    )


def _backoff(attempt: int) -> float:
    base = settings.NOTIFY_RETRY_BACKOFF_SECONDS
    return min(base * (2 ** max(attempt - 1, 0)), settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS)


def message_claim(*, message_id: int) -> Message | None:
    """Atomically move a due pending message to "sending"; None if someone else has it.

    A retry task may run a moment before its row is due (the broker's countdown and the
    database clock round differently): it still claims within ``CLAIM_EARLY_TOLERANCE``
    rather than leaving the message to the next sweep."""
    now = timezone.now()
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


def message_content(message: Message) -> Rendered:
    """The message's subject and bodies: stored, or rendered now by its renderer."""
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


def _deliver_email(message: Message, content: Rendered) -> None:
    email = message_build_email(message, content)
    email.connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
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
            raise ConnectionError(f"SMTP {exc.smtp_code}: {reply}") from exc
        raise PermanentSendError(f"SMTP {exc.smtp_code}: {reply}") from exc


def _deliver_sms(message: Message, content: Rendered) -> None:
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


def message_send(*, message_id: int) -> SendResult:
    """Claim and send one message, recording the attempt. Safe to call any number of times."""
    message = message_claim(message_id=message_id)
    if message is None:
        return SendResult("not_claimed")
    try:
        content = message_content(message)
        deliver = CHANNELS.get(message.channel)
        if deliver is None:
            raise PermanentSendError(f"no delivery configured for channel {message.channel!r}")
        deliver(message, content)
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
        return SendResult("retry", retry_in=delay)
    except Exception as exc:  # a bug (in a renderer, say): retrying would not help; staff see it
        logger.exception("outbox: message %s could not be sent", message.pk)
        _finish(
            message,
            status=Message.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            outcome=MessageAttempt.Outcome.PERMANENT,
        )
        return SendResult("failed")
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT, sent_at=now, last_error="", updated_at=now
    )
    _record(message.pk, message.attempts, MessageAttempt.Outcome.SENT)
    return SendResult("sent")


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


def _load_target(reminder: Reminder):
    try:
        model = apps.get_model(reminder.target_label)
    except LookupError:
        return None
    return model._default_manager.filter(pk=reminder.target_id).first()


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


def _decide(reminder: Reminder, now: datetime) -> _Outcome:
    try:
        kind = kinds.get_kind(reminder.kind)
    except kinds.UnknownKind as exc:
        return _Outcome(Reminder.Status.FAILED, str(exc))
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
    never makes a second message. Stops after ``NOTIFY_DISPATCH_BUDGET_SECONDS``: the rest
    waits for the next minute."""
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
            for reminder in claimed:
                try:
                    with transaction.atomic():  # a broken kind spoils its own row only
                        result = _dispatch_one(reminder, tick)
                except (OperationalError, InterfaceError):
                    raise  # the database is gone: the whole batch waits for the next run
                except Exception as exc:
                    logger.exception("reminders: dispatching reminder %s failed", reminder.pk)
                    Reminder.objects.filter(pk=reminder.pk).update(
                        status=Reminder.Status.FAILED,
                        reason=f"{type(exc).__name__}: {exc}"[:255],
                        updated_at=tick,
                    )
                    result = "failed"
                counts[result] = counts.get(result, 0) + 1
        if len(claimed) < batch:
            break
        if time.monotonic() - started > settings.NOTIFY_DISPATCH_BUDGET_SECONDS:
            break
    return counts


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
    try:
        kind = kinds.get_kind(reminder.kind)
    except kinds.UnknownKind as exc:
        raise TargetGone(str(exc)) from exc
    target = _load_target(reminder)
    if target is None or not kind.is_valid(target, reminder.target_version):
        raise TargetGone("what it announced changed or was cancelled")
    expires = kind.expires(target)
    if expires is not None and timezone.now() >= expires:
        raise TargetGone("too late: the time it announced has passed")
    return reminder_render(kind=reminder.kind, target=target, channel=reminder.channel)
