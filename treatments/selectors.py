"""Reads for the treatments pages, each a fixed number of queries whatever the data size."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from patients.models import AppointmentStatus, Patient, Screen

from .models import (
    CalendarFeed,
    ConsultationNote,
    Plan,
    PlannedSession,
    PlanVersion,
)

UPCOMING_ON_CHART = 10
UPCOMING_FOR_PATIENT = 12
DONE_VISIT_STATUSES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


def specialist_patients(*, query: str = "", scope: str = "", user=None) -> QuerySet[Patient]:
    """Patients for the specialist's list: name/email search, "mine", "ready" (latest screen
    reviewed and no plan yet) or "active" (with an active plan). Latest screen status and
    outcome come as annotations (one query for the page)."""
    latest = (
        Screen.objects.filter(patient=OuterRef("pk"))
        .exclude(status=Screen.Status.SUPERSEDED)
        .order_by("-created_at", "-pk")
    )
    patients = Patient.objects.select_related(
        "user", "assigned_specialist__specialist", "plan"
    ).annotate(
        screen_status=Subquery(latest.values("status")[:1]),
        screen_outcome=Subquery(latest.values("outcome")[:1]),
        screen_refer=Subquery(latest.values("refer")[:1]),
    )
    query = query.strip()
    if query:
        patients = patients.filter(
            Q(legal_name__icontains=query)
            | Q(preferred_name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(contact_email__icontains=query)
            | Q(phone__icontains=query)
        )
    if scope == "mine" and user is not None:
        patients = patients.filter(assigned_specialist__specialist=user)
    elif scope == "ready":
        patients = patients.filter(
            plan__isnull=True,
            screen_status=Screen.Status.REVIEWED,
            screen_outcome__in=[Screen.Outcome.CLEARED, Screen.Outcome.WORKUP],
        )
    elif scope == "active":
        patients = patients.filter(plan__status=Plan.Status.ACTIVE)
    return patients.order_by("legal_name", "pk")


def patient_for_chart(patient_id: int) -> Patient:
    """The patient with login, guardian, assigned specialist and plan (one query)."""
    return get_object_or_404(
        Patient.objects.select_related(
            "user",
            "guardian",
            "assigned_specialist__specialist",
            "plan__current_version__created_by",
            "progress",  # the adherence and HDSS snapshot (issue 7)
        ),
        pk=patient_id,
    )


def _plan_of(patient: Patient) -> Plan | None:
    try:
        return patient.plan
    except Plan.DoesNotExist:
        return None


@dataclass
class Chart:
    patient: Patient
    screens: list[Screen]
    latest_screen: Screen | None
    plan: Plan | None
    versions: list[PlanVersion] = field(default_factory=list)
    items: list = field(default_factory=list)
    upcoming: list[PlannedSession] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    notes: list[ConsultationNote] = field(default_factory=list)


def chart(patient: Patient, *, today: datetime.date) -> Chart:
    """Everything the specialist's chart shows (see the query-count test for the list)."""
    screens = list(
        Screen.objects.filter(patient=patient)
        .select_related("created_by", "reviewed_by")
        .order_by("-created_at", "-pk")
    )
    latest = next((s for s in screens if s.status != Screen.Status.SUPERSEDED), None)
    plan = _plan_of(patient)
    data = Chart(patient=patient, screens=screens, latest_screen=latest, plan=plan)
    if plan is not None:
        data.versions = list(
            PlanVersion.objects.filter(plan=plan).select_related("created_by").order_by("-number")
        )
        if plan.current_version_id:
            data.items = list(plan.current_version.items.select_related("clinician"))
        data.upcoming = list(
            plan.sessions.filter(status=PlannedSession.Status.PLANNED, day__gte=today)
            .select_related("item", "appointment__specialist")
            .order_by("day", "starts_at", "pk")[:UPCOMING_ON_CHART]
        )
        data.counts = plan.sessions.aggregate(
            past=Count("pk", filter=Q(status="planned", day__lt=today)),
            upcoming=Count("pk", filter=Q(status="planned", day__gte=today)),
            cancelled=Count("pk", filter=Q(status="cancelled")),
        )
    data.notes = list(ConsultationNote.objects.filter(patient=patient).select_related("updated_by"))
    return data


def plan_sessions(plan: Plan) -> list[PlannedSession]:
    """The whole calendar of a plan (planned and cancelled), for the calendar page."""
    return list(
        plan.sessions.select_related("item__version", "appointment__specialist").order_by(
            "day", "starts_at", "pk"
        )
    )


def plan_version(plan: Plan, number: int) -> PlanVersion:
    return get_object_or_404(
        PlanVersion.objects.select_related("created_by", "screen").prefetch_related(
            "items__clinician"
        ),
        plan=plan,
        number=number,
    )


def note_with_revisions(patient: Patient, note_id: int) -> ConsultationNote:
    return get_object_or_404(
        ConsultationNote.objects.prefetch_related("revisions__author"),
        patient=patient,
        pk=note_id,
    )


# --- Patients' own pages --------------------------------------------------------------------
def patients_for_user(user) -> QuerySet[Patient]:
    """The people this login acts for: themselves and their dependants."""
    return Patient.objects.filter(Q(user=user) | Q(guardian=user))


def my_treatment(user, *, today: datetime.date) -> list[dict]:
    """One entry per person the user acts for: their plan's current items, upcoming sessions
    and active calendar feed (four queries whatever the number of sessions)."""
    patients = list(
        patients_for_user(user)
        .select_related("plan__current_version", "progress")
        .order_by("legal_name", "pk")
    )
    plans = [p.plan for p in patients if _plan_of(p) is not None]
    version_ids = [p.current_version_id for p in plans if p.current_version_id]
    from .models import PlanItem

    items: dict[int, list] = {}
    for item in PlanItem.objects.filter(version_id__in=version_ids):
        items.setdefault(item.version_id, []).append(item)
    upcoming: dict[int, list] = {}
    if plans:
        # Coming up = still to do: a home session already logged, or a clinic visit already
        # attended (or missed), is behind the patient even when it was today.
        sessions = (
            PlannedSession.objects.filter(
                plan__in=plans,
                status=PlannedSession.Status.PLANNED,
                day__gte=today,
                log__isnull=True,
            )
            .exclude(appointment__status__in=DONE_VISIT_STATUSES)
            .select_related("item", "appointment")
            .order_by("plan_id", "day", "starts_at", "pk")
        )
        for s in sessions:
            bucket = upcoming.setdefault(s.plan_id, [])
            if len(bucket) < UPCOMING_FOR_PATIENT:
                bucket.append(s)
    feeds = {
        f.patient_id: f
        for f in CalendarFeed.objects.filter(patient__in=patients, revoked_at__isnull=True)
    }
    rows = []
    for patient in sorted(patients, key=lambda p: (p.user_id != user.pk, p.legal_name)):
        plan = _plan_of(patient)
        active = plan is not None and plan.status == Plan.Status.ACTIVE
        rows.append(
            {
                "patient": patient,
                "is_self": patient.user_id == user.pk,
                "plan": plan if active else None,
                "items": items.get(plan.current_version_id, []) if active else [],
                "upcoming": upcoming.get(plan.pk, []) if active else [],
                "feed": feeds.get(patient.pk),
            }
        )
    return rows


def feed_by_token(token: str) -> CalendarFeed:
    return get_object_or_404(
        CalendarFeed.objects.select_related("patient"), token=token, revoked_at__isnull=True
    )


def sessions_for_calendar(patient: Patient, *, since: datetime.date) -> list[PlannedSession]:
    """The sessions a calendar file carries: planned ones from ``since`` and cancelled future
    ones (so subscribed calendars drop them)."""
    return list(
        PlannedSession.objects.filter(plan__patient=patient, day__gte=since)
        .filter(Q(status=PlannedSession.Status.PLANNED) | Q(status=PlannedSession.Status.CANCELLED))
        .select_related("appointment")
        .order_by("day", "starts_at", "pk")
    )
