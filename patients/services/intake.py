"""Writes for the intake questionnaire: start, save a step, submit (with consent).

Submitting runs the rules engine and makes the eligibility screen (see ``screens.py``)."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from treatments.rules import ProfileError, validate_profile

from ..consent import INTAKE_CONSENT_VERSION, intake_consent_sha256
from ..models import Consent, Intake, Patient, Screen
from ..questionnaire import STEPS, build_profile, incomplete_steps
from .outcomes import recorded_tried
from .screens import screen_make


class IntakeError(Exception):
    """A questionnaire action that cannot be done as asked; the message is for the patient."""

    def __init__(self, message: str, *, steps: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.steps = steps or []


def clinic_today() -> datetime.date:
    """Today's date at the clinic (the screen's date, from which the age is computed)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE))


@transaction.atomic
def intake_start(*, patient: Patient, user) -> Intake:
    """The patient's questionnaire: the latest one if there is one, else a new draft."""
    latest = Intake.objects.select_for_update().filter(patient=patient).first()
    if latest is not None:
        return latest
    return Intake.objects.create(patient=patient, started_by=user, last_edited_by=user)


@transaction.atomic
def intake_save_step(*, intake_id: int, step: str, answers: dict, user) -> Intake:
    """Save one step's validated answers. The "about" step also sets the patient's date of
    birth (the age comes from it). Refused once the questionnaire has been sent."""
    if step not in STEPS:
        raise IntakeError(_("There is no such step in the questionnaire."))
    intake = Intake.objects.select_for_update().select_related("patient").get(pk=intake_id)
    if not intake.is_editable:
        raise IntakeError(
            _("This questionnaire has been sent to the clinic and can no longer be changed.")
        )
    intake.answers = {**intake.answers, step: answers}
    intake.last_edited_by = user
    intake.save(update_fields=["answers", "last_edited_by", "updated_at"])
    if step == "about":
        born = datetime.date.fromisoformat(answers["date_of_birth"])
        patient = intake.patient
        if patient.date_of_birth != born:
            patient.date_of_birth = born
            patient.save(update_fields=["date_of_birth", "updated_at"])
    return intake


@transaction.atomic
def intake_submit(
    *,
    intake_id: int,
    user,
    signed_name: str,
    today: datetime.date | None = None,
) -> Screen:
    """Send the questionnaire: record the consent, build the profile, run the engine, make
    the screen (superseding the previous one when staff had asked for more information), and
    lock the answers."""
    intake = Intake.objects.select_for_update().select_related("patient").get(pk=intake_id)
    if not intake.is_editable:
        raise IntakeError(_("This questionnaire has already been sent to the clinic."))
    patient = intake.patient
    today = today or clinic_today()
    age = patient.age_on(today)
    missing = incomplete_steps(intake.answers, age=age)
    if age is None and "about" not in missing:
        missing.insert(0, "about")
    if missing:
        raise IntakeError(
            _("Some questions still need an answer. Please finish the steps listed below."),
            steps=missing,
        )
    build = build_profile(intake.answers, age=age, recorded=recorded_tried(patient.pk))
    try:
        validate_profile(build.profile)
    except ProfileError as exc:
        # The forms make this unreachable; if it happens, say which answer to check.
        raise IntakeError(
            _("One answer needs checking (%(field)s). Please go through the steps again.")
            % {"field": exc.field}
        ) from exc
    now = timezone.now()
    consent = Consent.objects.create(
        patient=patient,
        intake=intake,
        version=INTAKE_CONSENT_VERSION,
        text_sha256=intake_consent_sha256(),
        signed_name=signed_name,
        signed_by=user,
        signed_as_guardian=patient.user_id != user.pk,
        signed_at=now,
    )
    previous = (
        Screen.objects.select_for_update()
        .filter(intake=intake)
        .exclude(status=Screen.Status.SUPERSEDED)
        .first()
    )
    screen = screen_make(
        intake=intake,
        profile=build.profile,
        flags=build.flags,
        notes=build.notes,
        screen_date=today,
        source=Screen.Source.PATIENT,
        created_by=user,
        consent=consent,
        supersedes=previous,
    )
    intake.status = Intake.Status.SUBMITTED
    intake.submitted_at = now
    intake.last_edited_by = user
    intake.save(update_fields=["status", "submitted_at", "last_edited_by", "updated_at"])
    return screen
