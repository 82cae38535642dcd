"""Reads for progress: one patient's sessions, logs and check-ins gathered in a fixed number of
queries and summarised (adherence, baseline and latest HDSS per area, response or failure,
chart data), the specialist's dashboard, and the patient's CSV export.

``progress_refresh`` (a service) stores the summary as the patient's ``Progress`` snapshot;
the progress pages compute it live from the same function.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet, Subquery

from patients.labels import AREA_LABELS
from patients.models import Patient

from . import progress, progress_markup
from .models import CheckIn, Flag, Plan, PlanItem, PlannedSession, PlanVersion, SessionLog, Setting

RECENT_LOGS = 20


def treated_areas(items) -> list[str]:
    """Every area the plan's current items treat, in the engine's order."""
    seen = []
    for area in AREA_LABELS:
        if any(area in i.areas for i in items):
            seen.append(area)
    return seen


def home_ion_items(items) -> list[PlanItem]:
    return [i for i in items if i.is_iontophoresis and i.setting == Setting.HOME]


@dataclass
class AreaProgress:
    area: str
    label: str
    baseline: int | None
    baseline_day: datetime.date | None
    checkins: list[tuple[datetime.date, int, int | None, str]]  # day, hdss, dryness, source
    sessions: list[tuple[datetime.date, str]]  # day, done/skipped/missed (home sessions)
    baseline_source: str = ""  # "checkin" or "screen"
    assessment: progress.Assessment | None = None
    assessed: bool = False  # response/failure apply (iontophoresis at home)
    geometry: progress.ChartGeometry | None = None
    parts: dict | None = None  # the chart's loop-built markup (progress_markup.chart_parts)

    @property
    def latest(self) -> int | None:
        return self.checkins[-1][1] if self.checkins else None

    @property
    def series(self) -> list[tuple[datetime.date, int]]:
        """The HDSS points of the chart: the screen's score at the start (when no check-in
        came before the treatment), then every check-in."""
        points = [(c[0], c[1]) for c in self.checkins]
        days = {d for d, _ in points}
        if self.baseline_source == "screen" and self.baseline_day and self.baseline_day not in days:
            points.insert(0, (self.baseline_day, self.baseline))
        return sorted(points)

    @property
    def counts(self) -> dict:
        out = {progress.DONE: 0, progress.SKIPPED: 0, progress.MISSED: 0}
        for _day, status in self.sessions:
            if status in out:
                out[status] += 1
        return out


@dataclass
class Summary:
    patient: Patient
    plan: Plan | None
    today: datetime.date
    items: list[PlanItem] = field(default_factory=list)
    areas: list[AreaProgress] = field(default_factory=list)
    phase: str = ""
    planned_phase: int = 0
    done_phase: int = 0
    planned_total: int = 0
    done_total: int = 0
    skipped_total: int = 0
    missed_total: int = 0
    planned_recent: int = 0
    done_recent: int = 0
    last_log_day: datetime.date | None = None
    last_checkin_day: datetime.date | None = None
    checkin_due_on: datetime.date | None = None
    start_day: datetime.date | None = None
    logs: list[SessionLog] = field(default_factory=list)  # newest first
    checkins: list[CheckIn] = field(default_factory=list)  # oldest first
    due_sessions: list[PlannedSession] = field(default_factory=list)  # loggable, unlogged

    @property
    def adherence_phase(self):
        return progress.percent(self.done_phase, self.planned_phase)

    @property
    def adherence_total(self):
        return progress.percent(self.done_total, self.planned_total)

    @property
    def adherence_recent(self):
        return progress.percent(self.done_recent, self.planned_recent)

    @property
    def checkin_due(self) -> bool:
        return self.checkin_due_on is not None and self.checkin_due_on <= self.today

    @property
    def has_history(self) -> bool:
        return any(a.checkins or a.sessions for a in self.areas)


# How far back the patient can still log an unlogged planned session from "My treatment".
LOGGABLE_DAYS = 7


def _plan_of(patient) -> Plan | None:
    try:
        return patient.plan
    except Plan.DoesNotExist:
        return None


def summary(patient: Patient, *, today: datetime.date, with_charts: bool = False) -> Summary:
    """Everything about one patient's progress, in four queries whatever the history's length:
    1 the plan's current items, with the first version's screen's HDSS per area (the
    baseline); 2 the planned home sessions with their logs and their item's areas
    (``item_areas``); 3 the extra sessions (logs without a planned session); 4 the check-ins.
    (The plan comes with ``patient``: select_related it.)"""
    plan = _plan_of(patient)
    data = Summary(patient=patient, plan=plan, today=today)
    if plan is None or plan.current_version_id is None:
        return data
    # The items, each with the first version's screen's HDSS per area (the baseline before
    # any check-in; only the areas the items treat are shown, so none is needed without items).
    first_screen_hdss = (
        PlanVersion.objects.filter(plan_id=plan.pk)
        .order_by("number")
        .values("screen__profile__areas")[:1]
    )
    data.items = list(
        PlanItem.objects.filter(version_id=plan.current_version_id).annotate(
            first_screen_hdss=Subquery(first_screen_hdss)
        )
    )
    screen_hdss = (data.items[0].first_screen_hdss if data.items else None) or {}
    sessions = list(
        PlannedSession.objects.filter(
            plan=plan,
            status=PlannedSession.Status.PLANNED,
            kind=PlannedSession.Kind.SESSION,
            setting=Setting.HOME,
            day__lte=today,
        )
        .select_related("log")
        .annotate(item_areas=F("item__areas"))  # the item's areas, not the whole item
        .order_by("day", "pk")
    )
    extras = list(
        SessionLog.objects.filter(plan=plan, planned_session__isnull=True, day__lte=today).order_by(
            "day", "pk"
        )
    )
    data.checkins = list(CheckIn.objects.filter(patient=patient).order_by("day", "source", "pk"))
    _count(data, sessions, extras)
    _per_area(data, sessions, extras, screen_hdss)
    if with_charts:
        labels = progress_markup.DateLabels()
        for area in data.areas:
            area.geometry = progress.chart_geometry(
                checkins=area.series,
                sessions=area.sessions,
                today=today,
            )
            area.parts = progress_markup.chart_parts(area, labels)
    return data


def _log_of(session: PlannedSession) -> SessionLog | None:
    try:
        return session.log
    except SessionLog.DoesNotExist:
        return None


def _count(data: Summary, sessions, extras) -> None:
    today = data.today
    recent_from = today - datetime.timedelta(days=progress.RECENT_DAYS - 1)
    logs = []
    due = []  # sessions whose day has come: counted as planned
    for s in sessions:
        log = _log_of(s)
        if log is not None:
            logs.append(log)
        if s.day < today or log is not None:
            due.append((s, log))
        elif s.day == today:
            data.due_sessions.append(s)
        if log is None and today - datetime.timedelta(days=LOGGABLE_DAYS) <= s.day < today:
            data.due_sessions.append(s)
    data.due_sessions.sort(key=lambda s: (s.day, s.pk), reverse=True)
    logs += extras
    logs.sort(key=lambda g: (g.day, g.pk))
    data.logs = list(reversed(logs))[:RECENT_LOGS]
    data.last_log_day = max((g.day for g in logs), default=None)
    done_days = [g.day for g in logs if g.status == SessionLog.Status.DONE]
    data.planned_total = len(due)
    data.done_total = len(done_days)
    data.skipped_total = sum(1 for g in logs if g.status == SessionLog.Status.SKIPPED)
    data.missed_total = sum(1 for s, log in due if log is None)
    data.planned_recent = sum(1 for s, _ in due if s.day >= recent_from)
    data.done_recent = sum(1 for d in done_days if d >= recent_from)
    phase_source = due[-1][0] if due else (sessions[-1] if sessions else None)
    data.phase = phase_source.phase if phase_source else ""
    if data.phase:
        phase_due = [s for s, _ in due if s.phase == data.phase]
        data.planned_phase = len(phase_due)
        phase_start = min((s.day for s in phase_due), default=today)
        data.done_phase = sum(1 for d in done_days if d >= phase_start)
    starts = [i.start_date for i in data.items if i.start_date]
    data.start_day = min(starts) if starts else None
    data.last_checkin_day = max((c.day for c in data.checkins), default=None)
    if data.plan.status == Plan.Status.ACTIVE:
        data.checkin_due_on = progress.checkin_due_on(
            last_checkin=data.last_checkin_day, start=data.start_day
        )


def _per_area(data: Summary, sessions, extras, screen_hdss: dict) -> None:
    assessed_areas = {a for i in home_ion_items(data.items) for a in i.areas}
    for area in treated_areas(data.items):
        marks: list[tuple[datetime.date, str]] = []
        for s in sessions:
            if area not in s.item_areas:
                continue
            log = _log_of(s)
            if log is not None and area not in log.areas and log.status == "done":
                continue  # done, but not for this area
            status = progress.session_status(
                day=s.day, logged=log.status if log else None, today=data.today
            )
            if status != progress.PLANNED:
                marks.append((s.day, status))
        marks += [(g.day, g.status) for g in extras if area in g.areas]
        marks.sort()
        done_days = [d for d, st in marks if st == progress.DONE]
        first_done = done_days[0] if done_days else None
        rows = [
            (c.day, c.scores[area], c.dryness.get(area), c.source)
            for c in data.checkins
            if area in c.scores
        ]
        # Baseline: the last check-in on or before the first session done (on or before the
        # plan's start while none is done, or for an area without logged sessions), else the
        # screen's score. The chart, its table and the "At the start" line show this value.
        start = first_done or data.start_day or data.today
        before = [r for r in rows if r[0] <= start]
        if before:
            baseline, baseline_day, source = before[-1][1], before[-1][0], "checkin"
        else:
            baseline, baseline_day, source = screen_hdss.get(area), data.start_day, "screen"
            if baseline is None:
                source = ""
        entry = AreaProgress(
            area=area,
            label=str(AREA_LABELS.get(area, area)),
            baseline=baseline,
            baseline_day=baseline_day,
            checkins=rows,
            sessions=marks,
            assessed=area in assessed_areas,
            baseline_source=source,
        )
        if entry.assessed and baseline is not None and first_done is not None:
            after = [(r[0], r[1]) for r in rows if r[0] > first_done]
            entry.assessment = progress.assess(
                baseline=baseline, checkins=after, done_days=done_days
            )
        data.areas.append(entry)


# --- The specialist's dashboard -------------------------------------------------------------
def dashboard_patients(*, user, scope: str) -> QuerySet[Patient]:
    """Patients with open flags, most urgent first then oldest flag first: the user's own
    (assigned specialist) by default, everyone's with ``scope="all"``. Their open flags come
    prefetched (one more query for the page)."""
    patients = (
        Patient.objects.filter(progress__open_flags__gt=0)
        .select_related("user", "progress", "assigned_specialist__specialist")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=Flag.objects.filter(closed_at__isnull=True).order_by(
                    "-severity", "raised_at", "pk"
                ),
                to_attr="open_flag_list",
            )
        )
        .order_by("-progress__top_severity", "progress__oldest_open_flag_at", "pk")
    )
    if scope != "all":
        patients = patients.filter(assigned_specialist__specialist=user)
    return patients


def dashboard_counts(*, user) -> dict:
    """How many of the user's patients have an active plan, and how many need attention."""
    mine = Patient.objects.filter(assigned_specialist__specialist=user)
    return mine.aggregate(
        active=_count_filter(Q(plan__status=Plan.Status.ACTIVE)),
        attention=_count_filter(Q(progress__open_flags__gt=0)),
    )


def _count_filter(condition):
    from django.db.models import Count

    return Count("pk", filter=condition, distinct=True)


def flags_for(patient: Patient, *, open_only: bool = False) -> list[Flag]:
    flags = Flag.objects.filter(patient=patient).select_related("closed_by", "session_log")
    if open_only:
        flags = flags.filter(closed_at__isnull=True)
    open_first = F("closed_at").desc(nulls_first=True)
    return list(flags.order_by(open_first, "-severity", "-raised_at", "-pk")[:50])


def log_for_user(user, log_id: int) -> SessionLog:
    """A log of the user or of one of their dependants (else 404)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        SessionLog.objects.select_related("patient", "item", "planned_session", "plan"),
        Q(patient__user=user) | Q(patient__guardian=user),
        pk=log_id,
    )


def export_rows(patient: Patient) -> tuple[list[SessionLog], list[CheckIn]]:
    """Every session log and check-in of the patient, oldest first (two queries)."""
    logs = list(
        SessionLog.objects.filter(patient=patient)
        .select_related("planned_session")
        .order_by("day", "pk")
    )
    checkins = list(CheckIn.objects.filter(patient=patient).order_by("day", "pk"))
    return logs, checkins


def to_log(rows: list[dict], *, today_of) -> None:
    """For "My treatment": each row's home sessions waiting for a log (today's and the last
    week's, newest first), whether a check-in is due, and whether the plan has home sessions.
    One query for every row together."""
    plans = [r["plan"] for r in rows if r["plan"] is not None]
    waiting: dict[int, list[PlannedSession]] = {}
    if plans:
        todays = {r["plan"].pk: today_of(r["patient"]) for r in rows if r["plan"] is not None}
        earliest = min(todays.values()) - datetime.timedelta(days=LOGGABLE_DAYS)
        sessions = PlannedSession.objects.filter(
            plan__in=plans,
            status=PlannedSession.Status.PLANNED,
            kind=PlannedSession.Kind.SESSION,
            setting=Setting.HOME,
            day__gte=earliest,
            day__lte=max(todays.values()),
            log__isnull=True,
        ).order_by("-day", "-pk")
        for s in sessions:
            today = todays[s.plan_id]
            if today - datetime.timedelta(days=LOGGABLE_DAYS) <= s.day <= today:
                waiting.setdefault(s.plan_id, []).append(s)
    for row in rows:
        row["today"] = today_of(row["patient"])
        row["to_log"] = waiting.get(row["plan"].pk, []) if row["plan"] else []
        row["has_home_sessions"] = bool(home_ion_items(row["items"]))
        snapshot = getattr(row["patient"], "progress", None)
        due_on = snapshot.checkin_due_on if snapshot is not None else None
        if snapshot is None and row["plan"] is not None:
            starts = [i.start_date for i in row["items"] if i.start_date]
            due_on = progress.checkin_due_on(last_checkin=None, start=min(starts, default=None))
        row["checkin_due"] = (
            row["plan"] is not None and due_on is not None and due_on <= row["today"]
        )
