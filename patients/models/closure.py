"""Account closure: a patient (or a guardian, for a dependant) asked to close the record.

The login is disabled at once; the records are kept until ``retain_until`` (the legal
retention period, ``settings.RETENTION_YEARS``) and then deleted by the daily purge. This row
outlives the purge as a tombstone without personal data: the link to the patient becomes
NULL, the reference, dates and row counts stay so staff can answer "what happened to it"."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .profile import Patient


class AccountClosure(models.Model):
    class RequestedBy(models.TextChoices):
        PATIENT = "patient", _("The patient")
        GUARDIAN = "guardian", _("Their parent or guardian")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # SET_NULL, not PROTECT: the purge deletes the patient and keeps this tombstone.
    patient = models.OneToOneField(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="closure"
    )
    requested_by = models.CharField(max_length=10, choices=RequestedBy.choices)
    requested_at = models.DateTimeField()
    retain_until = models.DateField()
    purged_at = models.DateTimeField(null=True, blank=True)
    # Rows deleted per model label (counts only, no personal data).
    purge_counts = models.JSONField(default=dict, blank=True)
    # Why the last purge attempt failed (shown to staff); cleared by a successful purge.
    purge_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["purged_at", "retain_until"], name="closure_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purged_at__isnull=True) | models.Q(patient__isnull=True),
                name="closure_purged_has_no_patient",
            )
        ]

    def __str__(self):
        return f"Closure {self.reference}"

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    @property
    def short_reference(self) -> str:
        return str(self.reference)[:8].upper()
