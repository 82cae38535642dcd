"""Booking writes: book, reschedule, cancel, record the outcome; specialists' availability.

Two people never hold the same time (R1). On PostgreSQL two exclusion constraints guarantee
it (see migration 0003); the services re-check the chosen slot inside the transaction first
so the usual case gets a clear answer, and turn a constraint violation (a race lost) into
the same ``SlotTaken``. On SQLite every transaction is IMMEDIATE (settings), so the re-check
and the insert run under the database's write lock, one booking at a time.
"""

import datetime
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    transaction,
)
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.db import is_database_busy, sqlstate
from clinic.notify.services import reminders_cancel, reminders_schedule

from ..models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentKind,
    AppointmentStatus,
    BookingPolicy,
    ConsultationType,
    Patient,
    Specialist,
    TimeOff,
    WorkingHours,
)
from ..notifications import appointment_notify
from ..selectors.booking import (
    Availability,
    availability_load,
    clinic_tz,
    local_to_utc,
    slot_check,
    slot_lookup,
)

PATIENT_OVERLAP_CONSTRAINT = "appointment_patient_no_overlap"
SPECIALIST_OVERLAP_CONSTRAINT = "appointment_specialist_no_overlap"
DEADLOCK_SQLSTATE = "40P01"
# What moving an appointment (reschedule, a plan moving its visits) writes.
MOVED_FIELDS = ["start", "end", "blocked_until", "specialist", "version", "updated_at"]


class BookingError(Exception):
    """A booking request that cannot be carried out; the message is for people."""


class SlotTaken(BookingError):
    """The chosen time is not free (anymore). ``taken`` tells a lost race or a booking made
    meanwhile from a time that was never bookable; ``avail`` lets the page offer the
    nearest free times."""

    def __init__(self, message: str, *, avail: Availability, start: datetime.datetime, taken):
        super().__init__(message)
        self.avail = avail
        self.start = start
        self.taken = taken


class PatientBusy(BookingError):
    """The patient already has an appointment overlapping the chosen time."""


class ChangeNotAllowed(BookingError):
    """Too late to change online, or the appointment is not in a state that allows it."""


def _aware(start: datetime.datetime) -> datetime.datetime:
    if not isinstance(start, datetime.datetime) or timezone.is_naive(start):
        raise BookingError(_("Choose a time from the list."))
    return start.astimezone(datetime.UTC)


def _not_free(avail: Availability, start: datetime.datetime, would_be_free: bool) -> SlotTaken:
    message = (
        _("That time was just taken — here are the nearest free times.")
        if would_be_free
        else _("That time cannot be booked — here are the nearest free times.")
    )
    return SlotTaken(message, avail=avail, start=start, taken=would_be_free)


def _recheck(avail: Availability, start: datetime.datetime):
    slot, would_be_free = slot_lookup(avail, start)
    if slot is None:
        raise _not_free(avail, start, would_be_free)
    return slot


def _recheck_for(avail: Availability, start: datetime.datetime, patient: Patient):
    """``_recheck`` and whether ``patient`` already holds an appointment in the slot's span:
    (slot, busy), in one query."""
    slot, would_be_free, busy = slot_check(avail, start, patient_id=patient.pk)
    if slot is None:
        raise _not_free(avail, start, would_be_free)
    return slot, busy


def _patient_busy(*, patient: Patient, start, end, exclude_pk=None) -> bool:
    rows = Appointment.objects.filter(
        patient=patient, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    )
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.exists()


def _is_patient_overlap(exc: IntegrityError) -> bool:
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    return name == PATIENT_OVERLAP_CONSTRAINT or PATIENT_OVERLAP_CONSTRAINT in str(exc)


def _constraint(exc: Exception) -> str:
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _is_overlap(exc: Exception) -> bool:
    names = (PATIENT_OVERLAP_CONSTRAINT, SPECIALIST_OVERLAP_CONSTRAINT)
    return _constraint(exc) in names or any(name in str(exc) for name in names)


def is_contention(exc: Exception) -> bool:
    """Whether a database error is the crowd, not a bug: one of the two no-overlap constraints
    (whatever statement raised it), a deadlock, a serialization failure, a lock or statement
    timeout, no free connection, a lost connection. A booking that hits one booked nothing."""
    if isinstance(exc, IntegrityError):
        return _is_overlap(exc)
    return is_database_busy(exc)


def contention_outcome(
    exc: Exception, *, ctype, specialist, start, patient=None
) -> BookingError | None:
    """After ``is_contention`` (and the rollback): what to tell the patient. ``PatientBusy``
    or ``SlotTaken`` when a constraint said so or the time has been taken meanwhile (read
    again now); None when the time still looks free (or cannot be read): "please try again"."""
    if isinstance(exc, IntegrityError) and _is_patient_overlap(exc):
        if patient is not None:
            return PatientBusy(_busy_message(patient))
        return PatientBusy(_("You already have an appointment at that time."))
    if ctype is None or start is None:
        return None
    try:
        avail = availability_load(consultation_type=ctype, specialist=specialist)
        slot, would_be_free = slot_lookup(avail, start)
    except DatabaseError:
        return None
    if slot is None or isinstance(exc, IntegrityError):
        return _not_free(avail, start, would_be_free or slot is not None)
    return None


def _is_deadlock(exc: OperationalError) -> bool:
    return sqlstate(exc) == DEADLOCK_SQLSTATE


def _lock_patient(patient: Patient) -> None:
    """Serialise one patient's bookings. Without it, two bookings of the same patient with two
    specialists can each wait for the other on a different exclusion constraint: a deadlock.
    (No-op on SQLite, whose IMMEDIATE transactions already run one at a time.)"""
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").first()


def _busy_message(patient: Patient) -> str:
    if patient.is_dependant:
        return _("%(name)s already has an appointment at that time.") % {
            "name": patient.display_name
        }
    return _("You already have an appointment at that time.")


@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    consultation_type: ConsultationType,
    start: datetime.datetime,
    booked_by,
    specialist: Specialist | None = None,
    for_staff: bool = False,
    notify: bool = True,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Book a consultation at ``start`` with ``specialist`` (None: any free specialist).

    Raises ``SlotTaken`` when the time is not free (re-checked here, and enforced by the
    database), ``PatientBusy`` when the patient already has an appointment then, and
    ``BookingError`` for anything else. Staff (``for_staff``) may book without the minimum
    notice and beyond the patients' horizon. The confirmation email is queued in the same
    transaction."""
    _check_bookable(consultation_type, specialist)
    _lock_patient(patient)
    return appointment_book_locked(
        patient=patient,
        consultation_type=consultation_type,
        start=start,
        booked_by=booked_by,
        specialist=specialist,
        for_staff=for_staff,
        notify=notify,
        now=now,
    )


def _check_bookable(consultation_type: ConsultationType, specialist: Specialist | None) -> None:
    if not consultation_type.is_active:
        raise BookingError(_("That type of consultation is no longer offered."))
    if specialist is not None and not specialist.is_active:
        raise BookingError(_("That specialist is not taking bookings."))


def appointment_book_locked(
    *,
    patient: Patient,
    consultation_type: ConsultationType,
    start: datetime.datetime,
    booked_by,
    specialist: Specialist | None = None,
    for_staff: bool = False,
    notify: bool = True,
    now: datetime.datetime | None = None,
) -> Appointment:
    """``appointment_book`` for a caller that holds the transaction and has already locked the
    patient's row (``SELECT … FOR UPDATE``, as the booking POST does when it reads the
    patient): no savepoint of its own, so an error leaves the caller's transaction to roll
    back. Reads: the held time and the patient's own appointments (one query; the policy and
    the hours come with ``consultation_type`` and ``specialist`` when read by ``with_policy``
    and ``with_hours``). Writes: the appointment, its history row, its reminders, the email —
    one INSERT each."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("appointment_book_locked needs a transaction")
    start = _aware(start)
    _check_bookable(consultation_type, specialist)
    avail = availability_load(
        consultation_type=consultation_type, specialist=specialist, now=now, for_staff=for_staff
    )
    slot, busy = _recheck_for(avail, start, patient)
    if busy:
        raise PatientBusy(_busy_message(patient))
    appointment = None
    candidates = list(slot.specialist_ids)
    for n, specialist_id in enumerate(candidates):
        # A savepoint only where a failed INSERT must leave the transaction usable for the
        # next candidate ("any specialist"); the last one's failure ends the booking anyway.
        last = n == len(candidates) - 1
        try:
            with nullcontext() if last else transaction.atomic():
                appointment = Appointment.objects.create(
                    kind=AppointmentKind.CONSULTATION,
                    patient=patient,
                    specialist_id=specialist_id,
                    consultation_type=consultation_type,
                    start=slot.start,
                    end=slot.end,
                    blocked_until=slot.end + consultation_type.buffer,
                    booked_by=booked_by,
                )
            break
        except IntegrityError as exc:
            if _is_patient_overlap(exc):
                raise PatientBusy(_busy_message(patient)) from exc
            if last:
                raise _taken(avail, start) from exc
            continue  # someone took this specialist's time a moment ago; try the next
        except OperationalError as exc:
            if not _is_deadlock(exc):
                raise
            if last:
                raise _taken(avail, start) from exc
            continue  # a concurrent booking won the deadlock; treat the time as taken
    if appointment is None:
        raise _taken(avail, start)
    # Render the email from what is in hand (no lazy reads).
    chosen = specialist or avail.specialists.get(appointment.specialist_id)
    if chosen is not None and chosen.pk == appointment.specialist_id:
        appointment.specialist = chosen
    AppointmentChange.objects.create(
        appointment=appointment,
        action=AppointmentChange.Action.BOOKED,
        version=appointment.version,
        by=booked_by,
        new_start=appointment.start,
        new_specialist_id=appointment.specialist_id,
    )
    reminders_schedule(target=appointment, version=appointment.version, now=now, new_target=True)
    if notify:
        appointment_notify(appointment=appointment, action="booked", new=True)
    return appointment


def _taken(avail: Availability, start: datetime.datetime) -> SlotTaken:
    return SlotTaken(
        _("That time was just taken — here are the nearest free times."),
        avail=avail,
        start=start,
        taken=True,
    )


def appointment_can_change(
    appointment: Appointment,
    *,
    now: datetime.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> bool:
    """Whether the patient may still reschedule or cancel online (the cut-off). Treatment
    visits belong to a treatment plan: the clinic moves them, so patients call."""
    now = now or timezone.now()
    policy = policy or BookingPolicy.load()
    return (
        appointment.status == AppointmentStatus.BOOKED
        and appointment.kind == AppointmentKind.CONSULTATION
        and now <= appointment.start - policy.change_cutoff
    )


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "specialist", "consultation_type")
        .get(pk=appointment.pk)
    )


def _check_changeable(appointment: Appointment, *, for_staff: bool, now) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        raise ChangeNotAllowed(
            _("This appointment is %(status)s and cannot be changed.")
            % {"status": appointment.get_status_display().lower()}
        )
    if not for_staff and not appointment_can_change(appointment, now=now):
        raise ChangeNotAllowed(
            _("It is too late to change this appointment online. Please call the clinic.")
        )


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    by,
    specialist: Specialist | None = None,
    for_staff: bool = False,
    notify: bool = True,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Move a booked appointment to a new free start (and, for staff, maybe to another
    specialist). Bumps ``version``, keeps the old time in the history, and emails the patient
    an updated calendar entry (same UID, higher SEQUENCE)."""
    start = _aware(start)
    now = now or timezone.now()
    _lock_patient(appointment.patient)
    appt = _locked(appointment)
    _check_changeable(appt, for_staff=for_staff, now=now)
    target = specialist or appt.specialist
    if not target.is_active:
        raise BookingError(_("That specialist is not taking bookings."))
    avail = availability_load(
        duration=appt.end - appt.start,
        buffer=appt.blocked_until - appt.end,
        specialist=target,
        now=now,
        for_staff=for_staff,
        exclude_appointment=appt,
    )
    slot = _recheck(avail, start)
    if _patient_busy(patient=appt.patient, start=slot.start, end=slot.end, exclude_pk=appt.pk):
        raise PatientBusy(_busy_message(appt.patient))
    old_start, old_specialist_id = appt.start, appt.specialist_id
    buffer = appt.blocked_until - appt.end
    appt.start, appt.end = slot.start, slot.end
    appt.blocked_until = slot.end + buffer
    appt.specialist = target
    appt.version += 1
    try:
        with transaction.atomic():
            appt.save(update_fields=MOVED_FIELDS)
    except (IntegrityError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and not _is_deadlock(exc):
            raise
        if isinstance(exc, IntegrityError) and _is_patient_overlap(exc):
            raise PatientBusy(_busy_message(appt.patient)) from exc
        raise SlotTaken(
            _("That time was just taken — here are the nearest free times."),
            avail=avail,
            start=start,
            taken=True,
        ) from exc
    AppointmentChange.objects.create(
        appointment=appt,
        action=AppointmentChange.Action.RESCHEDULED,
        version=appt.version,
        by=by,
        old_start=old_start,
        old_specialist_id=old_specialist_id,
        new_start=appt.start,
        new_specialist_id=appt.specialist_id,
    )
    # The new version gets its own reminders; pending ones of the old time are cancelled.
    reminders_schedule(target=appt, version=appt.version, now=now)
    if notify:
        appointment_notify(appointment=appt, action="rescheduled")
    return appt


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    by,
    reason: str = "",
    for_staff: bool = False,
    notify: bool = True,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Cancel a booked appointment (patients up to the cut-off; staff any time before it
    happened is recorded). Frees the time at once and emails a calendar cancellation."""
    now = now or timezone.now()
    appt = _locked(appointment)
    _check_changeable(appt, for_staff=for_staff, now=now)
    appt.status = AppointmentStatus.CANCELLED
    appt.cancelled_by = by
    appt.cancelled_at = now
    appt.cancel_reason = (reason or "").strip()[:300]
    appt.save(
        update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason", "updated_at"]
    )
    AppointmentChange.objects.create(
        appointment=appt,
        action=AppointmentChange.Action.CANCELLED,
        version=appt.version,
        by=by,
        old_start=appt.start,
        old_specialist_id=appt.specialist_id,
        note=appt.cancel_reason,
    )
    reminders_cancel(target=appt, reason="appointment cancelled")
    if notify:
        appointment_notify(appointment=appt, action="cancelled")
    return appt


OUTCOMES = {
    AppointmentStatus.COMPLETED: AppointmentChange.Action.COMPLETED,
    AppointmentStatus.NO_SHOW: AppointmentChange.Action.NO_SHOW,
}


@transaction.atomic
def appointment_record_outcome(
    *,
    appointment: Appointment,
    status: str,
    by,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Staff mark an appointment that has started as completed or as a no-show (and may
    correct one to the other)."""
    now = now or timezone.now()
    if status not in OUTCOMES:
        raise BookingError(_("Choose completed or no-show."))
    appt = _locked(appointment)
    if appt.status not in (
        AppointmentStatus.BOOKED,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
    ):
        raise ChangeNotAllowed(_("A cancelled appointment has no outcome to record."))
    if appt.start > now:
        raise ChangeNotAllowed(_("An appointment can be marked only once it has started."))
    if appt.status == status:
        return appt
    appt.status = status
    appt.save(update_fields=["status", "updated_at"])
    AppointmentChange.objects.create(
        appointment=appt, action=OUTCOMES[status], version=appt.version, by=by
    )
    return appt


# --- Availability (staff) -------------------------------------------------------------------
@transaction.atomic
def working_hours_replace(
    *,
    specialist: Specialist,
    ranges: list[tuple[int, datetime.time, datetime.time]],
) -> list[WorkingHours]:
    """Replace a specialist's weekly hours with ``ranges`` (weekday, start, end). Ranges of
    one day must not overlap. Existing appointments are kept; the caller lists those that
    now fall outside the hours (``appointments_outside_availability``)."""
    by_day: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
    for weekday, start, end in ranges:
        if not 0 <= weekday <= 6:
            raise BookingError(_("Choose a day of the week."))
        if end <= start:
            raise BookingError(_("Each range must end after it starts."))
        by_day.setdefault(weekday, []).append((start, end))
    for day_ranges in by_day.values():
        day_ranges.sort()
        for (_s1, e1), (s2, _e2) in zip(day_ranges, day_ranges[1:], strict=False):
            if s2 < e1:
                raise BookingError(_("Two ranges on the same day overlap."))
    WorkingHours.objects.filter(specialist=specialist).delete()
    return WorkingHours.objects.bulk_create(
        WorkingHours(specialist=specialist, weekday=w, start=s, end=e)
        for w, day_ranges in sorted(by_day.items())
        for s, e in day_ranges
    )


@transaction.atomic
def time_off_add(
    *,
    specialist: Specialist,
    start: datetime.datetime,
    end: datetime.datetime,
    reason: str = "",
    created_by=None,
) -> TimeOff:
    """Block a range of time for a specialist. Appointments inside it stay booked until
    staff move or cancel each (the page lists them)."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise BookingError(_("The time off must end after it starts."))
    return TimeOff.objects.create(
        specialist=specialist,
        start=start,
        end=end,
        reason=reason.strip()[:120],
        created_by=created_by,
    )


@transaction.atomic
def time_off_delete(*, time_off: TimeOff) -> None:
    time_off.delete()


# --- Treatment visits (the in-clinic sessions of a treatment plan) ---------------------------
# A plan's in-clinic sessions are appointments of kind "treatment visit" in this same table, so
# the exclusion constraints keep them clear of consultations (and of each other). The treatments
# app computes which visits its plan wants and hands the differences to
# ``treatment_visits_apply`` inside its own transaction: everything is checked first and either
# all of it is written or nothing is.
MAX_PROBLEMS_LISTED = 8


@dataclass(frozen=True)
class Visit:
    """A treatment visit as wanted: who runs it, from when until when (aware datetimes)."""

    specialist_id: int
    start: datetime.datetime
    end: datetime.datetime


class VisitsRefused(BookingError):
    """Treatment visits that cannot be held as asked; ``problems`` has one line per reason."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


def _when(moment: datetime.datetime) -> str:
    return date_format(moment.astimezone(clinic_tz()), "D j M Y, H:i")


def _hhmm(moment: datetime.datetime) -> str:
    return moment.astimezone(clinic_tz()).strftime("%H:%M")


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS_LISTED:
        return problems
    extra = len(problems) - MAX_PROBLEMS_LISTED
    return [
        *problems[:MAX_PROBLEMS_LISTED],
        ngettext(
            "… and %(n)s more time with a problem like these.",
            "… and %(n)s more times with a problem like these.",
            extra,
        )
        % {"n": extra},
    ]


def treatment_visit_problems(*, patient: Patient, visits: list[Visit], ignore_ids=()) -> list[str]:
    """Every reason ``visits`` cannot be held, for the person planning them (empty when all
    can): a clinician who is unknown or not taking appointments, a visit outside their working
    hours (clinic wall clock) or during their time off, overlapping another appointment of the
    clinician (with its buffer) or of the patient, or two of the visits overlapping each other.
    Appointments in ``ignore_ids`` (about to be moved or cancelled) do not count. Four queries
    whatever the number of visits."""
    if not visits:
        return []
    tz = clinic_tz()
    ids = {v.specialist_id for v in visits}
    specialists = {s.pk: s for s in Specialist.objects.filter(pk__in=ids)}
    problems: list[str] = []
    missing = [sid for sid in ids if sid not in specialists]
    if missing:
        return [_("Choose a clinician from the list.")]
    for specialist in specialists.values():
        if not specialist.is_active:
            problems.append(
                _("%(name)s is not taking appointments: choose another clinician.")
                % {"name": specialist.display_name}
            )
    if problems:
        return problems
    hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for sid, weekday, start, end in WorkingHours.objects.filter(specialist_id__in=ids).values_list(
        "specialist_id", "weekday", "start", "end"
    ):
        hours[sid][weekday].append((start, end))
    first = min(v.start for v in visits)
    last = max(v.end for v in visits)
    time_off = defaultdict(list)
    for sid, start, end in TimeOff.objects.filter(
        specialist_id__in=ids, start__lt=last, end__gt=first
    ).values_list("specialist_id", "start", "end"):
        time_off[sid].append((start, end))
    others = list(
        Appointment.objects.filter(status__in=ACTIVE_STATUSES, start__lt=last)
        .filter(
            Q(specialist_id__in=ids, blocked_until__gt=first) | Q(patient=patient, end__gt=first)
        )
        .exclude(pk__in=list(ignore_ids))
        .values_list("specialist_id", "patient_id", "start", "end", "blocked_until")
    )

    outside: dict[tuple, list[datetime.datetime]] = defaultdict(list)
    for visit in sorted(visits, key=lambda v: v.start):
        specialist = specialists[visit.specialist_id]
        local = visit.start.astimezone(tz)
        day = local.date()
        ranges = sorted(hours[visit.specialist_id].get(day.weekday(), []))
        inside = any(
            local_to_utc(day, s, tz) <= visit.start and visit.end <= local_to_utc(day, e, tz)
            for s, e in ranges
        )
        if not inside:
            outside[(visit.specialist_id, day.weekday(), _hhmm(visit.start))].append(visit.start)
            continue
        if any(s < visit.end and visit.start < e for s, e in time_off[visit.specialist_id]):
            problems.append(
                _("%(when)s: %(name)s is away (time off).")
                % {"when": _when(visit.start), "name": specialist.display_name}
            )
            continue
        for sid, pid, start, end, blocked in others:
            if sid == visit.specialist_id and start < visit.end and visit.start < blocked:
                problems.append(
                    _("%(when)s: %(name)s already has an appointment then (%(from)s–%(to)s).")
                    % {
                        "when": _when(visit.start),
                        "name": specialist.display_name,
                        "from": _hhmm(start),
                        "to": _hhmm(end),
                    }
                )
                break
            if pid == patient.pk and start < visit.end and visit.start < end:
                problems.append(
                    _("%(when)s: the patient already has an appointment then (%(from)s–%(to)s).")
                    % {"when": _when(visit.start), "from": _hhmm(start), "to": _hhmm(end)}
                )
                break
    for (sid, weekday, at), starts in outside.items():
        day_name = date_format(starts[0].astimezone(tz), "l")
        ranges = sorted(hours[sid].get(weekday, []))
        worked = ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in ranges)
        values = {
            "name": specialists[sid].display_name,
            "day": day_name,
            "at": at,
            "hours": worked,
            "n": len(starts),
            "first": _when(starts[0]),
        }
        if not ranges:
            message = ngettext(
                "%(name)s does not work on %(day)s (%(n)s visit, %(first)s): "
                "choose other days or another clinician.",
                "%(name)s does not work on %(day)s (%(n)s visits, the first %(first)s): "
                "choose other days or another clinician.",
                len(starts),
            )
        else:
            message = ngettext(
                "%(name)s works %(hours)s on %(day)s: a visit at %(at)s does not fit "
                "(%(n)s visit, %(first)s).",
                "%(name)s works %(hours)s on %(day)s: a visit at %(at)s does not fit "
                "(%(n)s visits, the first %(first)s).",
                len(starts),
            )
        problems.append(message % values)
    ordered = sorted(visits, key=lambda v: v.start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end:
            problems.append(
                _("%(when)s: two of the new visits overlap; choose different times.")
                % {"when": _when(b.start)}
            )
    return _capped(problems)


def _refused_race() -> VisitsRefused:
    return VisitsRefused(
        [
            _(
                "Another appointment was booked at one of these times a moment ago. "
                "Nothing was saved: please try again."
            )
        ]
    )


@transaction.atomic
def treatment_visits_apply(
    *,
    patient: Patient,
    book: list[Visit] = (),
    move: list[tuple[Appointment, Visit]] = (),
    cancel: list[Appointment] = (),
    by=None,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> list[Appointment]:
    """Book, move and cancel a patient's treatment visits in one go (a plan assigned or
    changed, or its calendar extended). Everything is checked first
    (``treatment_visit_problems``) and ``VisitsRefused`` lists every problem; the exclusion
    constraints guard against a booking made at the same instant (then too: refused, nothing
    written). A move bumps the appointment's version and keeps the old time in its history;
    visits already cancelled or no longer booked are left as they are. Returns the new
    appointments in the order of ``book``."""
    now = now or timezone.now()
    _lock_patient(patient)
    move_ids = [appt.pk for appt, _visit in move]
    cancel_ids = [appt.pk for appt in cancel]
    locked = {
        a.pk: a
        for a in Appointment.objects.select_for_update(of=("self",)).filter(
            pk__in=move_ids + cancel_ids, kind=AppointmentKind.TREATMENT_VISIT
        )
    }
    moves = [
        (locked[appt.pk], visit)
        for appt, visit in move
        if appt.pk in locked and locked[appt.pk].status == AppointmentStatus.BOOKED
    ]
    cancels = [
        locked[a.pk]
        for a in cancel
        if a.pk in locked and locked[a.pk].status == AppointmentStatus.BOOKED
    ]
    problems = treatment_visit_problems(
        patient=patient,
        visits=[*book, *(visit for _appt, visit in moves)],
        ignore_ids=[a.pk for a, _v in moves] + [a.pk for a in cancels],
    )
    if problems:
        raise VisitsRefused(problems)
    changes: list[AppointmentChange] = []
    reason = (reason or "").strip()[:300]
    if cancels:
        Appointment.objects.filter(pk__in=[a.pk for a in cancels]).update(
            status=AppointmentStatus.CANCELLED,
            cancelled_by=by,
            cancelled_at=now,
            cancel_reason=reason,
            updated_at=now,
        )
        for appt in cancels:
            appt.status = AppointmentStatus.CANCELLED
            changes.append(
                AppointmentChange(
                    appointment=appt,
                    action=AppointmentChange.Action.CANCELLED,
                    version=appt.version,
                    by=by,
                    old_start=appt.start,
                    old_specialist_id=appt.specialist_id,
                    note=reason,
                )
            )
    changes += _apply_moves(moves, by=by)
    created: list[Appointment] = []
    if book:
        try:
            with transaction.atomic():
                created = Appointment.objects.bulk_create(
                    Appointment(
                        kind=AppointmentKind.TREATMENT_VISIT,
                        patient=patient,
                        specialist_id=visit.specialist_id,
                        start=visit.start,
                        end=visit.end,
                        blocked_until=visit.end,
                        booked_by=by,
                    )
                    for visit in book
                )
        except IntegrityError as exc:
            raise _refused_race() from exc
        except OperationalError as exc:
            if not _is_deadlock(exc):
                raise
            raise _refused_race() from exc
        changes += [
            AppointmentChange(
                appointment=appt,
                action=AppointmentChange.Action.BOOKED,
                version=appt.version,
                by=by,
                new_start=appt.start,
                new_specialist_id=appt.specialist_id,
                note=reason,
            )
            for appt in created
        ]
    AppointmentChange.objects.bulk_create(changes)
    for appt in cancels:
        reminders_cancel(target=appt, reason="treatment plan changed")
    for appt in [*(a for a, _v in moves), *created]:
        reminders_schedule(target=appt, version=appt.version, now=now)
    return created


def _apply_moves(moves: list[tuple[Appointment, Visit]], *, by) -> list[AppointmentChange]:
    """Save the moved visits. The final times were checked to be clear of each other, but two
    visits trading places would collide half-way (the constraint checks each row at once), so a
    move that collides is retried after the others; only one that still collides when nothing
    else can move is a real clash (a booking made meanwhile)."""
    changes = []
    pending = list(moves)
    while pending:
        left = []
        for appt, visit in pending:
            old = (appt.start, appt.end, appt.blocked_until, appt.specialist_id)
            old_start, old_specialist_id = appt.start, appt.specialist_id
            appt.start, appt.end, appt.blocked_until = visit.start, visit.end, visit.end
            appt.specialist_id = visit.specialist_id
            appt.version += 1
            try:
                with transaction.atomic():
                    appt.save(update_fields=MOVED_FIELDS)
            except (IntegrityError, OperationalError) as exc:
                if isinstance(exc, OperationalError) and not _is_deadlock(exc):
                    raise
                appt.start, appt.end, appt.blocked_until, appt.specialist_id = old
                appt.version -= 1
                left.append((appt, visit))
                continue
            changes.append(
                AppointmentChange(
                    appointment=appt,
                    action=AppointmentChange.Action.RESCHEDULED,
                    version=appt.version,
                    by=by,
                    old_start=old_start,
                    old_specialist_id=old_specialist_id,
                    new_start=appt.start,
                    new_specialist_id=appt.specialist_id,
                )
            )
        if len(left) == len(pending):
            raise _refused_race()
        pending = left
    return changes
