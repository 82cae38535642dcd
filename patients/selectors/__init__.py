"""Reads for the patients app's pages, one module per topic."""

from ..models import Patient


def patient_language(user) -> str | None:
    """The language a patient saved (None for an account without a patient profile)."""
    return Patient.objects.filter(user=user).values_list("preferred_language", flat=True).first()
