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
