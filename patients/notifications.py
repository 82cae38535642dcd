"""Messages to patients about their appointments and accounts, written to the outbox in the
caller's transaction (R2). Content is the minimum necessary (S13): when, where, a link and
the clinic's phone; never the reason for the visit, a diagnosis or a treatment."""

import zoneinfo

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from clinic.notify.registry import Rendered, TargetGone
from clinic.notify.services import message_queue

from .calendar import Method, appointment_ics, ics_filename
from .models import Appointment, Patient
from .selectors.booking import clinic_tz

CLAIM_SALT = "patients.claim"
CLAIM_MAX_AGE = 3 * 24 * 60 * 60  # an invitation to claim an account lasts three days


def patient_email_address(patient: Patient) -> str:
    """Where a patient's messages go: their own login, else their guardian's, else the
    address staff recorded. Empty for a phone-only patient."""
    if patient.user_id and patient.user.email:
        return patient.user.email
    if patient.guardian_id and patient.guardian.email:
        return patient.guardian.email
    return patient.contact_email


def _patient_tz(patient: Patient) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(patient.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return clinic_tz()


SUBJECTS = {
    "booked": gettext_noop("Your appointment is booked"),
    "rescheduled": gettext_noop("Your appointment has moved"),
    "cancelled": gettext_noop("Your appointment is cancelled"),
}


def appointment_notify(*, appointment: Appointment, action: str, new: bool = False):
    """Queue the email for a booking, reschedule or cancellation, with its calendar file.
    Returns the outbox message, or None when the patient has no email address. Rendered from
    the objects the caller holds (give ``appointment`` its patient, specialist and type
    loaded); ``new``: the appointment was created in this transaction (one INSERT)."""
    patient = appointment.patient
    recipient = patient_email_address(patient)
    if not recipient:
        return None
    method = Method.CANCEL if action == "cancelled" else Method.REQUEST
    ctx = {
        "appointment": appointment,
        "action": action,
        "patient": patient,
        "for_dependant": patient.is_dependant,
        "greeting_name": (
            patient.guardian.get_short_name() if patient.is_dependant else patient.display_name
        ),
        "link": settings.SITE_URL + reverse("patients:appointments"),
        "book_link": settings.SITE_URL + reverse("booking:start"),
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
        "CLINIC_ADDRESS": settings.CLINIC_ADDRESS,
        "clinic_tz": clinic_tz(),
        "show_own_zone": patient.time_zone != settings.CLINIC_TIME_ZONE,
        "own_tz": _patient_tz(patient),
    }
    with translation.override(patient.preferred_language), timezone.override(clinic_tz()):
        subject = f"[{settings.CLINIC_NAME}] " + translation.gettext(SUBJECTS[action])
        text = render_to_string("patients/email/appointment.txt", ctx)
        html = render_to_string("patients/email/appointment.html", ctx)
        ics = appointment_ics(appointment, method=method, attendee_email=recipient)
    return message_queue(
        purpose=f"appointment.{action}",
        idempotency_key=f"{appointment.pk}:v{appointment.version}:{action}",
        new_key=new,
        recipient=recipient,
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=[
            {
                "filename": ics_filename(appointment),
                "content": ics.decode(),
                "mimetype": f"text/calendar; method={method}",
            }
        ],
    )


# --- Claiming an account (phone-only patient registered by staff) ---------------------------
def claim_token(patient: Patient) -> str:
    return signing.dumps({"p": patient.pk, "n": patient.claim_nonce}, salt=CLAIM_SALT)


def claim_token_read(token: str) -> dict | None:
    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=CLAIM_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return data if isinstance(data, dict) else None


def render_claim_invitation(params: dict, recipient: str) -> Rendered:
    """Rendered when sent (the link is never stored in the outbox, S14)."""
    patient = Patient.objects.filter(pk=params.get("patient_id"), user__isnull=True).first()
    if patient is None or not patient.claim_nonce:
        raise TargetGone("account already claimed or invitation withdrawn")
    link = settings.SITE_URL + reverse("booking:claim", args=[claim_token(patient)])
    ctx = {
        "patient": patient,
        "link": link,
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
        "days": CLAIM_MAX_AGE // 86400,
    }
    with translation.override(patient.preferred_language):
        subject = f"[{settings.CLINIC_NAME}] " + translation.gettext("Set up your online account")
        text = render_to_string("patients/email/claim.txt", ctx)
    return Rendered(subject=subject, text=text)
