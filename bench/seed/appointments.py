"""Appointment rows as the booking services write them (shared by the plan and consultation
steps): the appointment, its "booked" history row and, once it happened, its outcome row."""

import datetime
import uuid

from patients.models import Appointment, AppointmentChange

from . import copy_rows

APPOINTMENT_FIELDS = [
    "id",
    "uid",
    "kind",
    "patient",
    "specialist",
    "consultation_type",
    "start",
    "end",
    "blocked_until",
    "status",
    "version",
    "booked_by",
    "cancelled_by",
    "cancelled_at",
    "cancel_reason",
    "created_at",
    "updated_at",
]
CHANGE_FIELDS = ["appointment", "action", "version", "at", "by", "new_start", "new_specialist"]


def appointment(
    rng, pk, *, kind, patient, specialist, ctype, times, status, booked_by, booked_at, now
):
    """(appointment row, [change rows]) for one appointment; ``times`` = (start, end,
    blocked_until) in UTC."""
    start, end, blocked = times
    cancelled = status == "cancelled"
    cancelled_at = min(now, start - datetime.timedelta(hours=rng.randrange(2, 96)))
    cancelled_at = max(cancelled_at, booked_at)
    row = (
        pk,
        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        kind,
        patient,
        specialist,
        ctype,
        start,
        end,
        blocked,
        status,
        1,
        booked_by,
        booked_by if cancelled else None,
        cancelled_at if cancelled else None,
        "Cannot make it" if cancelled else "",
        booked_at,
        cancelled_at if cancelled else (end if status in ("completed", "no_show") else booked_at),
    )
    changes = [(pk, "booked", 1, booked_at, booked_by, start, specialist)]
    if cancelled:
        changes.append((pk, "cancelled", 1, cancelled_at, booked_by, None, None))
    elif status in ("completed", "no_show"):
        changes.append((pk, status, 1, end, None, None, None))
    return row, changes


def write(rows, changes) -> int:
    written = copy_rows(Appointment, APPOINTMENT_FIELDS, rows)
    return written + copy_rows(AppointmentChange, CHANGE_FIELDS, changes)
