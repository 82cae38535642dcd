"""Demo progress, made through the real services (runs after the plans demo):

- Kenji logs his home sessions on the hands (nearly all done, one skipped) and checks in every
  two weeks: palmar HDSS 4 at the screen, 3 after two weeks, 2 now: a response, so Dr Ng's
  dashboard suggests moving him to maintenance;
- Grace (hands, HDSS 3) started home iontophoresis with Dr Ng about three weeks ago, logged
  only a few sessions and, two days ago, blisters: her flags (blisters, low adherence) put her
  at the top of the dashboard.
"""

import datetime
import zoneinfo
from decimal import Decimal

from django.utils import timezone

from patients.models import Screen

from .demo import _patient, _screen_and_clear, _user
from .models import Plan, PlannedSession, SessionLog, SideEffect, SkipReason
from .services import ItemSpec, plan_assign, plan_sessions_sync
from .services.tracking import LogEntry, checkin_record, progress_refresh, session_log_create


def _at(patient, day: datetime.date, hour: int) -> datetime.datetime:
    zone = zoneinfo.ZoneInfo(patient.time_zone)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone)


def _home_sessions(plan, *, before: datetime.date):
    return list(
        PlannedSession.objects.filter(
            plan=plan, kind="session", setting="home", status="planned", day__lt=before
        ).order_by("day")
    )


def _kenji(log) -> None:
    kenji = _patient("kenji")
    plan = Plan.objects.filter(patient=kenji).first() if kenji else None
    if plan is None or SessionLog.objects.filter(patient=kenji).exists():
        return
    now = timezone.now()
    today = now.astimezone(zoneinfo.ZoneInfo(kenji.time_zone)).date()
    sessions = _home_sessions(plan, before=today)
    currents = [Decimal(v) for v in ("10", "11", "12", "12", "13", "14", "14", "14", "14")]
    for n, s in enumerate(sessions):
        when = _at(kenji, s.day, 19)
        if n == 4:
            session_log_create(
                user=kenji.user,
                patient_id=kenji.pk,
                planned_session_id=s.pk,
                entry=LogEntry(status="skipped", skip_reason=SkipReason.AWAY),
                now=when,
            )
            continue
        effects = (SideEffect.TINGLING,) if n in (0, 1) else (SideEffect.NONE,)
        session_log_create(
            user=kenji.user,
            patient_id=kenji.pk,
            planned_session_id=s.pk,
            entry=LogEntry(
                status="done",
                minutes=20,
                current_ma=currents[min(n, len(currents) - 1)],
                areas=("palmar",),
                side_effects=effects,
                notes="Slight tingling at first, gone by the end." if n == 0 else "",
            ),
            now=when,
        )
    start = sessions[0].day if sessions else today
    for offset, palmar, plantar, dry in ((13, 3, 3, 4), (None, 2, 3, 7)):
        day = start + datetime.timedelta(days=offset) if offset is not None else today
        if day > today:
            continue
        checkin_record(
            user=kenji.user,
            patient_id=kenji.pk,
            scores={"palmar": palmar, "plantar": plantar},
            dryness={"palmar": dry},
            now=min(_at(kenji, day, 20), now),
        )
    # The minor tingling at the start was seen at the time.
    from .models import Flag

    doctor = _user("dr.ng")
    Flag.objects.filter(patient=kenji, kind=Flag.Kind.SIDE_EFFECT).update(
        closed_at=now, closed_by=doctor, close_note="Common at the start; reassured by phone."
    )
    progress_refresh(patient=kenji, now=now)
    log("three weeks of sessions and check-ins for kenji (HDSS 4 → 2)")


def _grace(log) -> None:
    grace = _patient("grace")
    nurse, doctor = _user("nurse"), _user("dr.ng")
    if grace is None or grace.date_of_birth is None or Plan.objects.filter(patient=grace).exists():
        return
    if not grace.intakes.exists():
        _screen_and_clear(grace, {"areas": {"palmar": 3}}, nurse)
    screen = grace.screens.exclude(status=Screen.Status.SUPERSEDED).first()
    if screen is None or screen.outcome != Screen.Outcome.CLEARED:
        return
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(grace.time_zone)
    start = (now - datetime.timedelta(days=20)).astimezone(zone).date()
    start -= datetime.timedelta(days=start.weekday())
    plan = plan_assign(
        patient_id=grace.pk,
        items=[
            ItemSpec(
                treatment="iontophoresis",
                areas=("palmar",),
                setting="home",
                session_minutes=20,
                current_ma=Decimal("12"),
                sessions_per_week=3,
                initial_weeks=4,
                weekdays=(0, 2, 4),
                maintenance_interval_weeks=1,
                start_date=start,
                water="tap",
                review_date=start + datetime.timedelta(weeks=4, days=1),
            )
        ],
        user=doctor,
        now=_at(grace, start, 9),
    )
    plan_sessions_sync(plan=plan, now=now)
    today = now.astimezone(zone).date()
    sessions = _home_sessions(plan, before=today)
    done = [sessions[0], sessions[1]] if len(sessions) > 2 else sessions[:1]
    for s in done:
        session_log_create(
            user=grace.user,
            patient_id=grace.pk,
            planned_session_id=s.pk,
            as_planned=True,
            now=_at(grace, s.day, 18),
        )
    blister_day = today - datetime.timedelta(days=2)
    session_log_create(
        user=grace.user,
        patient_id=grace.pk,
        entry=LogEntry(
            status="done",
            day=blister_day,
            minutes=25,
            current_ma=Decimal("16"),
            areas=("palmar",),
            side_effects=(SideEffect.BLISTERS, SideEffect.REDNESS),
            notes="Small blisters between two fingers after the session.",
        ),
        now=_at(grace, blister_day, 21),
    )
    progress_refresh(patient=grace, now=now)
    log("plan with few sessions and a blister for grace (Dr Ng's dashboard)")


def build(log):
    _kenji(log)
    _grace(log)
    return []
