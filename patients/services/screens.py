"""Writes for eligibility screens: make one (engine run), correct an answer, review.

A screen is never edited in place after it is made, apart from its review: a correction makes
a new screen from an amended copy of the profile, and the old one is marked superseded.
"""

import copy

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.notify.services import message_queue
from treatments.rules import PROFILE_KEYS, ProfileError, recommend

from ..labels import flag_field
from ..models import Consent, Intake, Screen, ScreenCorrection


class ScreenError(Exception):
    """A screen action that cannot be done as asked; the message is for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def screen_make(
    *,
    intake: Intake,
    profile: dict,
    flags: list[str],
    notes: dict,
    screen_date,
    source: str,
    created_by,
    consent: Consent | None,
    supersedes: Screen | None,
) -> Screen:
    """Run the engine on ``profile`` and store the screen; mark ``supersedes`` superseded.

    Called inside the caller's transaction, with ``supersedes`` locked by the caller."""
    result = recommend(profile)
    if supersedes is not None:
        supersedes.status = Screen.Status.SUPERSEDED
        supersedes.save(update_fields=["status"])
    return Screen.objects.create(
        patient_id=intake.patient_id,
        intake=intake,
        consent=consent,
        source=source,
        screen_date=screen_date,
        profile=profile,
        flags=list(flags),
        notes=dict(notes),
        result=result,
        rules_version=result["rules_version"],
        refer=bool(result["refer"]),
        needs_attention=bool(flags) or bool(profile.get("red_flags")),
        supersedes=supersedes,
        created_by=created_by,
    )


@transaction.atomic
def screen_correct(*, screen_id: int, field: str, value, reason: str, user) -> Screen:
    """Correct one profile field: a new screen from the amended profile supersedes this one,
    with a record of who changed which field, from what, to what and why. The patient's own
    answers on the intake are not touched. "Not sure" flags about the field are settled."""
    screen = Screen.objects.select_for_update().select_related("intake").get(pk=screen_id)
    if screen.status == Screen.Status.SUPERSEDED:
        raise ScreenError(_("A newer screen has replaced this one. Correct the newer one."))
    if field not in PROFILE_KEYS:
        raise ScreenError(_("There is no answer called “%(field)s”.") % {"field": field})
    reason = reason.strip()
    if not reason:
        raise ScreenError(_("Please say why the answer is corrected."))
    old_value = screen.profile.get(field)
    if old_value == value:
        raise ScreenError(_("That is already the answer on this screen; nothing to correct."))
    profile = copy.deepcopy(screen.profile)
    profile[field] = value
    try:
        recommend(profile)
    except ProfileError as exc:
        raise ScreenError(str(exc)) from exc
    new = screen_make(
        intake=screen.intake,
        profile=profile,
        flags=[f for f in screen.flags if flag_field(f) != field],
        notes=screen.notes,
        screen_date=screen.screen_date,
        source=Screen.Source.CORRECTION,
        created_by=user,
        consent=screen.consent,
        supersedes=screen,
    )
    ScreenCorrection.objects.create(
        screen=new,
        field=field,
        old_value=old_value,
        new_value=value,
        reason=reason,
        corrected_by=user,
    )
    return new


def _patient_email(patient) -> tuple[str, str]:
    """(address, first name) to write to about this patient: their own login, else the
    guardian's, else the email staff recorded."""
    if patient.user_id and patient.user.email:
        return patient.user.email, patient.user.get_short_name()
    if patient.guardian_id and patient.guardian.email:
        return patient.guardian.email, patient.guardian.get_short_name()
    return patient.contact_email, patient.display_name


@transaction.atomic
def screen_review(
    *, screen_id: int, outcome: str, note: str, message_to_patient: str, user
) -> Screen:
    """Mark a waiting screen reviewed with an outcome and a staff note.

    ``info_requested`` reopens the intake for the patient with ``message_to_patient`` (shown
    after they log in) and emails them, through the outbox, only that there is a message:
    no clinical detail leaves the app."""
    screen = (
        Screen.objects.select_for_update(of=("self",))
        .select_related("patient__user", "patient__guardian")
        .get(pk=screen_id)
    )
    if screen.status != Screen.Status.SUBMITTED:
        raise ScreenError(_("This screen is not waiting for review."))
    if outcome not in Screen.Outcome.values:
        raise ScreenError(_("Choose an outcome."))
    message_to_patient = message_to_patient.strip()
    if outcome == Screen.Outcome.INFO_REQUESTED and not message_to_patient:
        raise ScreenError(_("Write what you would like the patient to check or add."))
    now = timezone.now()
    screen.status = Screen.Status.REVIEWED
    screen.outcome = outcome
    screen.review_note = note.strip()
    screen.reviewed_by = user
    screen.reviewed_at = now
    screen.save(update_fields=["status", "outcome", "review_note", "reviewed_by", "reviewed_at"])
    if outcome == Screen.Outcome.INFO_REQUESTED:
        _reopen_intake(screen=screen, message=message_to_patient, now=now)
    return screen


def _reopen_intake(*, screen: Screen, message: str, now) -> None:
    intake = Intake.objects.select_for_update().get(pk=screen.intake_id)
    intake.status = Intake.Status.DRAFT
    intake.staff_message = message
    intake.reopened_at = now
    intake.save(update_fields=["status", "staff_message", "reopened_at", "updated_at"])
    patient = screen.patient
    address, name = _patient_email(patient)
    if not address:
        return  # staff see "no email on file" on the screen page and call instead
    with translation.override(patient.preferred_language):
        link = settings.SITE_URL + reverse("patients:intake")
        subject = _("Please check your questionnaire")
        body = _(
            "Hello %(name)s,\n\n"
            "Thank you for filling in the questionnaire. Our team has a question about some "
            "of the answers. Please log in to read the message and update the answers:\n\n"
            "%(link)s\n\n"
            "If you have any questions, call us at %(phone)s.\n\n"
            "%(clinic)s"
        ) % {
            "name": name,
            "link": link,
            "phone": settings.CLINIC_PHONE,
            "clinic": settings.CLINIC_NAME,
        }
    message_queue(
        purpose="intake_info_requested",
        recipient=address,
        idempotency_key=f"screen-{screen.pk}",
        subject=subject,
        body_text=body,
    )
