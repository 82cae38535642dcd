"""Calendar files (.ics, RFC 5545/5546) for appointments, made with the icalendar library.

One UID per appointment for its whole life, so calendar apps update the same entry: each
reschedule bumps ``Appointment.version`` and the file's SEQUENCE (version - 1) with it; a
cancellation is METHOD:CANCEL with a SEQUENCE one higher than the last request. Times are UTC.
Content is the minimum necessary (S13): when, where, a link and the clinic's phone; never a
reason for the visit or the type of treatment.
"""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Appointment, AppointmentKind, AppointmentStatus
from .selectors.booking import clinic_tz

PRODID = "-//Hyperhidrosis clinic//Appointments//EN"


class Method:
    REQUEST = "REQUEST"  # emailed invitation: new or moved appointment
    CANCEL = "CANCEL"  # emailed cancellation
    PUBLISH = "PUBLISH"  # a file the patient downloads


def appointment_summary(appointment: Appointment) -> str:
    if appointment.kind == AppointmentKind.CONSULTATION:
        return _("Consultation at %(clinic)s") % {"clinic": settings.CLINIC_NAME}
    return _("Clinic visit at %(clinic)s") % {"clinic": settings.CLINIC_NAME}


def appointment_sequence(appointment: Appointment, method: str) -> int:
    base = appointment.version - 1
    if method == Method.CANCEL or appointment.status == AppointmentStatus.CANCELLED:
        return base + 1
    return base


def appointment_ics(
    appointment: Appointment,
    *,
    method: str = Method.PUBLISH,
    attendee_email: str = "",
    now: datetime.datetime | None = None,
) -> bytes:
    """The appointment as a one-event calendar."""
    cancelled = method == Method.CANCEL or appointment.status == AppointmentStatus.CANCELLED
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", Method.CANCEL if cancelled and method != Method.PUBLISH else method)

    event = Event()
    event.add("uid", appointment.ics_uid)
    event.add("dtstamp", (now or timezone.now()).astimezone(datetime.UTC))
    event.add("dtstart", appointment.start.astimezone(datetime.UTC))
    event.add("dtend", appointment.end.astimezone(datetime.UTC))
    event.add("sequence", appointment_sequence(appointment, method))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", appointment_summary(appointment))
    event.add("location", settings.CLINIC_ADDRESS)
    link = settings.SITE_URL + reverse("patients:appointments")
    event.add(
        "description",
        _(
            "Your appointment at %(clinic)s, %(address)s.\n"
            "To see, move or cancel it: %(link)s\n"
            "Questions? Call us: %(phone)s"
        )
        % {
            "clinic": settings.CLINIC_NAME,
            "address": settings.CLINIC_ADDRESS,
            "link": link,
            "phone": settings.CLINIC_PHONE,
        },
    )
    event.add("url", link)
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if method in (Method.REQUEST, Method.CANCEL):
        # RFC 5546 requires an organizer (and the attendee the message is for).
        from_address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
        organizer = vCalAddress(f"mailto:{from_address}")
        organizer.params["cn"] = vText(settings.CLINIC_NAME)
        event.add("organizer", organizer)
        if attendee_email:
            attendee = vCalAddress(f"mailto:{attendee_email}")
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            attendee.params["partstat"] = vText("ACCEPTED")
            event.add("attendee", attendee)
    cal.add_component(event)
    return cal.to_ical()


def ics_filename(appointment: Appointment) -> str:
    local = appointment.start.astimezone(clinic_tz())
    return f"appointment-{local:%Y-%m-%d-%H%M}.ics"
