"""Writes for the patients app (profile; booking and intake add their own modules)."""

from django.db import transaction

from ..models import Patient


@transaction.atomic
def patient_create_for_user(*, user, legal_name: str = "") -> Patient:
    """The patient profile of a user who signed up (completed before the first booking)."""
    patient, _ = Patient.objects.get_or_create(
        user=user,
        defaults={"legal_name": legal_name or user.get_full_name() or user.email},
    )
    return patient
