"""Writes for home-session logs, HDSS check-ins, flags and the progress snapshot.

- ``session_log_create`` / ``session_log_edit``: the patient (or guardian) logs a planned home
  session as done or skipped, or an extra one. Editable for 48 hours. A current outside the
  plan's bounds is kept and flagged; blisters or pain flag at once; other side effects wait
  for the specialist's review (a low-severity flag).
- ``checkin_record``: the HDSS of each treated area (patient every two weeks, specialist at a
  consultation).
- ``progress_refresh``: recount the patient's snapshot, raise response/failure flags (a failure
  also records the outcome in the patient's record, for the next screen), raise or close the
  condition flags (adherence under 60% over two weeks, no log for 10 days). Called by every
  write here and daily for every active plan.
- ``flag_acknowledge``: the specialist closes a flag with a note.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.notify.services import reminders_cancel
from patients.labels import AREA_LABELS
from patients.models import Patient
from patients.services.outcomes import treatment_outcome_record

from .. import progress
from ..models import (
    CONCERNING_SIDE_EFFECTS,
    CheckIn,
    Flag,
    Plan,
    PlannedSession,
    Progress,
    SessionLog,
    Setting,
    SideEffect,
    SkipReason,
)
from ..progress_data import home_ion_items, summary, treated_areas
from ..schedule import MIN_MA
from .sessions import patient_today

EDIT_WINDOW = datetime.timedelta(hours=48)
MAX_MINUTES = 60
OUTCOME_SOURCE = "treatments.tracking"


class TrackingError(Exception):
    """A log or check-in that cannot be saved as asked; ``messages`` are for the person."""

    def __init__(self, *messages: str):
        self.messages = [str(m) for m in messages]
        super().__init__("; ".join(self.messages))

    @property
    def message(self) -> str:
        return " ".join(self.messages)


@dataclass(frozen=True)
class LogEntry:
    """What the person entered (a form's cleaned data)."""

    status: str = SessionLog.Status.DONE
    day: datetime.date | None = None
    minutes: int | None = None
    current_ma: Decimal | None = None
    areas: tuple[str, ...] = ()
    side_effects: tuple[str, ...] = ()
    side_effect_other: str = ""
    skip_reason: str = ""
    notes: str = ""


def _acting_patient(patient_id: int, user) -> Patient:
    """The patient, locked, if ``user`` is them or their guardian."""
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("plan__current_version")
        .filter(pk=patient_id)
        .first()
    )
    if patient is None or user.pk not in (patient.user_id, patient.guardian_id):
        raise TrackingError(_("There is no such patient."))
    return patient


def _active_plan(patient: Patient) -> Plan:
    plan = getattr(patient, "plan", None)  # the reverse one-to-one raises AttributeError
    if plan is None or plan.status != Plan.Status.ACTIVE or plan.current_version_id is None:
        raise TrackingError(_("There is no active treatment plan to log sessions for."))
    return plan


def _check_entry(entry: LogEntry, *, item, today, start) -> list[str]:
    errors: list[str] = []
    if entry.day is None:
        errors.append(_("Choose the day of the session."))
    elif entry.day > today:
        errors.append(_("The day cannot be in the future."))
    elif start and entry.day < start:
        errors.append(
            _("Your plan started on %(d)s: choose a day from then on.") % {"d": f"{start:%d %b}"}
        )
    if entry.status not in SessionLog.Status.values:
        errors.append(_("Say whether the session was done or skipped."))
        return errors
    if entry.status == SessionLog.Status.SKIPPED:
        if entry.skip_reason not in SkipReason.values:
            errors.append(_("Choose why the session was skipped."))
        elif entry.skip_reason == SkipReason.OTHER and not entry.notes.strip():
            errors.append(_("Write a few words about why it was skipped."))
        return errors
    if entry.minutes is None or not 1 <= entry.minutes <= MAX_MINUTES:
        errors.append(_("A session lasts 1 to %(n)s minutes.") % {"n": MAX_MINUTES})
    if entry.current_ma is None or entry.current_ma <= 0:
        errors.append(_("Enter the current you reached, in mA (for example 12)."))
    if not entry.areas:
        errors.append(_("Choose where you treated."))
    elif not set(entry.areas) <= set(item.areas):
        errors.append(_("Choose only areas of your plan."))
    effects = set(entry.side_effects)
    if not effects:
        errors.append(_("Choose the side effects, or “None”."))
    elif not effects <= set(SideEffect.values):
        errors.append(_("Choose side effects from the list."))
    elif SideEffect.NONE in effects and len(effects) > 1:
        errors.append(_("“None” cannot go with other side effects."))
    elif SideEffect.OTHER in effects and not entry.side_effect_other.strip():
        errors.append(_("Describe the other side effect."))
    return errors


def _ordered(values, order) -> list[str]:
    return [v for v in order if v in set(values)]


def _apply(log: SessionLog, entry: LogEntry, *, item) -> None:
    log.status = entry.status
    log.day = entry.day
    log.item = item
    log.notes = entry.notes.strip()
    if entry.status == SessionLog.Status.SKIPPED:
        log.minutes = log.current_ma = None
        log.areas, log.side_effects = list(item.areas), []
        log.side_effect_other = ""
        log.skip_reason = entry.skip_reason
        log.current_max_ma, log.current_out_of_bounds = item.current_ma, False
        return
    log.minutes = entry.minutes
    log.current_ma = entry.current_ma
    log.areas = _ordered(entry.areas, AREA_LABELS)
    log.side_effects = _ordered(entry.side_effects, SideEffect.values)
    log.side_effect_other = (
        entry.side_effect_other.strip() if SideEffect.OTHER in entry.side_effects else ""
    )
    log.skip_reason = ""
    log.current_max_ma = item.current_ma
    log.current_out_of_bounds = item.current_ma is not None and not (
        MIN_MA <= entry.current_ma <= item.current_ma
    )


def _double_logged(log: SessionLog) -> bool:
    """Another "done" log of the same area on the same day (a double tap, or twice typed)."""
    if log.status != SessionLog.Status.DONE:
        return False
    others = SessionLog.objects.filter(
        patient_id=log.patient_id, day=log.day, status=SessionLog.Status.DONE
    ).exclude(pk=log.pk)
    return any(set(o.areas) & set(log.areas) for o in others)


def _item_for_areas(plan: Plan, areas) -> object:
    items = home_ion_items(plan.current_version.items.all())
    if not items:
        raise TrackingError(_("Your plan has no home sessions to log."))
    if not areas:
        return items[0]
    for item in items:
        if set(areas) <= set(item.areas):
            return item
    raise TrackingError(_("Log one treatment at a time: choose areas of one device session."))


def _plan_start(plan: Plan):
    return plan.sessions.aggregate(first=Min("day"))["first"]


@transaction.atomic
def session_log_create(
    *,
    user,
    patient_id: int,
    planned_session_id: int | None = None,
    entry: LogEntry | None = None,
    as_planned: bool = False,
    now=None,
) -> SessionLog:
    """Log a planned home session (``as_planned`` fills in the plan's minutes, current and
    areas with no side effects: the two-tap path) or an extra one (no ``planned_session_id``).
    Raises ``TrackingError`` listing every problem; nothing is written then."""
    now = now or timezone.now()
    patient = _acting_patient(patient_id, user)
    plan = _active_plan(patient)
    today = patient_today(patient, now)
    session = None
    if planned_session_id is not None:
        session = (
            PlannedSession.objects.select_for_update(of=("self",))
            .select_related("item")
            .filter(
                pk=planned_session_id,
                plan=plan,
                kind=PlannedSession.Kind.SESSION,
                setting=Setting.HOME,
                status=PlannedSession.Status.PLANNED,
            )
            .first()
        )
        if session is None:
            raise TrackingError(_("This session is not in your plan any more."))
        if SessionLog.objects.filter(planned_session=session).exists():
            raise TrackingError(_("This session is already logged."))
        if session.day > today:
            raise TrackingError(_("This session is not due yet: log it on the day."))
        item = session.item
        if as_planned:
            entry = LogEntry(
                status=SessionLog.Status.DONE,
                day=session.day,
                minutes=session.duration_minutes or item.session_minutes,
                current_ma=item.current_ma,
                areas=tuple(item.areas),
                side_effects=(SideEffect.NONE,),
            )
        elif entry is not None and entry.day is None:
            entry = _replace_day(entry, session.day)
    elif entry is None or as_planned:
        raise TrackingError(_("Tell us about the session."))
    else:
        item = _item_for_areas(plan, entry.areas)
    errors = _check_entry(entry, item=item, today=today, start=_plan_start(plan))
    if errors:
        raise TrackingError(*errors)
    log = SessionLog(patient=patient, plan=plan, planned_session=session, logged_by=user)
    _apply(log, entry, item=item)
    if _double_logged(log):
        raise TrackingError(_("A session on that day is already logged for this area."))
    try:
        with transaction.atomic():
            log.save()
    except IntegrityError:
        raise TrackingError(_("This session is already logged.")) from None
    _log_flags(log, now=now)
    _cancel_nudge(session)
    progress_refresh(patient=patient, now=now)
    return log


def _replace_day(entry: LogEntry, day) -> LogEntry:
    from dataclasses import replace

    return replace(entry, day=day)


def editable(log: SessionLog, *, now=None) -> bool:
    now = now or timezone.now()
    return now < log.created_at + EDIT_WINDOW


@transaction.atomic
def session_log_edit(*, user, log_id: int, entry: LogEntry, now=None) -> SessionLog:
    """Change a log within 48 hours of logging it; after that it is read-only. A planned
    session's log keeps its day unless one is given."""
    now = now or timezone.now()
    log = (
        SessionLog.objects.select_for_update(of=("self",))
        .select_related("planned_session", "item", "plan")
        .filter(pk=log_id)
        .first()
    )
    if log is None:
        raise TrackingError(_("There is no such log."))
    patient = _acting_patient(log.patient_id, user)
    if not editable(log, now=now):
        raise TrackingError(_("This log can no longer be changed (48 hours have passed)."))
    if entry.day is None:
        entry = _replace_day(entry, log.day)
    today = patient_today(patient, now)
    item = log.item if log.planned_session_id else _item_for_areas(log.plan, entry.areas)
    errors = _check_entry(entry, item=item, today=today, start=_plan_start(log.plan))
    if errors:
        raise TrackingError(*errors)
    _apply(log, entry, item=item)
    if _double_logged(log):
        raise TrackingError(_("A session on that day is already logged for this area."))
    log.save()
    _log_flags(log, now=now)
    progress_refresh(patient=patient, now=now)
    return log


def _raise(*, patient, plan, kind, severity, key, detail, now, area="", log=None, data=None):
    """Open a flag once per key (a flag acknowledged earlier stays closed)."""
    flag, created = Flag.objects.get_or_create(
        patient=patient,
        kind=kind,
        key=key,
        defaults={
            "plan": plan,
            "severity": severity,
            "area": area,
            "detail": detail,
            "data": data or {},
            "session_log": log,
            "raised_at": now,
        },
    )
    return flag if created else None


def _close(flags, *, now, note: str) -> int:
    return flags.filter(closed_at__isnull=True).update(closed_at=now, close_note=note)


def _log_flags(log: SessionLog, *, now) -> None:
    """Flags for what a log says; flags of an earlier version of the same log that no longer
    hold close themselves."""
    wanted: list[tuple[str, str]] = []
    effects = [e for e in log.side_effects if e != SideEffect.NONE]
    day = f"{log.day:%a %d %b}"
    if effects:
        names = ", ".join(str(SideEffect(e).label).lower() for e in effects)
        if log.side_effect_other:
            names += f" ({log.side_effect_other})"
        concerning = [e for e in effects if e in CONCERNING_SIDE_EFFECTS]
        kind = Flag.Kind.SIDE_EFFECT_CONCERN if concerning else Flag.Kind.SIDE_EFFECT
        key = f"log:{log.pk}:{'+'.join(effects)}"
        wanted.append((kind, key))
        _raise(
            patient=log.patient,
            plan=log.plan,
            kind=kind,
            severity=Flag.Severity.URGENT if concerning else Flag.Severity.INFO,
            key=key,
            detail=f"Session of {day}: {names}.",
            now=now,
            log=log,
        )
    if log.current_out_of_bounds:
        key = f"log:{log.pk}:{log.current_ma}"
        wanted.append((Flag.Kind.CURRENT, key))
        _raise(
            patient=log.patient,
            plan=log.plan,
            kind=Flag.Kind.CURRENT,
            severity=Flag.Severity.WARNING,
            key=key,
            detail=(
                f"Session of {day}: {_ma(log.current_ma)} mA logged; the plan's current is "
                f"{MIN_MA}–{_ma(log.current_max_ma)} mA."
            ),
            now=now,
            log=log,
            data={"current_ma": str(log.current_ma), "max_ma": str(log.current_max_ma)},
        )
    stale = Flag.objects.filter(session_log=log)
    for kind, key in wanted:
        stale = stale.exclude(kind=kind, key=key)
    _close(stale, now=now, note="The patient changed the log.")


def _ma(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _cancel_nudge(session: PlannedSession | None) -> None:
    """A logged session needs no more reminders: its pending "not logged yet?" nudge (and any
    other reminder of it) is cancelled in this transaction. The dispatcher would also drop it
    (``nudge.is_valid``), but cancelling now shows the right status straight away."""
    if session is not None:
        reminders_cancel(target=session, reason="the session was logged")


@transaction.atomic
def checkin_record(
    *,
    user,
    patient_id: int,
    scores: dict,
    dryness: dict | None = None,
    source: str = CheckIn.Source.PATIENT,
    day: datetime.date | None = None,
    now=None,
) -> CheckIn:
    """Record the HDSS (1–4) of every treated area, and optionally a dryness rating (0–10)
    per area. Patients check in for today (a second check-in the same day replaces the
    first); specialists record one at a consultation (``source="consultation"``, any day
    up to today)."""
    now = now or timezone.now()
    dryness = {k: v for k, v in (dryness or {}).items() if v is not None}
    if source == CheckIn.Source.CONSULTATION:
        if not user.has_perm("accounts.assign_plans"):
            raise TrackingError(_("Only specialists record a check-in at a consultation."))
        patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
        if patient is None:
            raise TrackingError(_("There is no such patient."))
    elif source == CheckIn.Source.PATIENT:
        patient = _acting_patient(patient_id, user)
    else:
        raise TrackingError(_("Unknown kind of check-in."))
    plan = Plan.objects.filter(patient=patient).select_related("current_version").first()
    if plan is None or plan.current_version_id is None:
        raise TrackingError(_("There is no treatment plan to check in for yet."))
    areas = treated_areas(plan.current_version.items.all())
    today = patient_today(patient, now)
    day = day if source == CheckIn.Source.CONSULTATION and day else today
    errors = []
    if day > today:
        errors.append(_("The day cannot be in the future."))
    missing = [a for a in areas if a not in scores]
    if missing or set(scores) - set(areas):
        errors.append(_("Choose a sentence for each treated area."))
    if any(type(v) is not int or not 1 <= v <= 4 for v in scores.values()):
        errors.append(_("Choose one of the four sentences."))
    if set(dryness) - set(areas) or any(
        type(v) is not int or not 0 <= v <= 10 for v in dryness.values()
    ):
        errors.append(_("Dryness is a number from 0 to 10."))
    if errors:
        raise TrackingError(*errors)
    checkin, _created = CheckIn.objects.update_or_create(
        patient=patient,
        day=day,
        source=source,
        defaults={
            "plan": plan,
            "scores": {a: scores[a] for a in areas},
            "dryness": {a: dryness[a] for a in areas if a in dryness},
            "recorded_by": user,
        },
    )
    progress_refresh(patient=patient, now=now)
    return checkin


@transaction.atomic
def flag_acknowledge(*, user, flag_id: int, note: str = "", now=None) -> Flag:
    """The specialist has seen the flag: close it with an optional note."""
    if not user.has_perm("accounts.assign_plans"):
        raise TrackingError(_("Only specialists acknowledge flags."))
    now = now or timezone.now()
    flag = Flag.objects.select_for_update(of=("self",)).filter(pk=flag_id).first()
    if flag is None:
        raise TrackingError(_("There is no such flag."))
    if flag.closed_at is not None:
        raise TrackingError(_("This flag was already closed."))
    flag.closed_at = now
    flag.closed_by = user
    flag.close_note = note.strip()
    flag.save(update_fields=["closed_at", "closed_by", "close_note"])
    progress_refresh(patient=flag.patient, now=now)
    return flag


# --- The snapshot and the flags it raises -----------------------------------------------------
def progress_refresh(*, patient: Patient, now=None) -> Progress:
    """Recount the patient's progress (``progress_data.summary``), raise response and failure
    flags (recording a failure as a tried treatment for the next screen), raise or close the
    condition flags, and store the snapshot. Idempotent: a second run changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        patient = Patient.objects.select_related("plan").get(pk=patient.pk)
        today = patient_today(patient, now)
        data = summary(patient, today=today)
        if data.plan is not None and data.plan.status == Plan.Status.ACTIVE:
            _outcome_flags(data, now=now)
            _condition_flags(data, now=now)
        else:
            _close(
                Flag.objects.filter(
                    patient=patient, kind__in=[Flag.Kind.LOW_ADHERENCE, Flag.Kind.NO_LOG]
                ),
                now=now,
                note="The plan is no longer active.",
            )
        return _store(data)


def _outcome_flags(data, *, now) -> None:
    plan = data.plan
    for area in data.areas:
        result = area.assessment
        if result is None or result.kind is None:
            continue
        label = area.label
        if result.kind == progress.RESPONSE:
            _raise(
                patient=data.patient,
                plan=plan,
                kind=Flag.Kind.RESPONSE,
                severity=Flag.Severity.INFO,
                key=f"plan:{plan.pk}:{area.area}",
                area=area.area,
                detail=(
                    f"{label}: HDSS {result.baseline} → {result.latest} "
                    f"(check-in {result.latest_day:%d %b}) after {result.sessions} sessions. "
                    "Consider moving to maintenance."
                ),
                now=now,
                data={"baseline": result.baseline, "latest": result.latest},
            )
        else:
            raised = _raise(
                patient=data.patient,
                plan=plan,
                kind=Flag.Kind.FAILURE,
                severity=Flag.Severity.URGENT,
                key=f"plan:{plan.pk}:{area.area}",
                area=area.area,
                detail=(
                    f"{label}: HDSS {result.baseline} → {result.latest} after "
                    f"{result.sessions} sessions over {result.weeks} weeks (an adequate "
                    "trial). Review the plan; iontophoresis is recorded as failed."
                ),
                now=now,
                data={
                    "baseline": result.baseline,
                    "latest": result.latest,
                    "sessions": result.sessions,
                    "weeks": result.weeks,
                },
            )
            if raised is not None:
                treatment_outcome_record(
                    patient_id=data.patient.pk,
                    treatment="iontophoresis",
                    outcome="failed",
                    area=area.area,
                    sessions=result.sessions,
                    weeks=result.weeks,
                    source=OUTCOME_SOURCE,
                    note=f"No HDSS change ({result.baseline} → {result.latest}).",
                )


def _condition_flags(data, *, now) -> None:
    patient, plan, today = data.patient, data.plan, data.today
    low = Flag.objects.filter(patient=patient, kind=Flag.Kind.LOW_ADHERENCE)
    recent = data.adherence_recent
    # At least two sessions due in the window: one missed weekly session is not a pattern.
    if recent is not None and data.planned_recent >= 2 and recent < progress.LOW_ADHERENCE_PERCENT:
        detail = (
            f"{data.done_recent} of {data.planned_recent} planned sessions done in the "
            f"last 2 weeks ({recent}%)."
        )
        counts = {"done": data.done_recent, "planned": data.planned_recent}
        # One open flag at a time, kept up to date; once acknowledged, a new one can open the
        # next week if adherence is still low.
        if not low.filter(closed_at__isnull=True).update(detail=detail, data=counts):
            monday = today - datetime.timedelta(days=today.weekday())
            _raise(
                patient=patient,
                plan=plan,
                kind=Flag.Kind.LOW_ADHERENCE,
                severity=Flag.Severity.WARNING,
                key=f"week:{monday.isoformat()}",
                detail=detail,
                now=now,
                data=counts,
            )
    else:
        _close(low, now=now, note="Adherence is back to 60% or more.")
    anchor = data.last_log_day or data.start_day
    quiet = (
        anchor is not None
        and data.planned_total > 0
        and (today - anchor).days >= progress.NO_LOG_DAYS
    )
    silent = Flag.objects.filter(patient=patient, kind=Flag.Kind.NO_LOG)
    if quiet:
        _raise(
            patient=patient,
            plan=plan,
            kind=Flag.Kind.NO_LOG,
            severity=Flag.Severity.WARNING,
            key=f"since:{anchor.isoformat()}",
            detail=(
                f"Nothing logged since {anchor:%a %d %b}."
                if data.last_log_day
                else f"Nothing logged since the plan started ({anchor:%a %d %b})."
            ),
            now=now,
        )
        silent = silent.exclude(key=f"since:{anchor.isoformat()}")
    _close(silent, now=now, note="The patient logged a session.")


def _store(data) -> Progress:
    flags = Flag.objects.filter(patient=data.patient, closed_at__isnull=True)
    open_flags = list(flags.values_list("severity", "raised_at"))
    values = {
        "plan": data.plan,
        "computed_on": data.today,
        "phase": data.phase,
        "planned_phase": data.planned_phase,
        "done_phase": data.done_phase,
        "planned_total": data.planned_total,
        "done_total": data.done_total,
        "skipped_total": data.skipped_total,
        "missed_total": data.missed_total,
        "planned_recent": data.planned_recent,
        "done_recent": data.done_recent,
        "last_log_day": data.last_log_day,
        "last_checkin_day": data.last_checkin_day,
        "checkin_due_on": data.checkin_due_on,
        "baseline": {a.area: a.baseline for a in data.areas if a.baseline is not None},
        "latest": {a.area: a.latest for a in data.areas if a.latest is not None},
        "open_flags": len(open_flags),
        "top_severity": max((s for s, _ in open_flags), default=0),
        "oldest_open_flag_at": min((t for _, t in open_flags), default=None),
    }
    snapshot, _ = Progress.objects.update_or_create(patient=data.patient, defaults=values)
    return snapshot


def progress_refresh_all(*, now=None) -> int:
    """The daily run: refresh every patient with a plan (each in its own transaction, so
    one failure does not hold up the others). Returns how many were refreshed."""
    now = now or timezone.now()
    ids = list(Plan.objects.values_list("patient_id", flat=True).order_by("patient_id"))
    done = 0
    for patient_id in ids:
        progress_refresh(patient=Patient(pk=patient_id), now=now)
        done += 1
    return done
