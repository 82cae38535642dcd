"""Recording a treatment's outcome for a patient (see ``models.outcomes``)."""

from django.db import transaction

from treatments.rules import AREAS, TREATMENTS

from ..models import Patient, RecordedOutcome

OUTCOMES = ("failed", "not_tolerated", "helped", "ongoing")


class OutcomeError(ValueError):
    pass


@transaction.atomic
def treatment_outcome_record(
    *,
    patient_id: int,
    treatment: str,
    outcome: str,
    source: str,
    area: str = "",
    sessions: int | None = None,
    weeks: int | None = None,
    note: str = "",
    user=None,
) -> RecordedOutcome:
    """Record (or update) what came of a treatment, so the next screen's profile lists it in
    ``tried``. One row per (patient, treatment, area, source): recording again updates it."""
    if treatment not in TREATMENTS:
        raise OutcomeError(f"Unknown treatment {treatment!r}.")
    if outcome not in OUTCOMES:
        raise OutcomeError(f"Unknown outcome {outcome!r}.")
    if area and area not in AREAS:
        raise OutcomeError(f"Unknown area {area!r}.")
    for name, value in (("sessions", sessions), ("weeks", weeks)):
        if value is not None and not 0 <= value <= 1000:
            raise OutcomeError(f"{name} must be 0 to 1000.")
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    row, _ = RecordedOutcome.objects.update_or_create(
        patient=patient,
        treatment=treatment,
        area=area,
        source=source,
        defaults={
            "outcome": outcome,
            "sessions": sessions,
            "weeks": weeks,
            "note": note,
            "recorded_by": user,
        },
    )
    return row


def recorded_tried(patient_id: int) -> list[dict]:
    """The recorded outcomes as RULES.md ``tried`` entries, oldest first."""
    return [r.as_tried() for r in RecordedOutcome.objects.filter(patient_id=patient_id)]
