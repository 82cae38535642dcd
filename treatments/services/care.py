"""Who is the patient's specialist."""

from django.db import transaction

from patients.models import Patient

from ..models import PatientSpecialist
from .errors import PlanError


@transaction.atomic
def patient_assign_specialist(*, patient_id: int, specialist, user) -> PatientSpecialist:
    """Make ``specialist`` the patient's assigned specialist (replacing any other)."""
    if not user.has_perm("accounts.assign_plans"):
        raise PlanError("Only specialists can take a patient on.")
    if not specialist.has_perm("accounts.assign_plans"):
        raise PlanError("Choose a specialist.")
    patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
    if patient is None:
        raise PlanError("There is no such patient.")
    care, _ = PatientSpecialist.objects.update_or_create(
        patient=patient, defaults={"specialist": specialist, "assigned_by": user}
    )
    return care
