"""The intake questionnaire, the consent signed with it, and the eligibility screens.

The patient's answers live on ``Intake`` (one JSON object per step, in the shape of the step's
form) until they submit. Submitting freezes them into a ``Screen``: the RULES.md profile built
from the answers, the "not sure" flags kept beside it, the engine's result and the rules
version. Staff never edit the answers: a correction makes a new screen from an amended copy of
the profile (``ScreenCorrection`` says who changed which field, from what, to what and why) and
the new screen supersedes the old one.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.audit.history import track_patient_data

from .profile import Patient


@track_patient_data()
class Intake(models.Model):
    """One patient's questionnaire: a draft while they fill it in, then submitted (locked).

    Staff asking for more information reopens it (back to draft) with a message for the
    patient; the next submission makes a new screen that supersedes the old one."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("In progress")
        SUBMITTED = "submitted", _("Sent to the clinic")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # {step name: that step's answers in the shape of its form}; see patients/questionnaire.py.
    answers = models.JSONField(default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Set when staff reopened it to ask for more information (shown to the patient, who
    # logs in to read it: the email says only that there is a message).
    staff_message = models.TextField(blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="draft"),
                name="intake_one_draft_per_patient",
            )
        ]

    def __str__(self):
        return f"Intake {self.pk} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


@track_patient_data()
class Consent(models.Model):
    """A consent text accepted before submitting: which version, the name typed as the
    signature, who signed (the patient, or a guardian for a dependant) and when."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    intake = models.ForeignKey(
        Intake, on_delete=models.PROTECT, related_name="consents", null=True, blank=True
    )
    version = models.CharField(max_length=40)
    # Fingerprint of the exact text shown, so a later edit of the text without a new version
    # number would be noticed.
    text_sha256 = models.CharField(max_length=64)
    signed_name = models.CharField(max_length=200)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_as_guardian = models.BooleanField(default=False)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at", "-pk"]

    def __str__(self):
        return f"Consent {self.version} by {self.signed_name}"


@track_patient_data()
class Screen(models.Model):
    """The eligibility screen made from a submitted intake (or from a staff correction)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        REVIEWED = "reviewed", _("Reviewed")
        SUPERSEDED = "superseded", _("Superseded")

    class Outcome(models.TextChoices):
        CLEARED = "cleared", _("Cleared")
        WORKUP = "workup", _("Needs physician work-up first")
        INFO_REQUESTED = "info_requested", _("More information requested")

    class Source(models.TextChoices):
        PATIENT = "patient", _("Submitted by the patient")
        CORRECTION = "correction", _("Staff correction")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screens")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="screens")
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PATIENT)
    # The day the age was computed for (the clinic's date at submission).
    screen_date = models.DateField()
    profile = models.JSONField()  # the RULES.md §1 profile, exactly what the engine was given
    flags = models.JSONField(default=list, blank=True)  # "not sure" answers, for staff
    notes = models.JSONField(default=dict, blank=True)  # free text beside the profile
    result = models.JSONField()  # the RULES.md §2 result
    rules_version = models.CharField(max_length=40)
    # Denormalised from profile/result/flags so the queue sorts and filters in the database.
    refer = models.BooleanField(default=False)
    needs_attention = models.BooleanField(default=False)  # red flags or "not sure" flags
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A screen waiting for review has no outcome; a reviewed one has one.
            models.CheckConstraint(
                condition=(
                    models.Q(status="submitted", outcome="")
                    | (models.Q(status="reviewed") & ~models.Q(outcome=""))
                    | models.Q(status="superseded")
                ),
                name="screen_outcome_matches_status",
            ),
            # Only one screen per intake is current; the others are superseded.
            models.UniqueConstraint(
                fields=["intake"],
                condition=~models.Q(status="superseded"),
                name="screen_one_current_per_intake",
            ),
        ]
        indexes = [
            # The review queue: refer first, then needing attention, then oldest.
            models.Index(
                "status",
                models.F("refer").desc(),
                models.F("needs_attention").desc(),
                "created_at",
                name="screen_queue_idx",
            ),
        ]

    def __str__(self):
        return f"Screen {self.pk} ({self.get_status_display()})"

    @property
    def is_current(self) -> bool:
        return self.status != self.Status.SUPERSEDED

    @property
    def red_flags(self) -> list[str]:
        return list(self.profile.get("red_flags", []))


@track_patient_data()
class ScreenCorrection(models.Model):
    """One answer corrected by staff: the new screen it produced, the profile field, the value
    before and after, and why. The patient's own answers stay as they were."""

    screen = models.ForeignKey(Screen, on_delete=models.PROTECT, related_name="corrections")
    field = models.CharField(max_length=40)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    reason = models.TextField()
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.field} corrected on screen {self.screen_id}"
