"""Writes for the patients app (profile; booking and intake add their own modules)."""

from django.conf import settings
from django.db import transaction
from django.utils import translation

from ..models import Patient


@transaction.atomic
def patient_create_for_user(*, user, legal_name: str = "") -> Patient:
    """The patient profile of a user who signed up (completed before the first booking). It
    starts in the language they signed up in (the switcher's or their browser's)."""
    language = translation.get_language()
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    patient, _ = Patient.objects.get_or_create(
        user=user,
        defaults={
            "legal_name": legal_name or user.get_full_name() or user.email,
            "preferred_language": language,
        },
    )
    return patient
