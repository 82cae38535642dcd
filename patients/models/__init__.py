"""The patients app's models, one module per topic."""

from .intake import Consent, Intake, Screen, ScreenCorrection
from .profile import Patient, ReminderChannel

__all__ = ["Consent", "Intake", "Patient", "ReminderChannel", "Screen", "ScreenCorrection"]
