"""Specialists, their availability, consultation types, the booking policy and appointments.

Every kind of appointment (a consultation now, an in-clinic treatment visit later) lives in
the one ``Appointment`` table, so one no-overlap rule covers them all. On PostgreSQL that rule
is two exclusion constraints (migration ``0003_appointment_no_overlap``): a specialist's
blocked time (start to ``blocked_until`` = end plus the type's buffer) and a patient's time
(start to end) never overlap for appointments that are not cancelled. SQLite cannot express
them; there the booking services re-check inside an IMMEDIATE transaction.
"""

import datetime
import uuid

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.audit.history import track_patient_data

from .profile import Patient


class Specialist(models.Model):
    """A clinician whom patients can book. ``user`` is their login (specialist role)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="specialist_profile",
    )
    display_name = models.CharField(_("name shown to patients"), max_length=120)
    bio = models.CharField(_("short bio"), max_length=500, blank=True)
    photo = models.FileField(
        _("photo"),
        upload_to="specialists/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"])],
    )
    is_active = models.BooleanField(_("takes bookings"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "display_name", "pk"]

    def __str__(self):
        return self.display_name

    @property
    def initials(self) -> str:
        words = [w for w in self.display_name.replace(".", " ").split() if w[:1].isupper()]
        return "".join(w[0] for w in words[-2:]) or self.display_name[:1].upper()


class ConsultationType(models.Model):
    """What a patient books, e.g. "First consultation — 45 min"."""

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("what it is for"), max_length=300, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"),
        default=0,
        validators=[MaxValueValidator(240)],
        help_text=_("Time the specialist needs after the appointment before the next one."),
    )
    new_patients_online = models.BooleanField(
        _("new patients may book online"),
        default=True,
        help_text=_("If off, only patients who have been seen before can book it online."),
    )
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5), name="consultationtype_duration_positive"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def duration(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.duration_minutes)

    @property
    def buffer(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.buffer_after_minutes)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """One range of a specialist's regular week, in the clinic's time zone (wall-clock).
    Several ranges a day make a lunch break."""

    specialist = models.ForeignKey(
        Specialist, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["specialist", "weekday", "start"]
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="workinghours_end_after_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="workinghours_weekday"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class TimeOff(models.Model):
    """A holiday, leave or any time a specialist cannot see patients."""

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("note (staff only)"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["specialist", "start"]
        verbose_name_plural = _("time off")
        indexes = [models.Index(fields=["specialist", "end", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="timeoff_end_after_start"
            )
        ]

    def __str__(self):
        return f"{self.specialist}: {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"


class BookingPolicy(models.Model):
    """The clinic's booking rules: a singleton (row 1) edited in the admin."""

    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"),
        default=120,
        help_text=_("Patients cannot book a time sooner than this."),
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("booking horizon (days)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("How far ahead patients can book."),
    )
    change_cutoff_hours = models.PositiveSmallIntegerField(
        _("reschedule/cancel cut-off (hours)"),
        default=24,
        help_text=_("Patients can change or cancel online up to this long before the start."),
    )
    slot_step_minutes = models.PositiveSmallIntegerField(
        _("start times every (minutes)"),
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
    )

    class Meta:
        verbose_name = _("booking policy")
        verbose_name_plural = _("booking policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="bookingpolicy_singleton"),
            models.CheckConstraint(
                condition=Q(slot_step_minutes__gte=5), name="bookingpolicy_step"
            ),
        ]

    def __str__(self):
        return str(_("Booking policy"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "BookingPolicy":
        policy = cls.objects.filter(pk=1).first()
        return policy if policy is not None else cls(pk=1)

    @property
    def min_notice(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.min_notice_minutes)

    @property
    def horizon(self) -> datetime.timedelta:
        return datetime.timedelta(days=self.horizon_days)

    @property
    def change_cutoff(self) -> datetime.timedelta:
        return datetime.timedelta(hours=self.change_cutoff_hours)

    @property
    def slot_step(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.slot_step_minutes)


class AppointmentKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    TREATMENT_VISIT = "treatment_visit", _("In-clinic treatment visit")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")


# Statuses that hold time: everything but a cancellation (the exclusion constraints use it).
ACTIVE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
)


@track_patient_data()
class Appointment(models.Model):
    """A patient's time with a specialist, of any kind.

    ``blocked_until`` is ``end`` plus the type's buffer, fixed when booked: it is what the
    specialist's no-overlap constraint compares. ``version`` starts at 1 and is bumped on
    every reschedule (the calendar file's SEQUENCE and the reminders key on it)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(
        max_length=20, choices=AppointmentKind.choices, default=AppointmentKind.CONSULTATION
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    specialist = models.ForeignKey(
        Specialist, on_delete=models.PROTECT, related_name="appointments"
    )
    consultation_type = models.ForeignKey(
        ConsultationType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_until = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    version = models.PositiveIntegerField(default=1)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["specialist", "start"], name="appointment_specialist_idx"),
            models.Index(fields=["patient", "start"], name="appointment_patient_idx"),
            models.Index(fields=["start", "status"], name="appointment_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="appointment_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(blocked_until__gte=models.F("end")),
                name="appointment_blocked_covers_end",
            ),
            models.CheckConstraint(
                condition=~Q(kind=AppointmentKind.CONSULTATION, consultation_type__isnull=True),
                name="appointment_consultation_has_type",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="appointment_version"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def ics_uid(self) -> str:
        return f"appointment-{self.uid}@{settings.MESSAGE_ID_DOMAIN}"


class AppointmentChange(models.Model):
    """What happened to an appointment, one row per action: booked, each reschedule (with
    the old and new times), cancelled, completed, no-show. The reschedule history."""

    class Action(models.TextChoices):
        BOOKED = "booked", _("Booked")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Marked completed")
        NO_SHOW = "no_show", _("Marked no-show")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=12, choices=Action.choices)
    version = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_start = models.DateTimeField(null=True, blank=True)
    old_specialist = models.ForeignKey(
        Specialist, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_start = models.DateTimeField(null=True, blank=True)
    new_specialist = models.ForeignKey(
        Specialist, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["appointment", "at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} (v{self.version})"
