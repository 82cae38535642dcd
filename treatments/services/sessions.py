"""Bringing a plan's planned sessions in line with its current version.

The desired calendar comes from the pure ``schedule`` module (iontophoresis sessions) plus one
dated entry per procedure and per review. Past sessions are never touched: a session is past
once its start time has gone by (or, for an in-clinic one not yet timed, once its day has).
Future sessions are kept when still wanted (moved in place, ``revision`` + 1, if their time or
length changed), cancelled (``revision`` + 1) when not, and new ones are added. The same
function extends maintenance up to a rolling horizon, run daily by a periodic task.

In-clinic iontophoresis sessions are treatment-visit appointments (patients app): new ones are
booked, moved ones rescheduled and dropped ones cancelled through the booking services in the
same transaction, so a clash with any other appointment refuses the whole change. A visit that
staff moved or cancelled from the clinic calendar is left as staff left it until the plan
itself changes that session (a cancelled one is not booked again).
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.notify.services import reminders_cancel, reminders_schedule
from patients.models import AppointmentStatus
from patients.services.booking import (
    Visit,
    VisitsRefused,
    treatment_visit_problems,
    treatment_visits_apply,
)

from .. import defaults
from ..models import Plan, PlanItem, PlannedSession, Setting
from ..schedule import IontophoresisSchedule, ScheduleError, check_limits, generate, local_start
from .errors import PlanError

HORIZON_WEEKS = 8
REVIEW_SERIES = "review"
# An in-clinic visit holds the clinician for the session plus settling in and the trays.
VISIT_EXTRA_MINUTES = 10


def _zone(patient) -> str:
    try:
        zoneinfo.ZoneInfo(patient.time_zone)
        return patient.time_zone
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return settings.CLINIC_TIME_ZONE


def patient_zone(patient) -> zoneinfo.ZoneInfo:
    """The patient's own time zone (the clinic's when unset or unknown)."""
    return zoneinfo.ZoneInfo(_zone(patient))


def patient_today(patient, now=None) -> datetime.date:
    """Today in the patient's own time zone."""
    now = now or timezone.now()
    return now.astimezone(zoneinfo.ZoneInfo(_zone(patient))).date()


@dataclass(frozen=True)
class Wanted:
    series: str
    day: datetime.date
    kind: str
    setting: str
    phase: str
    starts_at: datetime.datetime | None
    duration_minutes: int | None
    item: PlanItem
    clinician_id: int | None = None  # who runs an in-clinic session (its appointment)

    def visit(self) -> Visit | None:
        """The treatment-visit appointment this session needs, if any."""
        if self.setting != Setting.CLINIC or self.starts_at is None or not self.clinician_id:
            return None
        minutes = (self.duration_minutes or 0) + VISIT_EXTRA_MINUTES
        return Visit(
            specialist_id=self.clinician_id,
            start=self.starts_at,
            end=self.starts_at + datetime.timedelta(minutes=minutes),
        )


def _schedule(item: PlanItem) -> IontophoresisSchedule:
    return IontophoresisSchedule(
        start=item.start_date,
        weekdays=tuple(item.weekdays),
        sessions_per_week=item.sessions_per_week,
        initial_weeks=item.initial_weeks,
        maintenance_interval_weeks=item.maintenance_interval_weeks,
        maintenance_from=item.maintenance_from,
    )


def wanted_sessions(items, *, patient, until: datetime.date) -> list[Wanted]:
    """Every session, procedure and review the items call for, up to ``until``."""
    zone = _zone(patient)
    wanted: list[Wanted] = []
    reviews: dict[datetime.date, PlanItem] = {}
    for item in items:
        if item.is_iontophoresis:
            try:
                slots = generate(_schedule(item), until=until)
            except ScheduleError as exc:
                raise PlanError(*exc.messages) from exc
            home = item.setting == Setting.HOME
            for slot in slots:
                if home:
                    starts_at = local_start(slot.day, patient.home_session_time, zone)
                elif item.clinic_time is not None:
                    # The clinic's wall clock: it is where the clinician works.
                    starts_at = local_start(slot.day, item.clinic_time, settings.CLINIC_TIME_ZONE)
                else:
                    starts_at = None  # a plan made before visits had a time
                wanted.append(
                    Wanted(
                        series=item.series,
                        day=slot.day,
                        kind=PlannedSession.Kind.SESSION,
                        setting=item.setting,
                        phase=slot.phase,
                        starts_at=starts_at,
                        duration_minutes=item.session_minutes,
                        item=item,
                        clinician_id=None if home else item.clinician_id,
                    )
                )
        if defaults.NEEDS[item.treatment] == defaults.PROCEDURE and item.procedure_date:
            wanted.append(
                Wanted(
                    series=item.series,
                    day=item.procedure_date,
                    kind=PlannedSession.Kind.PROCEDURE,
                    setting=Setting.CLINIC,
                    phase="",
                    starts_at=None,
                    duration_minutes=None,
                    item=item,
                )
            )
        if item.review_date:
            reviews.setdefault(item.review_date, item)
    for day, item in sorted(reviews.items()):
        wanted.append(
            Wanted(
                series=REVIEW_SERIES,
                day=day,
                kind=PlannedSession.Kind.REVIEW,
                setting=Setting.CLINIC,
                phase="",
                starts_at=None,
                duration_minutes=None,
                item=item,
            )
        )
    return wanted


def _is_past(session, *, now, today) -> bool:
    if session.appointment_id is not None:
        return session.appointment.start <= now  # staff may have moved the visit
    if session.starts_at is not None:
        return session.starts_at <= now
    return session.day < today


def _visit_settled(session) -> bool:
    """A visit the clinic cancelled (or that already has an outcome): not booked again."""
    return (
        session.appointment_id is not None
        and session.appointment.status != AppointmentStatus.BOOKED
    )


@transaction.atomic
def plan_sessions_sync(*, plan: Plan, now=None, by=None, lenient: bool = False) -> dict:
    """Make the plan's planned sessions match its current version, up to today + the
    horizon, and book, move or cancel the treatment visits of in-clinic sessions to match
    (``by``: who made the change; None for the periodic task). Returns counts {"kept",
    "moved", "cancelled", "added"}.

    Raises ``PlanError`` if the result would put two sessions of one area on one day or more
    than five in a week (counting the past sessions that stay), or if an in-clinic visit
    cannot be held (outside the clinician's hours, time off, a clash with another appointment
    of the clinician or the patient); the caller's transaction then writes nothing.

    ``lenient`` (the periodic extension, which nobody is watching): a new in-clinic session
    whose time is already taken is added without its visit instead of holding up the whole
    plan; the chart marks it "visit not booked" for the specialist to rearrange."""
    now = now or timezone.now()
    plan = (
        Plan.objects.select_for_update(of=("self",))
        .select_related("patient", "current_version")
        .get(pk=plan.pk)
    )
    patient = plan.patient
    today = patient_today(patient, now)
    until = today + datetime.timedelta(weeks=HORIZON_WEEKS)
    counts = {"kept": 0, "moved": 0, "cancelled": 0, "added": 0}
    existing = list(
        plan.sessions.filter(status=PlannedSession.Status.PLANNED).select_related(
            "item", "appointment"
        )
    )
    past = [s for s in existing if _is_past(s, now=now, today=today)]
    upcoming = [s for s in existing if not _is_past(s, now=now, today=today)]
    settled = {(s.series, s.day): s for s in upcoming if _visit_settled(s)}
    future = {(s.series, s.day): s for s in upcoming if not _visit_settled(s)}
    if plan.status != Plan.Status.ACTIVE or plan.current_version_id is None:
        items: list[PlanItem] = []
    else:
        items = list(plan.current_version.items.all())
    past_keys = {(s.series, s.day) for s in past}
    wanted = [
        w
        for w in wanted_sessions(items, patient=patient, until=until)
        if (w.series, w.day) not in past_keys
        and (w.day >= today)
        and (w.starts_at is None or w.starts_at > now)
    ]
    _check_area_limits(past=past, wanted=wanted, items=items)

    wanted_keys = set()
    to_create = []
    book: list[tuple[PlannedSession, Visit]] = []
    move = []
    cancel = []
    moved_sessions: list[PlannedSession] = []
    for w in wanted:
        key = (w.series, w.day)
        wanted_keys.add(key)
        if key in settled:
            counts["kept"] += 1  # the clinic cancelled this visit: it stays cancelled
            continue
        session = future.get(key)
        visit = w.visit()
        if session is None:
            session = PlannedSession(
                plan=plan,
                item=w.item,
                series=w.series,
                kind=w.kind,
                setting=w.setting,
                phase=w.phase,
                day=w.day,
                starts_at=w.starts_at,
                duration_minutes=w.duration_minutes,
            )
            to_create.append(session)
            if visit is not None:
                book.append((session, visit))
            continue
        moved = (session.starts_at, session.duration_minutes, session.setting) != (
            w.starts_at,
            w.duration_minutes,
            w.setting,
        ) or (w.setting == Setting.CLINIC and session.item.clinician_id != w.clinician_id)
        if moved:
            appointment = session.appointment if session.appointment_id else None
            if appointment is not None and visit is not None:
                move.append((appointment, visit))
            elif appointment is not None:
                cancel.append(appointment)
                session.appointment = None
            elif visit is not None:
                book.append((session, visit))
        if moved or session.item_id != w.item.pk or session.phase != w.phase:
            session.item = w.item
            session.phase = w.phase
            session.kind = w.kind
            if moved:
                session.starts_at = w.starts_at
                session.duration_minutes = w.duration_minutes
                session.setting = w.setting
                session.revision += 1
                moved_sessions.append(session)
            session.save()
        counts["moved" if moved else "kept"] += 1
    for key, session in [*future.items(), *settled.items()]:
        if key not in wanted_keys:
            if session.appointment_id and not _visit_settled(session):
                cancel.append(session.appointment)
            session.status = PlannedSession.Status.CANCELLED
            session.revision += 1
            session.save(update_fields=["status", "revision", "updated_at"])
            reminders_cancel(target=session, reason="session cancelled")
            counts["cancelled"] += 1
    if lenient and book:
        book = [
            (session, visit)
            for session, visit in book
            if not treatment_visit_problems(
                patient=patient, visits=[visit], ignore_ids=[a.pk for a in cancel]
            )
        ]
    if book or move or cancel:
        try:
            booked = treatment_visits_apply(
                patient=patient,
                book=[visit for _session, visit in book],
                move=move,
                cancel=cancel,
                by=by,
                reason="Treatment plan changed" if (move or cancel) else "",
                now=now,
            )
        except VisitsRefused as exc:
            raise PlanError(*exc.problems) from exc
        for (session, _visit), appointment in zip(book, booked, strict=True):
            session.appointment = appointment
            if session.pk is not None:  # an existing session that moved into the clinic
                session.save(update_fields=["appointment", "updated_at"])
    PlannedSession.objects.bulk_create(to_create)
    counts["added"] = len(to_create)
    # Home-session reminders, keyed on (session, revision), in this same transaction (R2): a
    # moved session's old rows are cancelled and its new time gets its own.
    for session in [*moved_sessions, *(s for s in to_create if s.setting == Setting.HOME)]:
        reminders_schedule(target=session, version=session.revision, now=now)
    plan.horizon_until = until
    plan.save(update_fields=["horizon_until", "updated_at"])
    return counts


def _check_area_limits(*, past, wanted, items) -> None:
    """One session a day and five a week per treated area, past and future together."""
    areas_of = {i.series: i.areas for i in items}
    per_area: dict[str, list[datetime.date]] = {}
    for s in past:
        if s.kind == PlannedSession.Kind.SESSION:
            for area in s.item.areas:
                per_area.setdefault(area, []).append(s.day)
    for w in wanted:
        if w.kind == PlannedSession.Kind.SESSION:
            for area in areas_of.get(w.series, w.item.areas):
                per_area.setdefault(area, []).append(w.day)
    from patients.labels import AREA_LABELS

    errors = []
    for area, days in per_area.items():
        errors += [f"{AREA_LABELS.get(area, area)}: {m}" for m in check_limits(days)]
    if errors:
        raise PlanError(*errors)


def plans_extend_horizon(*, now=None) -> int:
    """Extend every active plan's calendar up to today + the horizon (each plan in its own
    transaction, so one bad plan does not hold up the others). Returns the plans touched."""
    now = now or timezone.now()
    due = timezone.localdate(now) + datetime.timedelta(weeks=HORIZON_WEEKS)
    plan_ids = list(
        Plan.objects.filter(status=Plan.Status.ACTIVE, current_version__isnull=False)
        .exclude(horizon_until__gte=due)
        .values_list("pk", flat=True)
    )
    done = 0
    for plan_id in plan_ids:
        try:
            plan_sessions_sync(plan=Plan(pk=plan_id), now=now, lenient=True)
        except PlanError:
            continue  # shown on the chart when the specialist next opens it
        done += 1
    return done
