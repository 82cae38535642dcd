"""The "not logged yet?" nudge: a reminder kind of notify's schedule (see
``clinic.notify.reminders``). The morning after a planned home session that has no log, one
gentle message (per channel the patient chose), respecting their channel, quiet hours and
opt-out; cancelled if the session is logged first (``is_valid`` is checked by the dispatcher
and again when the worker renders the message), moved or cancelled.

Rows are written by ``nudges_schedule`` (a periodic task, idempotent) for home sessions from
yesterday to two days ahead; any code that schedules a planned session's reminders with
``reminders_schedule(target=session, version=session.revision)`` writes this kind's row too.
The message carries the minimum (S13): a first name, the day, "home session", a link to log
it, the clinic's phone and the reminder settings link; never a treatment, area or score.
"""

import datetime
import zoneinfo
from html import escape

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.notify.registry import Rendered
from clinic.notify.reminders import Audience, ReminderContext, ReminderKind, local_instant
from patients.reminders import patient_audience

from .models import PlannedSession, SessionLog, Setting

KIND = "session-not-logged"
TOPIC = "session_nudges"
MORNING = datetime.time(9, 0)


def _zone(patient) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(patient.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


def _is_home_session(session: PlannedSession) -> bool:
    return session.kind == PlannedSession.Kind.SESSION and session.setting == Setting.HOME


def when(session: PlannedSession) -> datetime.datetime | None:
    """09:00 on the patient's clock the day after the session (quiet hours may move it)."""
    if not _is_home_session(session):
        return None
    patient = session.plan.patient
    return local_instant(session.day + datetime.timedelta(days=1), MORNING, _zone(patient))


def expires(session: PlannedSession) -> datetime.datetime | None:
    """Not worth sending after the day following the session."""
    patient = session.plan.patient
    return local_instant(session.day + datetime.timedelta(days=2), datetime.time(0), _zone(patient))


def is_valid(session: PlannedSession, version: int) -> bool:
    """Still planned, not moved since, and still not logged."""
    return (
        _is_home_session(session)
        and session.status == PlannedSession.Status.PLANNED
        and session.revision == version
        and not SessionLog.objects.filter(planned_session=session).exists()
    )


def audience(session: PlannedSession) -> Audience | None:
    """The same recipient and preferences as every reminder of the patient (a dependant's go
    to the guardian): ``patients.reminders.patient_audience``."""
    return patient_audience(session.plan.patient)


def render(session: PlannedSession, ctx: ReminderContext) -> Rendered:
    day = date_format(session.day, "l j F")
    link = ctx.site_url + reverse("treatments:log_session", args=[session.pk])
    if ctx.channel == "sms":
        text = _(
            "%(clinic)s: did your home session of %(day)s happen? Log it in two taps: "
            "%(link)s (or tell us you skipped it). Reminders: %(manage)s"
        ) % {"clinic": ctx.clinic_name, "day": day, "link": link, "manage": ctx.manage_url}
        return Rendered(subject="", text=text)
    greeting = _("Hello %(name)s,") % {"name": ctx.first_name} if ctx.first_name else _("Hello,")
    lines = {
        "ask": _("Did your home session on %(day)s happen? It isn't logged yet.") % {"day": day},
        "how": _("If you did it, logging it takes two taps. If you skipped it, that's fine: "),
        "how2": _("just tell us, it helps your specialist plan with you."),
        "call": _("Questions? Call us at %(phone)s.") % {"phone": ctx.clinic_phone},
        "button": _("Log the session"),
        "manage": _("Reminder settings"),
    }
    text = (
        f"{greeting}\n\n{lines['ask']}\n\n{lines['how']}{lines['how2']}\n\n{link}\n\n"
        f"{lines['call']}\n\n{lines['manage']}: {ctx.manage_url}\n\n{ctx.clinic_name}\n"
    )
    html = (
        f"<p>{escape(greeting)}</p><p>{escape(lines['ask'])}</p>"
        f"<p>{escape(lines['how'])}{escape(lines['how2'])}</p>"
        f'<p><a href="{escape(link)}">{escape(lines["button"])}</a></p>'
        f"<p>{escape(lines['call'])}</p>"
        f'<p><a href="{escape(ctx.manage_url)}">{escape(lines["manage"])}</a></p>'
    )
    return Rendered(subject=_("Not logged yet?"), text=text, html=html)


NUDGE = ReminderKind(
    name=KIND,
    label=gettext_lazy("Home session not logged, the morning after"),
    target="treatments.plannedsession",
    topic=TOPIC,
    topic_label=gettext_lazy("“Not logged yet?” messages after home sessions"),
    when=when,
    expires=expires,
    is_valid=is_valid,
    audience=audience,
    render=render,
    related=("plan__patient__user", "plan__patient__guardian"),
)


def nudges_schedule(*, now=None) -> int:
    """Write the nudge rows of the home sessions from yesterday to two days ahead that have
    no log (idempotent: ``reminders_schedule`` adds nothing the second time). Returns how many
    sessions were looked at."""
    from django.utils import timezone

    from clinic.notify.services import reminders_schedule

    now = now or timezone.now()
    today = timezone.localdate(now)
    sessions = PlannedSession.objects.filter(
        status=PlannedSession.Status.PLANNED,
        kind=PlannedSession.Kind.SESSION,
        setting=Setting.HOME,
        day__gte=today - datetime.timedelta(days=1),
        day__lte=today + datetime.timedelta(days=2),
        log__isnull=True,
        plan__status="active",
    ).select_related("plan__patient__user", "plan__patient__guardian")
    count = 0
    for session in sessions.iterator(chunk_size=500):
        reminders_schedule(target=session, version=session.revision, now=now)
        count += 1
    return count
