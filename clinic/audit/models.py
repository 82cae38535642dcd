from django.conf import settings
from django.db import models


class AccessEvent(models.Model):
    """One read of a patient's record by a staff member, specialist or admin.

    The target is generic (model label + primary key) so the audit app imports no other app;
    ``patient_key`` names the patient whose record it is ("patients.patient:12") so the
    privacy officer can list everything that happened to one patient.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254)  # kept if the account is deleted
    model_label = models.CharField(max_length=100)
    object_pk = models.CharField(max_length=64)
    # Found through accessevent_patient_at_idx (patient_key, at): no index of its own.
    patient_key = models.CharField(max_length=120, blank=True)
    page = models.CharField(max_length=300)
    view_name = models.CharField(max_length=120, blank=True)
    request_id = models.CharField(max_length=36, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["model_label", "object_pk", "-at"]),
            # Who read this patient's record, newest first (the privacy pages).
            models.Index(fields=["patient_key", "-at"], name="accessevent_patient_at_idx"),
        ]

    def __str__(self):
        return f"{self.actor_label} read {self.model_label}:{self.object_pk} at {self.at:%c}"
