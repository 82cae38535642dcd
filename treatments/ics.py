"""iCalendar (RFC 5545) for a patient's planned sessions: the .ics download and the private
feed. Minimum necessary: titles say "Home session" or "Clinic visit", never a treatment or a
diagnosis (calendars are often shared or synced to other services)."""

import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .models import PlannedSession, Setting


def _title(session: PlannedSession) -> str:
    if session.kind == PlannedSession.Kind.REVIEW:
        return _("%(clinic)s: review visit") % {"clinic": settings.CLINIC_NAME}
    if session.setting == Setting.HOME:
        return _("Home session (%(minutes)s min)") % {"minutes": session.duration_minutes}
    return _("%(clinic)s: clinic visit") % {"clinic": settings.CLINIC_NAME}


def calendar_bytes(sessions: list[PlannedSession], *, link: str, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", f"-//{settings.CLINIC_NAME}//Treatment sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    domain = settings.MESSAGE_ID_DOMAIN
    stamp = datetime.datetime.now(tz=datetime.UTC)
    for session in sessions:
        event = Event()
        event.add("uid", f"planned-session-{session.pk}@{domain}")
        event.add("sequence", session.revision)
        event.add("dtstamp", stamp)
        event.add("summary", _title(session))
        if session.appointment_id is not None:  # a treatment visit: its booked time
            event.add("dtstart", session.appointment.start)
            event.add("dtend", session.appointment.end)
        elif session.starts_at is not None:
            event.add("dtstart", session.starts_at)
            minutes = session.duration_minutes or 30
            event.add("dtend", session.starts_at + datetime.timedelta(minutes=minutes))
        else:
            # In the clinic, time to be arranged: an all-day entry on the planned day.
            event.add("dtstart", session.day)
            event.add("dtend", session.day + datetime.timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        if session.setting == Setting.CLINIC:
            event.add("location", settings.CLINIC_ADDRESS)
        description = _("Details: %(link)s") % {"link": link}
        if session.setting == Setting.CLINIC and session.actual_start is None:
            description = _("The clinic will arrange the time with you. ") + description
        event.add("description", description)
        event.add(
            "status",
            "CANCELLED"
            if session.status == PlannedSession.Status.CANCELLED or session.visit_cancelled
            else "CONFIRMED",
        )
        cal.add_component(event)
    return cal.to_ical()
