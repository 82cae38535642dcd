import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Message(models.Model):
    """One outgoing message (the outbox). Written in the same transaction as the thing it
    announces; a Celery task claims it atomically and sends it; a periodic sweep re-dispatches
    rows the broker lost. ``uuid`` gives the stable Message-ID, so a copy sent again after a
    worker crash is recognisable as the same message."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    purpose = models.CharField(max_length=80)
    # Unique per purpose where the caller gives one: the same announcement is queued once.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=254)
    # Either rendered content, or a renderer (registered by an app) and its parameters,
    # called at send time: used for links that must not be stored (S14).
    subject = models.CharField(max_length=255, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    renderer = models.CharField(max_length=80, blank=True)
    render_params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "idempotency_key"],
                name="message_unique_purpose_key",
                condition=models.Q(idempotency_key__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            models.Index(fields=["status", "claimed_at"], name="message_claimed_idx"),
        ]

    def __str__(self):
        return f"{self.purpose} to {self.recipient} ({self.status})"

    @property
    def message_id(self) -> str:
        return f"<{self.uuid}@{settings.MESSAGE_ID_DOMAIN}>"


class MessageAttempt(models.Model):
    """Every try to send a message, with its outcome (R6)."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        TRANSIENT = "transient", "Transient failure (will retry)"
        PERMANENT = "permanent", "Permanent failure"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number"]

    def __str__(self):
        return f"attempt {self.number} of {self.message_id}: {self.outcome}"


class Reminder(models.Model):
    """One reminder a target gets on one channel: the schedule kept as data (R3, R5).

    The target is any model (label + id) at a version: a reschedule bumps the target's version,
    so the new time gets rows of its own while pending rows of the old version are cancelled.
    The ONE dispatcher (a beat task) claims due rows, checks the target still holds at that
    version, and hands each to the outbox; the row then points at the message it produced."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Handed to the outbox"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=80)
    target_label = models.CharField(max_length=100)
    target_id = models.CharField(max_length=64)
    target_version = models.PositiveIntegerField(default=1)
    # The person it is for (usually a patients.Patient), for the per-patient history.
    person_label = models.CharField(max_length=100, blank=True)
    person_id = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=10, choices=Message.Channel.choices)
    # The address is resolved from the patient's preferences at dispatch, and kept here.
    recipient = models.CharField(max_length=254, blank=True)
    scheduled_for = models.DateTimeField(help_text="The instant the kind asked for.")
    due_at = models.DateTimeField(help_text="When it goes out: scheduled_for after quiet hours.")
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=255, blank=True)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminder"
    )
    dispatched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target_label", "target_id", "target_version", "kind", "channel"],
                name="reminder_once_per_target_version_kind_channel",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="reminder_pending_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["target_label", "target_id"], name="reminder_target_idx"),
            models.Index(fields=["person_label", "person_id"], name="reminder_person_idx"),
        ]
        ordering = ["due_at", "pk"]

    def __str__(self):
        return f"{self.kind} for {self.target_label}#{self.target_id} v{self.target_version}"
