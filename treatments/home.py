"""The patient's home once a treatment plan is active: what to do next (registered with
``patients.home_steps``). No query of its own: ``annotate`` adds subqueries (keyed on the
patient) to the home's query of the people the user answers for, and ``steps`` reads them.
"Today" is the clinic's, as on "My treatment"."""

import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, JSONObject
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patients.home_steps import Provider, Step
from patients.models import AppointmentStatus

from . import progress
from .models import Plan, PlanItem, PlannedSession, Setting
from .progress_data import LOGGABLE_DAYS
from .services.sessions import patient_zone

DONE_VISIT = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


def annotate(people, *, today: datetime.date):
    # The plan and the progress snapshot are one-to-one with the patient: joined in. The rest
    # are subqueries keyed on the joined plan's columns, so none repeats the plan's lookup
    # (each repeat made the query slower to plan than to run).
    plan = OuterRef("plan__pk")
    sessions = PlannedSession.objects.filter(
        plan_id=plan,
        status=PlannedSession.Status.PLANNED,
        kind=PlannedSession.Kind.SESSION,
    )
    home = sessions.filter(setting=Setting.HOME)
    todays = home.filter(day=today).order_by("starts_at", "pk")
    earlier = (
        home.filter(
            day__gte=today - datetime.timedelta(days=LOGGABLE_DAYS),
            day__lt=today,
            log__isnull=True,
        )
        .order_by()
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    coming = (
        sessions.filter(log__isnull=True)
        .filter(Q(day__gt=today) | (Q(day=today) & ~Q(setting=Setting.HOME)))
        .exclude(appointment__status__in=DONE_VISIT)
        .annotate(at=Coalesce("appointment__start", "starts_at"))
        .order_by("day", "starts_at", "pk")
    )
    start = (
        PlanItem.objects.filter(version_id=OuterRef("plan__current_version_id"))
        .order_by("start_date")
        .values("start_date")
    )
    return people.select_related("plan", "progress").annotate(
        hs_start=Subquery(start[:1]),
        hs_today=Subquery(todays.values("pk")[:1]),
        hs_today_logged=Exists(todays.filter(log__isnull=False)),
        hs_earlier=Subquery(earlier[:1]),
        # The next session's day, setting and time in one subquery (three would plan its
        # joins three times).
        hs_next=Subquery(coming.values(next=JSONObject(day="day", setting="setting", at="at"))[:1]),
    )


def _one_to_one(patient, name: str):
    """The joined one-to-one row, or None when the patient has none."""
    try:
        return getattr(patient, name)
    except ObjectDoesNotExist:
        return None


def steps(patient, *, today: datetime.date) -> list[Step] | None:
    plan = _one_to_one(patient, "plan")
    if plan is None or plan.status != Plan.Status.ACTIVE or not hasattr(patient, "hs_start"):
        return None
    out = [
        Step(
            text=_("Your treatment plan is ready."),
            url=reverse("treatments:my_treatment"),
            link=_("My treatment"),
            done=True,
        )
    ]
    out += _session_steps(patient)
    if _checkin_due(patient, today=today):
        out.append(
            Step(
                text=_("Time for your two-weekly check-in."),
                url=reverse("treatments:checkin", args=[patient.pk]),
                link=_("Check in"),
                urgent=True,
            )
        )
    out.append(
        Step(
            text=_("Follow how your sweating changes."),
            url=reverse("treatments:progress", args=[patient.pk]),
            link=_("See my progress"),
        )
    )
    return out


def _session_steps(patient) -> list[Step]:
    out = []
    if patient.hs_today is not None and patient.hs_today_logged:
        out.append(Step(text=_("Today's session is logged. Well done!"), done=True))
    elif patient.hs_today is not None:
        out.append(
            Step(
                text=_("After today's session at home, tell us how it went."),
                url=reverse("treatments:log_session", args=[patient.hs_today]),
                link=_("Log today's session"),
                urgent=True,
            )
        )
    if patient.hs_earlier:
        out.append(
            Step(
                text=ngettext(
                    "%(n)s earlier session is waiting to be logged.",
                    "%(n)s earlier sessions are waiting to be logged.",
                    patient.hs_earlier,
                )
                % {"n": patient.hs_earlier},
                url=reverse("treatments:my_treatment") + f"#log-{patient.pk}",
                link=_("Log them"),
            )
        )
    waiting_today = patient.hs_today is not None and not patient.hs_today_logged
    coming = patient.hs_next  # {"day": ISO date, "setting": ..., "at": ISO time or null}
    if coming and not waiting_today:
        next_day = datetime.date.fromisoformat(coming["day"])
        next_at = datetime.datetime.fromisoformat(coming["at"]) if coming.get("at") else None
        day = formats.date_format(next_day, "l j F")
        if coming["setting"] == Setting.HOME:
            text = _("Your next session at home: %(day)s.") % {"day": day}
        elif next_at is not None:
            local = timezone.localtime(next_at, patient_zone(patient))
            text = _("Your next session at the clinic: %(day)s at %(time)s.") % {
                "day": formats.date_format(local.date(), "l j F"),
                "time": formats.time_format(local.time(), "H:i"),
            }
        else:
            text = _("Your next session at the clinic: %(day)s.") % {"day": day}
        out.append(Step(text=text))
    return out


def _checkin_due(patient, *, today) -> bool:
    """As on "My treatment": the snapshot's due day, or two weeks after the start before the
    first snapshot is written."""
    snapshot = _one_to_one(patient, "progress")
    if snapshot is not None:
        due_on = snapshot.checkin_due_on
    else:
        due_on = progress.checkin_due_on(last_checkin=None, start=patient.hs_start)
    return due_on is not None and due_on <= today


PROVIDER = Provider(annotate=annotate, steps=steps)
