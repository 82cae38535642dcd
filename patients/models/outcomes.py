"""Treatment outcomes the clinic recorded (as opposed to what the patient told the
questionnaire). Another app writes them through ``patients.services.outcomes`` (treatments
records an iontophoresis failure after an adequate trial), and the questionnaire's profile
builder adds them to the profile's ``tried`` list, so a re-screen sees them.
Patients imports no other app: the writer passes plain values."""

from django.conf import settings
from django.db import models

from clinic.audit.history import track_patient_data

from .profile import Patient


@track_patient_data()
class RecordedOutcome(models.Model):
    """One RULES.md ``tried`` entry the clinic knows of: treatment, outcome and, when known,
    sessions, weeks and area ("" = every affected area). ``source`` names the writer; one row
    per (patient, treatment, area, source), updated as the count grows."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="recorded_outcomes")
    treatment = models.CharField(max_length=32)
    outcome = models.CharField(max_length=16)  # failed, not_tolerated, helped, ongoing
    sessions = models.PositiveIntegerField(null=True, blank=True)
    weeks = models.PositiveIntegerField(null=True, blank=True)
    area = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=40)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "treatment", "area", "source"],
                name="recordedoutcome_one_per_source",
            )
        ]

    def __str__(self):
        return f"{self.treatment} {self.outcome} ({self.patient_id})"

    def as_tried(self) -> dict:
        """The RULES.md ``tried`` entry (unknown counts left out, never null)."""
        entry = {"treatment": self.treatment, "outcome": self.outcome}
        if self.sessions is not None:
            entry["sessions"] = min(self.sessions, 1000)
        if self.weeks is not None:
            entry["weeks"] = min(self.weeks, 1000)
        if self.area:
            entry["area"] = self.area
        return entry
