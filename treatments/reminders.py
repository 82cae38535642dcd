"""The treatments app's reminder kind (registered in ``TreatmentsConfig.ready``): a home session,
at its time on the session day — the patient's preferred time of day, in their own zone.

The target is the planned session; its version is the session's ``revision`` (bumped whenever
the session moves or is cancelled), so regenerating a plan gives moved sessions fresh rows and
cancels the old ones. In-clinic sessions are reminded through their appointment (patients)."""

import datetime
import zoneinfo

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from clinic.notify.reminders import ReminderContext, ReminderKind
from patients.reminders import first_name, patient_audience, render_reminder

from .models import PlannedSession, Setting

TOPIC_HOME_SESSIONS = "home_sessions"


def _is_home_session(session: PlannedSession) -> bool:
    return session.setting == Setting.HOME and session.kind == PlannedSession.Kind.SESSION


def home_session_at(session: PlannedSession):
    """The session's time: the patient's preferred time of day on the session day in their
    zone (stored UTC; DST-correct, see ``schedule.local_start``)."""
    return session.starts_at if _is_home_session(session) else None


def home_session_still_on(session: PlannedSession, version: int) -> bool:
    return (
        _is_home_session(session)
        and session.status == PlannedSession.Status.PLANNED
        and session.revision == version
    )


def home_session_expires(session: PlannedSession):
    """Not worth sending after the session day ends on the patient's clock."""
    patient = session.plan.patient
    try:
        zone = zoneinfo.ZoneInfo(patient.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)
    midnight = datetime.datetime.combine(
        session.day + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone
    )
    return midnight.astimezone(datetime.UTC)


def home_session_audience(session: PlannedSession):
    return patient_audience(session.plan.patient)


def render_home_session(session: PlannedSession, ctx: ReminderContext):
    patient = session.plan.patient
    if patient.is_dependant:
        what = _("%(child)s's session at home") % {
            "child": first_name(patient.preferred_name or patient.legal_name)
        }
    else:
        what = pgettext("reminder", "your session at home")
    return render_reminder(
        ctx=ctx,
        patient=patient,
        moment=session.starts_at,
        subject=_("Your reminder for today"),
        what=what,
        where=_("at home"),
        link=settings.SITE_URL + reverse("treatments:my_treatment"),
    )


KINDS = [
    ReminderKind(
        name="home-session",
        label=gettext_lazy("Home session, on the day"),
        target="treatments.plannedsession",
        topic=TOPIC_HOME_SESSIONS,
        topic_label=gettext_lazy("Home session reminders"),
        when=home_session_at,
        is_valid=home_session_still_on,
        audience=home_session_audience,
        expires=home_session_expires,
        render=render_home_session,
        related=("plan__patient__user", "plan__patient__guardian"),
    )
]
