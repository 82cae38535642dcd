"""The patients app's reminder kinds (registered in ``PatientsConfig.ready``): consultations 24 h
and 2 h before, in-clinic treatment visits 24 h before; and who receives a patient's reminders.

Content is the minimum necessary (S13): the recipient's first name, the date and time, the
place, the clinic's name and phone and a link — never the type of consultation, the clinician,
a diagnosis, a treatment, HDSS or notes. A guardian receives a dependant's reminders (greeted by
their own first name; the child is named by first name only)."""

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from clinic.notify.registry import Rendered
from clinic.notify.reminders import (
    EMAIL,
    SMS,
    Audience,
    ReminderContext,
    ReminderKind,
    before,
)

from .models import Appointment, AppointmentKind, AppointmentStatus, Patient, ReminderChannel

PERSON_LABEL = "patients.patient"
CHANNELS = {
    ReminderChannel.EMAIL: frozenset({EMAIL}),
    ReminderChannel.SMS: frozenset({SMS}),
    ReminderChannel.BOTH: frozenset({EMAIL, SMS}),
}

# Opt-out topics: what a patient can turn off on the preferences page.
TOPIC_CONSULTATIONS = "consultations"
TOPIC_CLINIC_VISITS = "clinic_visits"


# --- Who receives a patient's reminders ---------------------------------------------------------
def first_name(value: str) -> str:
    return (value or "").strip().split(" ")[0]


def patient_audience(patient: Patient) -> Audience | None:
    """Recipient, channels and preferences for ``patient``'s reminders. A dependant's go to the
    guardian (their login's email; the phone on the child's profile, which the guardian gave).
    The preferences are the patient's own (a guardian sets a child's). None when there is
    nobody to write to."""
    if patient.is_dependant:
        guardian = patient.guardian
        email = guardian.email
        name = guardian.first_name or first_name(guardian.get_full_name())
    else:
        email = patient.user.email if patient.user_id else patient.contact_email
        name = patient.preferred_name or first_name(patient.legal_name)
    if not email and not patient.phone:
        return None
    return Audience(
        first_name=first_name(name),
        email=email or "",
        phone=patient.phone or "",
        channels=CHANNELS.get(patient.reminder_channel, frozenset({EMAIL})),
        time_zone=patient.time_zone or "",
        quiet_start=patient.quiet_hours_start,
        quiet_end=patient.quiet_hours_end,
        opted_out=frozenset(patient.reminder_opt_outs or ()),
        language=patient.preferred_language or "",
        person=(PERSON_LABEL, str(patient.pk)),
    )


# --- Appointments ---------------------------------------------------------------------------------
def _of_kind(kind: str):
    def start(appointment: Appointment):
        return appointment.start if appointment.kind == kind else None

    return start


def appointment_still_on(appointment: Appointment, version: int) -> bool:
    return appointment.status == AppointmentStatus.BOOKED and appointment.version == version


def appointment_audience(appointment: Appointment) -> Audience | None:
    return patient_audience(appointment.patient)


def appointment_ends(appointment: Appointment):
    return appointment.start


def render_reminder(
    *,
    ctx: ReminderContext,
    patient: Patient,
    moment: datetime.datetime,
    subject: str,
    what: str,
    where: str,
    link: str,
) -> Rendered:
    """The one layout of every reminder: generic subject, plain text and simple HTML, a short
    SMS. ``what`` is a generic phrase ("your appointment", "your session at home")."""
    local = ctx.local(moment)
    values = {
        "name": ctx.first_name,
        "child": first_name(patient.preferred_name or patient.legal_name)
        if patient.is_dependant
        else "",
        "what": what,
        "day": date_format(local, "l j F Y"),
        "short_day": date_format(local, "D j M"),
        "time": date_format(local, "H:i"),
        "zone": local.tzname(),
        "where": where,
        "link": link,
        "manage_url": ctx.manage_url,
        "clinic_name": ctx.clinic_name,
        "clinic_phone": ctx.clinic_phone,
    }
    if ctx.channel == SMS:
        text = (
            _(
                "%(clinic_name)s: %(what)s %(short_day)s %(time)s, %(where)s. "
                "Questions: %(clinic_phone)s. Reminders: %(manage_url)s"
            )
            % values
        )
        return Rendered(subject="", text=text)
    subject = f"[{ctx.clinic_name}] {subject}"
    text = render_to_string("patients/email/reminder.txt", values)
    html = render_to_string("patients/email/reminder.html", values)
    return Rendered(subject=subject, text=text, html=html)


def _appointments_link() -> str:
    return settings.SITE_URL + reverse("patients:appointments")


def _clinic_place() -> str:
    return f"{settings.CLINIC_NAME}, {settings.CLINIC_ADDRESS}"


def render_consultation(appointment: Appointment, ctx: ReminderContext, *, soon: bool):
    patient = appointment.patient
    return render_reminder(
        ctx=ctx,
        patient=patient,
        moment=appointment.start,
        subject=_("Your appointment is soon") if soon else _("Your appointment tomorrow"),
        what=_appointment_phrase(patient, ctx),
        where=_clinic_place() if ctx.channel != SMS else _("at the clinic"),
        link=_appointments_link(),
    )


def render_consultation_24h(appointment: Appointment, ctx: ReminderContext):
    return render_consultation(appointment, ctx, soon=False)


def render_consultation_2h(appointment: Appointment, ctx: ReminderContext):
    return render_consultation(appointment, ctx, soon=True)


def render_visit(appointment: Appointment, ctx: ReminderContext):
    patient = appointment.patient
    return render_reminder(
        ctx=ctx,
        patient=patient,
        moment=appointment.start,
        subject=_("Your visit tomorrow"),
        what=_visit_phrase(patient, ctx),
        where=_clinic_place() if ctx.channel != SMS else _("at the clinic"),
        link=_appointments_link(),
    )


def _appointment_phrase(patient: Patient, ctx: ReminderContext) -> str:
    if patient.is_dependant:
        return _("%(child)s's appointment") % {
            "child": first_name(patient.preferred_name or patient.legal_name)
        }
    return pgettext("reminder", "your appointment")


def _visit_phrase(patient: Patient, ctx: ReminderContext) -> str:
    if patient.is_dependant:
        return _("%(child)s's visit at the clinic") % {
            "child": first_name(patient.preferred_name or patient.legal_name)
        }
    return pgettext("reminder", "your visit at the clinic")


def _kinds() -> list[ReminderKind]:
    """The kinds this app registers (all on ``patients.appointment``)."""
    consultation = _of_kind(AppointmentKind.CONSULTATION)
    visit = _of_kind(AppointmentKind.TREATMENT_VISIT)
    common = {
        "target": "patients.appointment",
        "is_valid": appointment_still_on,
        "audience": appointment_audience,
        "expires": appointment_ends,
        # What patient_audience reads: one query for a batch of appointments.
        "related": ("patient__user", "patient__guardian"),
    }
    return [
        ReminderKind(
            name="consultation-24h",
            label=gettext_lazy("Appointment, 24 h before"),
            topic=TOPIC_CONSULTATIONS,
            topic_label=gettext_lazy("Appointment reminders"),
            when=before(consultation, datetime.timedelta(hours=24)),
            render=render_consultation_24h,
            **common,
        ),
        ReminderKind(
            name="consultation-2h",
            label=gettext_lazy("Appointment, 2 h before"),
            topic=TOPIC_CONSULTATIONS,
            topic_label=gettext_lazy("Appointment reminders"),
            when=before(consultation, datetime.timedelta(hours=2)),
            render=render_consultation_2h,
            **common,
        ),
        ReminderKind(
            name="treatment-visit-24h",
            label=gettext_lazy("Clinic visit, 24 h before"),
            topic=TOPIC_CLINIC_VISITS,
            topic_label=gettext_lazy("Clinic visit reminders"),
            when=before(visit, datetime.timedelta(hours=24)),
            render=render_visit,
            **common,
        ),
    ]


KINDS = _kinds()
