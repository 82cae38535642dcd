"""Treatment plans, their versions and items, the planned sessions they generate, the
specialist assigned to each patient, consultation notes and the patient's calendar feed.

A plan (one per patient) is a chain of versions. A version is never edited: a change makes a
new version with who, when, what and why. Each version has one item per treated area (or one
item for hands and feet treated together by one device). Planned sessions belong to the plan;
regeneration after a change moves, cancels or adds future sessions and never touches past ones.
A session's ``revision`` goes up whenever its time moves or it is cancelled, so reminders
(a later feature) can key on (session, revision).

In-clinic iontophoresis sessions are appointments of kind "treatment visit" in the patients
app's appointment table, at the time of day the specialist chose for the item (clinic time zone)
with the item's clinician, so the one no-overlap rule keeps them clear of consultations; the
planned session points to its appointment (``PlannedSession.appointment``). Procedures and
review consultations are dated and booked separately ("time to be arranged").
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinic.audit.history import track_patient_data
from patients.models import Appointment, Patient, Screen, Specialist

TREATMENT_CHOICES = [
    ("aluminium_chloride", _("Aluminium chloride")),
    ("iontophoresis", _("Iontophoresis")),
    ("botulinum_toxin", _("Botulinum toxin")),
    ("topical_anticholinergic", _("Topical anticholinergic")),
    ("oral_glycopyrrolate", _("Oral glycopyrrolate")),
    ("oral_oxybutynin", _("Oral oxybutynin")),
    ("microwave_thermolysis", _("Microwave thermolysis")),
    ("local_surgery", _("Local surgery")),
    ("sympathectomy", _("Sympathectomy (ETS)")),
]


class Setting(models.TextChoices):
    HOME = "home", _("At home")
    CLINIC = "clinic", _("In the clinic")


class Water(models.TextChoices):
    TAP = "tap", _("Tap water")
    TAP_BAKING_SODA = "tap_baking_soda", _("Tap water with a pinch of baking soda (soft water)")


@track_patient_data()
class PatientSpecialist(models.Model):
    """The specialist in charge of a patient (set at the first consultation or plan). Any
    specialist may open any chart; this says who is responsible."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="assigned_specialist"
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assigned_patients"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.specialist} for patient {self.patient_id}"


@track_patient_data()
class Plan(models.Model):
    """A patient's treatment plan: the chain of versions and the session calendar."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        STOPPED = "stopped", _("Stopped")

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="plan")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    current_version = models.ForeignKey(
        "PlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Maintenance sessions exist up to this day; a periodic task moves it forward.
    horizon_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "horizon_until"])]

    def __str__(self):
        return f"Plan {self.pk} for patient {self.patient_id}"


@track_patient_data()
class PlanVersion(models.Model):
    """One version of a plan: what was decided, on which screen, by whom, when and why."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Plan assigned")
        CHANGED = "changed", _("Plan changed")
        MAINTENANCE = "maintenance", _("Moved to maintenance")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    screen = models.ForeignKey(Screen, on_delete=models.PROTECT, related_name="+")
    rules_version = models.CharField(max_length=40)
    reason = models.TextField(blank=True)  # why this version (required after the first)
    summary = models.TextField()  # what this version is / what changed, in words
    workup_reason = models.TextField(blank=True)  # screen outcome was "workup"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planversion_unique_number")
        ]

    def __str__(self):
        return f"Plan {self.plan_id} v{self.number}"


@track_patient_data()
class PlanItem(models.Model):
    """One treatment for one area (or hands and feet together) in one plan version.

    ``option_statuses`` and ``option_rules`` copy what the engine said about this treatment in
    each area when the version was made; ``override_grounds`` lists why a clinical reason was
    required (``excluded``, ``review``, ``not_applicable``, ``hdss_1``, ``refer``)."""

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    treatment = models.CharField(max_length=32, choices=TREATMENT_CHOICES)
    areas = models.JSONField()  # ["palmar"] or ["palmar", "plantar"] (one device, together)
    option_statuses = models.JSONField(default=dict)
    option_rules = models.JSONField(default=dict)
    override_grounds = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    # Iontophoresis
    setting = models.CharField(max_length=8, choices=Setting.choices, blank=True)
    session_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    current_ma = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    pulsed = models.BooleanField(default=False)
    sessions_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    initial_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    weekdays = models.JSONField(default=list, blank=True)  # 0 = Monday
    maintenance_interval_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    maintenance_from = models.DateField(null=True, blank=True)  # initial phase ended early
    water = models.CharField(max_length=16, choices=Water.choices, blank=True)
    # In-clinic sessions: the time of day (clinic's wall clock) and who runs them.
    clinic_time = models.TimeField(null=True, blank=True)
    clinician = models.ForeignKey(
        Specialist, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Other treatments: instructions, prescription note, procedure notes or referral letter.
    instructions = models.TextField(blank=True)
    procedure_date = models.DateField(null=True, blank=True)  # botulinum toxin
    review_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["version", "position", "pk"]

    def __str__(self):
        return f"{self.treatment} ({', '.join(self.areas)})"

    @property
    def series(self) -> str:
        """The key of this item's sessions, stable across versions (same treatment, areas)."""
        return f"{self.treatment}:{'+'.join(sorted(self.areas))}"

    @property
    def is_iontophoresis(self) -> bool:
        return self.treatment == "iontophoresis"


@track_patient_data()
class PlannedSession(models.Model):
    """A dated session, procedure or review of a plan.

    Home sessions have ``starts_at`` (the patient's preferred time in their zone, stored UTC).
    In-clinic iontophoresis sessions have ``starts_at`` (the item's clinic time) and their
    ``appointment`` (a treatment visit); staff may move or cancel that appointment from the
    calendar, and then the appointment, not ``starts_at``, says when the visit really is.
    Procedures and reviews have a day and no time. ``revision`` changes when the session moves
    or is cancelled (the hook for reminders)."""

    class Kind(models.TextChoices):
        SESSION = "session", _("Treatment session")
        PROCEDURE = "procedure", _("Procedure")
        REVIEW = "review", _("Review consultation")

    class Phase(models.TextChoices):
        INITIAL = "initial", _("Initial phase")
        MAINTENANCE = "maintenance", _("Maintenance")
        NONE = "", _("—")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="sessions")
    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="sessions")
    series = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    setting = models.CharField(max_length=8, choices=Setting.choices)
    phase = models.CharField(max_length=12, choices=Phase.choices, blank=True)
    day = models.DateField()
    starts_at = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    revision = models.PositiveIntegerField(default=1)
    appointment = models.OneToOneField(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="planned_session",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "series", "day"],
                condition=Q(status="planned"),
                name="plannedsession_one_per_series_day",
            ),
            models.CheckConstraint(
                condition=Q(setting="clinic") | Q(starts_at__isnull=False),
                name="plannedsession_home_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "status", "day"]),
            models.Index(fields=["status", "starts_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.day}"

    # Both read the appointment: load sessions with select_related("appointment").
    @property
    def actual_start(self):
        """When it really happens: the visit's time (staff may have moved it), else the
        planned time (None for a procedure or review not booked yet)."""
        if self.appointment_id is not None:
            return self.appointment.start
        return self.starts_at

    @property
    def visit_missing(self) -> bool:
        """An in-clinic session with a time but no visit: its time was taken when the
        calendar was extended (the specialist or staff arrange another)."""
        return (
            self.kind == self.Kind.SESSION
            and self.setting == Setting.CLINIC
            and self.starts_at is not None
            and self.appointment_id is None
            and self.status == self.Status.PLANNED
        )

    @property
    def visit_cancelled(self) -> bool:
        """The clinic cancelled this session's visit (it is not booked again by itself)."""
        return self.appointment_id is not None and self.appointment.status == "cancelled"


@track_patient_data()
class ConsultationNote(models.Model):
    """A specialist's visit summary. Editing makes a new revision; the text shown is the
    latest (copied here so the chart reads one row per note)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="consultation_notes"
    )
    visit_date = models.DateField()
    text = models.TextField()
    revision_count = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-visit_date", "-pk"]

    def __str__(self):
        return f"Note {self.pk} ({self.visit_date})"


@track_patient_data()
class ConsultationNoteRevision(models.Model):
    note = models.ForeignKey(ConsultationNote, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    visit_date = models.DateField()
    text = models.TextField()
    reason = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="noterevision_unique_number")
        ]

    def __str__(self):
        return f"Note {self.note_id} revision {self.number}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


@track_patient_data(exclude=("token",))
class CalendarFeed(models.Model):
    """A private calendar-feed URL for a patient's sessions. The token is the only secret;
    renewing revokes the old one (its URL then answers 404)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="calendar_feeds")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(revoked_at__isnull=True),
                name="calendarfeed_one_active_per_patient",
            )
        ]

    def __str__(self):
        return f"Calendar feed {self.pk} for patient {self.patient_id}"


# --- Home-session logs, HDSS check-ins, progress and flags (issue 7) -------------------------
class SideEffect(models.TextChoices):
    NONE = "none", _("None")
    DRYNESS = "dryness", _("Dry skin")
    TINGLING = "tingling", _("Tingling")
    REDNESS = "redness", _("Redness")
    BLISTERS = "blisters", _("Blisters")
    PAIN = "pain", _("Pain")
    OTHER = "other", _("Something else")


# Side effects that flag the specialist at once (RULES.md §5 safety: stop and call the clinic).
CONCERNING_SIDE_EFFECTS = frozenset({SideEffect.BLISTERS, SideEffect.PAIN})


class SkipReason(models.TextChoices):
    FORGOT = "forgot", _("I forgot")
    NO_TIME = "no_time", _("No time")
    UNWELL = "unwell", _("I was unwell")
    SKIN = "skin", _("My skin was sore or broken")
    DEVICE = "device", _("Device problem")
    AWAY = "away", _("I was away from home")
    OTHER = "other", _("Another reason")


@track_patient_data()
class SessionLog(models.Model):
    """What the patient (or their guardian) says happened for a home session: done (with
    minutes, current reached, areas, side effects) or skipped (with a reason). A log points to
    its planned session, or to none for an extra session. Editable for 48 hours, then
    read-only. A current outside the plan's bounds is kept as it happened and flagged."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="session_logs")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="session_logs")
    planned_session = models.OneToOneField(
        PlannedSession, on_delete=models.PROTECT, null=True, blank=True, related_name="log"
    )
    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices)
    day = models.DateField()
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    current_ma = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    areas = models.JSONField(default=list)
    side_effects = models.JSONField(default=list, blank=True)  # SideEffect codes
    side_effect_other = models.CharField(max_length=200, blank=True)
    skip_reason = models.CharField(max_length=10, choices=SkipReason.choices, blank=True)
    notes = models.TextField(blank=True)
    # The plan's bounds when logged (kept so the flag still reads right after a plan change).
    current_max_ma = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    current_out_of_bounds = models.BooleanField(default=False)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "-pk"]
        indexes = [
            models.Index(fields=["patient", "day"]),
            # A plan's logs up to a day (progress, the session list).
            models.Index(fields=["plan", "day"], name="sessionlog_plan_day_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="skipped") | (Q(minutes__gte=1) & Q(minutes__lte=60)),
                name="sessionlog_done_has_minutes",
            )
        ]

    def __str__(self):
        return f"{self.get_status_display()} on {self.day}"

    @property
    def is_extra(self) -> bool:
        return self.planned_session_id is None

    @property
    def concerning(self) -> list[str]:
        return [e for e in self.side_effects if e in CONCERNING_SIDE_EFFECTS]


@track_patient_data()
class CheckIn(models.Model):
    """An HDSS check-in: the four-statement score for each treated area (``scores``:
    area → 1–4) and an optional dryness rating per area (``dryness``: area → 0–10). The
    patient checks in every two weeks; a specialist records one at each consultation."""

    class Source(models.TextChoices):
        PATIENT = "patient", _("Patient check-in")
        CONSULTATION = "consultation", _("At a consultation")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="checkins")
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="checkins"
    )
    day = models.DateField()
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PATIENT)
    scores = models.JSONField()
    dryness = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "day", "source"], name="checkin_one_per_day_and_source"
            )
        ]

    def __str__(self):
        return f"Check-in {self.pk} on {self.day}"


@track_patient_data()
class Flag(models.Model):
    """Something the specialist should look at. Events (a concerning side effect, a current
    outside the plan, a response, a failure) raise a flag when they happen; conditions (low
    adherence, no log for 10 days) are raised by the progress refresh and close themselves
    when they no longer hold. ``key`` makes raising idempotent (one flag per occurrence)."""

    class Kind(models.TextChoices):
        SIDE_EFFECT_CONCERN = "side_effect_concern", _("Blisters or pain reported")
        SIDE_EFFECT = "side_effect", _("Side effect reported")
        CURRENT = "current", _("Current outside the plan")
        RESPONSE = "response", _("Responding: consider maintenance")
        FAILURE = "failure", _("No response after an adequate trial")
        LOW_ADHERENCE = "low_adherence", _("Adherence below 60% (last 2 weeks)")
        NO_LOG = "no_log", _("No session logged for 10 days")

    class Severity(models.IntegerChoices):
        INFO = 1, _("For review")
        WARNING = 2, _("Needs attention")
        URGENT = 3, _("Urgent")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    key = models.CharField(max_length=120)
    area = models.CharField(max_length=20, blank=True)
    detail = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    session_log = models.ForeignKey(
        SessionLog, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    raised_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Empty when the flag closed by itself (the condition stopped holding).
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-severity", "raised_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind", "key"], name="flag_unique_key")
        ]
        indexes = [models.Index(fields=["patient", "closed_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.patient_id})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Progress(models.Model):
    """A per-patient snapshot of adherence, HDSS and open flags, rewritten by
    ``progress_refresh`` after every log, check-in and acknowledgement and once a day. Lists
    (the specialist's dashboard) and the chart summary read it instead of recomputing.

    Not change-tracked on purpose: it is a cache derived entirely from tracked rows (logs,
    check-ins, flags, sessions) and is rewritten daily; history lives in those rows."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="progress"
    )
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True, related_name="+")
    computed_on = models.DateField()  # the patient's "today" the numbers were counted on
    phase = models.CharField(max_length=12, blank=True)
    planned_phase = models.PositiveIntegerField(default=0)
    done_phase = models.PositiveIntegerField(default=0)
    planned_total = models.PositiveIntegerField(default=0)
    done_total = models.PositiveIntegerField(default=0)
    skipped_total = models.PositiveIntegerField(default=0)
    missed_total = models.PositiveIntegerField(default=0)
    planned_recent = models.PositiveIntegerField(default=0)  # last 14 days
    done_recent = models.PositiveIntegerField(default=0)
    last_log_day = models.DateField(null=True, blank=True)
    last_checkin_day = models.DateField(null=True, blank=True)
    checkin_due_on = models.DateField(null=True, blank=True)
    baseline = models.JSONField(default=dict, blank=True)  # area → HDSS at the start
    latest = models.JSONField(default=dict, blank=True)  # area → latest HDSS
    open_flags = models.PositiveIntegerField(default=0)
    top_severity = models.PositiveSmallIntegerField(default=0)
    oldest_open_flag_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-top_severity", "oldest_open_flag_at"])]

    def __str__(self):
        return f"Progress of patient {self.patient_id}"

    @staticmethod
    def _percent(done: int, planned: int) -> int | None:
        return round(100 * min(done, planned) / planned) if planned else None

    @property
    def adherence_phase(self) -> int | None:
        return self._percent(self.done_phase, self.planned_phase)

    @property
    def adherence_total(self) -> int | None:
        return self._percent(self.done_total, self.planned_total)

    @property
    def adherence_recent(self) -> int | None:
        return self._percent(self.done_recent, self.planned_recent)
