import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.audit.history import track_patient_data


def _time_zone_choices():
    return [(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z]


class ReminderChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message (SMS)")
    BOTH = "both", _("Email and text message")


@track_patient_data()
class Patient(models.Model):
    """A patient of the clinic: the person treated, who may or may not log in.

    ``user`` is the patient's own login (None for a child, or for a phone-only patient whom
    staff registered and who has not claimed the account yet). ``guardian`` is the login of a
    parent or guardian who acts for a patient under 18: books, fills the intake, signs
    consent, receives reminders."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patient",
    )
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependants",
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(
        _("mobile phone"),
        max_length=16,
        blank=True,
        help_text=_("International format, e.g. +14155550123"),
    )
    contact_email = models.EmailField(_("email for a patient without a login"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.CLINIC_TIME_ZONE)
    # Reminder preferences (used by the reminders feature).
    reminder_channel = models.CharField(
        _("send reminders by"),
        max_length=8,
        choices=ReminderChannel.choices,
        default=ReminderChannel.EMAIL,
    )
    home_session_time = models.TimeField(
        _("preferred time for home-session reminders"), default=datetime.time(18, 0)
    )
    quiet_hours_start = models.TimeField(_("quiet hours start"), default=datetime.time(21, 0))
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=datetime.time(8, 0))
    reminder_opt_outs = models.JSONField(_("reminder kinds turned off"), default=list, blank=True)
    # A patient whom staff registered without a login claims the account through an emailed
    # link carrying this nonce; a new invitation or the claim itself replaces it (revocable).
    claim_nonce = models.CharField(max_length=32, blank=True, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_name", "pk"]
        # The default order of every patient list (paginated staff lists sort by it).
        indexes = [models.Index(fields=["legal_name", "id"], name="patient_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(
                    user__isnull=True, guardian__isnull=True, phone="", contact_email=""
                ),
                name="patient_reachable",
                violation_error_message="A patient needs a login, a guardian, a phone or an email.",
            )
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.legal_name.split(" ")[0]

    @property
    def is_profile_complete(self) -> bool:
        return bool(self.legal_name and self.date_of_birth)

    def age_on(self, day: datetime.date) -> int | None:
        """Whole years on ``day`` (the engine's ``age`` on the screen's date)."""
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def is_dependant(self) -> bool:
        """A child whom a guardian's login acts for."""
        return self.user_id is None and self.guardian_id is not None

    def clean(self):
        if self.time_zone and self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": _("Choose a time zone from the list.")})
