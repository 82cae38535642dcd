"""The patients app's models, one module per topic."""

from .profile import Patient, ReminderChannel

__all__ = ["Patient", "ReminderChannel"]
