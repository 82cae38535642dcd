"""The patient's home once a treatment plan is active: what to do next (registered with
``patients.home_steps``). Two queries: the active plan with the progress snapshot, and the plan's
sessions from a week ago to the next few weeks."""

import datetime

from django.db.models import Min
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patients.home_steps import Step
from patients.models import AppointmentStatus

from . import progress
from .models import Plan, PlannedSession, Progress, Setting
from .progress_data import LOGGABLE_DAYS
from .services.sessions import patient_today, patient_zone

AHEAD_DAYS = 28  # how far to look for the next session


def plan_steps(patient, *, now: datetime.datetime) -> list[Step] | None:
    plan = (
        Plan.objects.filter(patient=patient, status=Plan.Status.ACTIVE)
        .select_related("patient__progress")
        .annotate(start_day=Min("current_version__items__start_date"))
        .first()
    )
    if plan is None:
        return None
    today = patient_today(patient, now)
    sessions = list(
        PlannedSession.objects.filter(
            plan=plan,
            status=PlannedSession.Status.PLANNED,
            kind=PlannedSession.Kind.SESSION,
            day__gte=today - datetime.timedelta(days=LOGGABLE_DAYS),
            day__lte=today + datetime.timedelta(days=AHEAD_DAYS),
        )
        .select_related("log", "appointment")
        .order_by("day", "starts_at", "pk")
    )
    steps = [
        Step(
            text=_("Your treatment plan is ready."),
            url=reverse("treatments:my_treatment"),
            link=_("See what to do and when"),
            done=True,
        )
    ]
    steps += _session_steps(sessions, today=today, patient=patient)
    if _checkin_due(plan, today=today):
        steps.append(
            Step(
                text=_("Time for your two-weekly check-in."),
                url=reverse("treatments:checkin", args=[patient.pk]),
                link=_("Check in"),
                urgent=True,
            )
        )
    steps.append(
        Step(
            text=_("Follow how your sweating changes."),
            url=reverse("treatments:progress", args=[patient.pk]),
            link=_("See my progress"),
        )
    )
    return steps


def _logged(session) -> bool:
    try:
        return session.log is not None
    except PlannedSession.log.RelatedObjectDoesNotExist:
        return False


def _visit_done(session) -> bool:
    appointment = session.appointment
    return appointment is not None and appointment.status in (
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
    )


def _session_steps(sessions, *, today, patient) -> list[Step]:
    home = [s for s in sessions if s.setting == Setting.HOME]
    todays = next((s for s in home if s.day == today), None)
    earlier = [s for s in home if s.day < today and not _logged(s)]
    steps = []
    if todays is not None and _logged(todays):
        steps.append(Step(text=_("Today's session is logged. Well done!"), done=True))
    elif todays is not None:
        steps.append(
            Step(
                text=_("After today's session at home, tell us how it went."),
                url=reverse("treatments:log_session", args=[todays.pk]),
                link=_("Log today's session"),
                urgent=True,
            )
        )
    if earlier:
        steps.append(
            Step(
                text=ngettext(
                    "%(n)s earlier session is waiting to be logged.",
                    "%(n)s earlier sessions are waiting to be logged.",
                    len(earlier),
                )
                % {"n": len(earlier)},
                url=reverse("treatments:my_treatment") + f"#log-{patient.pk}",
                link=_("Log them"),
            )
        )
    upcoming = [
        s
        for s in sessions
        if (s.day > today or (s.day == today and s.setting != Setting.HOME))
        and not _logged(s)
        and not _visit_done(s)
    ]
    if upcoming and (todays is None or _logged(todays)):
        nxt = upcoming[0]
        when = nxt.actual_start
        day = formats.date_format(nxt.day, "l j F")
        if nxt.setting == Setting.HOME:
            text = _("Your next session at home: %(day)s.") % {"day": day}
        elif when is not None:
            local = timezone.localtime(when, patient_zone(patient))
            text = _("Your next session at the clinic: %(day)s at %(time)s.") % {
                "day": formats.date_format(local.date(), "l j F"),
                "time": formats.time_format(local.time(), "H:i"),
            }
        else:
            text = _("Your next session at the clinic: %(day)s.") % {"day": day}
        steps.append(Step(text=text))
    return steps


def _checkin_due(plan, *, today) -> bool:
    """As on "My treatment": the snapshot's due day, or two weeks after the start before the
    first snapshot is written."""
    try:
        due_on = plan.patient.progress.checkin_due_on
    except Progress.DoesNotExist:
        due_on = progress.checkin_due_on(last_checkin=None, start=plan.start_day)
    return due_on is not None and due_on <= today
