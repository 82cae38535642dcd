"""Profile writes: completing a profile, dependants, phone-only patients and their claim."""

import datetime
import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.accounts.services import user_set_role
from clinic.notify.services import message_queue

from ..models import Patient
from ..notifications import claim_token_read
from ..selectors.booking import ADULT_AGE, clinic_today, years_before


class ProfileError(Exception):
    """A profile change that cannot be made; the message is for people."""


# What a patient may change about themselves (S4: a form lists exactly these).
PROFILE_FIELDS = (
    "legal_name",
    "preferred_name",
    "date_of_birth",
    "phone",
    "preferred_language",
    "time_zone",
    "reminder_channel",
    "home_session_time",
    "quiet_hours_start",
    "quiet_hours_end",
)


def _full_clean(patient: Patient) -> None:
    try:
        patient.full_clean(exclude=["user", "guardian", "registered_by"])
    except ValidationError as exc:
        raise ProfileError(" ".join(exc.messages)) from exc


@transaction.atomic
def patient_profile_update(*, patient: Patient, today=None, **fields) -> Patient:
    """Update the fields of ``PROFILE_FIELDS`` given; anything else is refused."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ProfileError(_("These fields cannot be changed here: %s") % ", ".join(unknown))
    dob = fields.get("date_of_birth")
    if dob is not None and dob > (today or clinic_today()):
        raise ProfileError(_("The date of birth cannot be in the future."))
    for name, value in fields.items():
        setattr(patient, name, value)
    _full_clean(patient)
    patient.save()
    if "reminder_channel" in fields:
        # A newly chosen channel needs reminder rows of its own for what is already scheduled.
        from .reminders import patient_reminders_refresh

        patient_reminders_refresh(patient=patient)
    if "preferred_language" in fields and patient.user_id:
        _dependants_follow_language(patient.user_id, patient.preferred_language)
    return patient


def _dependants_follow_language(guardian_id, language: str) -> None:
    # A child's messages go to the guardian, so they are written in the guardian's language.
    for child in Patient.objects.filter(guardian_id=guardian_id).exclude(
        preferred_language=language
    ):
        child.preferred_language = language
        child.save(update_fields=["preferred_language", "updated_at"])


@transaction.atomic
def patient_language_set(*, user: User, language: str) -> None:
    """Save the language a signed-in patient chose with the switcher on their profile (and
    their dependants', whose messages they receive). Other accounts have nowhere to keep it."""
    if language not in dict(settings.LANGUAGES):
        raise ProfileError(_("This language is not available."))
    patient = Patient.objects.select_for_update().filter(user=user).first()
    if patient is None:
        return
    if patient.preferred_language != language:
        patient.preferred_language = language
        patient.save(update_fields=["preferred_language", "updated_at"])
    _dependants_follow_language(user.pk, language)


@transaction.atomic
def patient_add_dependant(
    *,
    guardian: User,
    legal_name: str,
    date_of_birth: datetime.date,
    preferred_name: str = "",
    today: datetime.date | None = None,
) -> Patient:
    """A parent or guardian adds a child under 18 whom they act for (book, intake, consent,
    reminders go to the guardian)."""
    today = today or clinic_today()
    if not guardian.is_patient:
        raise ProfileError(_("Only a patient account can add a dependant."))
    if date_of_birth > today:
        raise ProfileError(_("The date of birth cannot be in the future."))
    if date_of_birth <= years_before(today, ADULT_AGE):
        raise ProfileError(
            _("Only children under %(age)s can be added; adults need their own account.")
            % {"age": ADULT_AGE}
        )
    if not legal_name.strip():
        raise ProfileError(_("Enter the child's full name."))
    guardian_profile = Patient.objects.filter(user=guardian).first()
    patient = Patient(
        guardian=guardian,
        legal_name=legal_name.strip(),
        preferred_name=preferred_name.strip(),
        date_of_birth=date_of_birth,
        preferred_language=guardian_profile.preferred_language if guardian_profile else "en",
    )
    if guardian_profile is not None:
        patient.time_zone = guardian_profile.time_zone
    _full_clean(patient)
    patient.save()
    return patient


@transaction.atomic
def patient_register_by_staff(
    *,
    registered_by: User,
    legal_name: str,
    phone: str,
    date_of_birth: datetime.date | None = None,
    preferred_name: str = "",
    contact_email: str = "",
    preferred_language: str = "en",
) -> Patient:
    """Front desk registers a patient who called and has no login (phone only)."""
    if not phone:
        raise ProfileError(_("Enter a phone number so the clinic can reach the patient."))
    if date_of_birth is not None and date_of_birth > clinic_today():
        raise ProfileError(_("The date of birth cannot be in the future."))
    duplicate = Patient.objects.filter(phone=phone)
    if date_of_birth is not None:
        duplicate = duplicate.filter(date_of_birth=date_of_birth)
    else:
        duplicate = duplicate.filter(legal_name__iexact=legal_name.strip())
    if duplicate.exists():
        raise ProfileError(
            _("A patient with this phone number is already registered; search for them instead.")
        )
    patient = Patient(
        legal_name=legal_name.strip(),
        preferred_name=preferred_name.strip(),
        phone=phone,
        date_of_birth=date_of_birth,
        contact_email=contact_email.strip().lower(),
        preferred_language=preferred_language,
        registered_by=registered_by,
    )
    _full_clean(patient)
    patient.save()
    return patient


@transaction.atomic
def patient_claim_invite(*, patient: Patient, email: str) -> Patient:
    """Email a phone-only patient a link to set up their login. The link is rendered when
    the mail is sent (never stored), works once, for three days, and a new invitation
    replaces the previous one."""
    email = (email or "").strip().lower()
    if patient.user_id is not None:
        raise ProfileError(_("This patient already has an online account."))
    if patient.is_dependant:
        raise ProfileError(_("A child's account is managed by their guardian."))
    if not email:
        raise ProfileError(_("Enter the patient's email address."))
    if User.objects.filter(email__iexact=email).exists():
        raise ProfileError(
            _("An account with this email already exists. Ask the patient to use another.")
        )
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.contact_email = email
    patient.claim_nonce = secrets.token_hex(16)
    _full_clean(patient)
    patient.save(update_fields=["contact_email", "claim_nonce", "updated_at"])
    message_queue(
        purpose="patient.claim_invitation",
        idempotency_key=f"{patient.pk}:{patient.claim_nonce}",
        recipient=email,
        renderer="patients.claim",
        render_params={"patient_id": patient.pk},
    )
    return patient


def patient_for_claim_token(token: str) -> Patient | None:
    """The unclaimed patient a valid, current claim link is for."""
    data = claim_token_read(token)
    if not data:
        return None
    patient = Patient.objects.filter(pk=data.get("p"), user__isnull=True).first()
    if patient is None or not patient.claim_nonce or patient.claim_nonce != data.get("n"):
        return None
    return patient


@transaction.atomic
def patient_claim(*, token: str, password: str) -> User:
    """The patient follows the emailed link and sets a password: a login is made for the
    address the link was sent to (proven by following it) and joined to their record."""
    data = claim_token_read(token)
    if not data:
        raise ProfileError(_("This link has expired or is not valid. Please call the clinic."))
    patient = Patient.objects.select_for_update().filter(pk=data.get("p")).first()
    if (
        patient is None
        or patient.user_id is not None
        or not patient.claim_nonce
        or patient.claim_nonce != data.get("n")
    ):
        raise ProfileError(_("This link has already been used or was replaced by a newer one."))
    email = patient.contact_email
    if not email or User.objects.filter(email__iexact=email).exists():
        raise ProfileError(_("An account with this email already exists. Please log in."))
    first, _sep, last = patient.legal_name.partition(" ")
    user = User.objects.create_user(
        email=email, password=password, first_name=first[:150], last_name=last[:150]
    )
    user_set_role(user=user, role=Role.PATIENT)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    patient.user = user
    patient.claim_nonce = ""
    patient.save(update_fields=["user", "claim_nonce", "updated_at"])
    return user
