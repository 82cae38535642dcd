"""The patients app's models, one module per topic."""

from .booking import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentKind,
    AppointmentStatus,
    BookingPolicy,
    ConsultationType,
    Specialist,
    TimeOff,
    Weekday,
    WorkingHours,
)
from .closure import AccountClosure
from .intake import Consent, Intake, Screen, ScreenCorrection
from .outcomes import RecordedOutcome
from .profile import Patient, ReminderChannel

__all__ = [
    "AccountClosure",
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentChange",
    "AppointmentKind",
    "AppointmentStatus",
    "BookingPolicy",
    "Consent",
    "ConsultationType",
    "Intake",
    "Patient",
    "RecordedOutcome",
    "ReminderChannel",
    "Screen",
    "ScreenCorrection",
    "Specialist",
    "TimeOff",
    "Weekday",
    "WorkingHours",
]
