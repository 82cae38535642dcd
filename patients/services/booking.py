"""Booking writes: book, reschedule, cancel, record the outcome; specialists' availability.

Two people never hold the same time (R1). On PostgreSQL two exclusion constraints guarantee
it (see migration 0003); the services re-check the chosen slot inside the transaction first
so the usual case gets a clear answer, and turn a constraint violation (a race lost) into
the same ``SlotTaken``. On SQLite every transaction is IMMEDIATE (settings), so the re-check
and the insert run under the database's write lock, one booking at a time.
"""

import datetime

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
from ..selectors.booking import Availability, availability_load, slot_lookup

PATIENT_OVERLAP_CONSTRAINT = "appointment_patient_no_overlap"
DEADLOCK_SQLSTATE = "40P01"


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


def _recheck(avail: Availability, start: datetime.datetime):
    slot, would_be_free = slot_lookup(avail, start)
    if slot is None:
        message = (
            _("That time was just taken — here are the nearest free times.")
            if would_be_free
            else _("That time cannot be booked — here are the nearest free times.")
        )
        raise SlotTaken(message, avail=avail, start=start, taken=would_be_free)
    return slot


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


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None) == DEADLOCK_SQLSTATE


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
    start = _aware(start)
    if not consultation_type.is_active:
        raise BookingError(_("That type of consultation is no longer offered."))
    if specialist is not None and not specialist.is_active:
        raise BookingError(_("That specialist is not taking bookings."))
    _lock_patient(patient)
    avail = availability_load(
        consultation_type=consultation_type, specialist=specialist, now=now, for_staff=for_staff
    )
    slot = _recheck(avail, start)
    if _patient_busy(patient=patient, start=slot.start, end=slot.end):
        raise PatientBusy(_busy_message(patient))
    appointment = None
    for specialist_id in slot.specialist_ids:
        try:
            with transaction.atomic():
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
            continue  # someone took this specialist's time a moment ago; try the next
        except OperationalError as exc:
            if not _is_deadlock(exc):
                raise
            continue  # a concurrent booking won the deadlock; treat the time as taken
    if appointment is None:
        raise SlotTaken(
            _("That time was just taken — here are the nearest free times."),
            avail=avail,
            start=start,
            taken=True,
        )
    AppointmentChange.objects.create(
        appointment=appointment,
        action=AppointmentChange.Action.BOOKED,
        version=appointment.version,
        by=booked_by,
        new_start=appointment.start,
        new_specialist_id=appointment.specialist_id,
    )
    if notify:
        appointment_notify(appointment=appointment, action="booked")
    return appointment


def appointment_can_change(
    appointment: Appointment,
    *,
    now: datetime.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> bool:
    """Whether the patient may still reschedule or cancel online (the cut-off)."""
    now = now or timezone.now()
    policy = policy or BookingPolicy.load()
    return (
        appointment.status == AppointmentStatus.BOOKED
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
            appt.save(
                update_fields=[
                    "start",
                    "end",
                    "blocked_until",
                    "specialist",
                    "version",
                    "updated_at",
                ]
            )
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
