"""The patients app's models, one module per topic."""

from .profile import Patient, ReminderChannel

__all__ = ["Patient", "ReminderChannel"]
from .booking import (  # noqa: E402
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

__all__ += [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentChange",
    "AppointmentKind",
    "AppointmentStatus",
    "BookingPolicy",
    "ConsultationType",
    "Specialist",
    "TimeOff",
    "Weekday",
    "WorkingHours",
]
