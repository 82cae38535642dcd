"""Progress of a treatment: response and failure (RULES.md §5), adherence, when an HDSS
check-in is due, and the geometry of the progress chart. Pure functions: no Django, no
database, no clock (callers pass ``today``), so the rules are tested as tables.

Response and failure, per treated area, comparing the latest check-in with the baseline (the
HDSS when treatment started):

- **response**: HDSS down by 2 or more, or from 3–4 to 1–2;
- **failure**: no improvement (HDSS the same or higher) at a check-in at least 4 weeks after
  the first session done, with at least 7 sessions done by then (an adequate trial, ION-22);
  a worse score counts as "no change" here: the treatment is not working either way;
- anything else (too early, fewer than 7 sessions, or down by one point) is neither.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

RESPONSE = "response"
FAILURE = "failure"

ADEQUATE_SESSIONS = 7
ADEQUATE_DAYS = 28
CHECKIN_EVERY_DAYS = 14
RECENT_DAYS = 14
NO_LOG_DAYS = 10
LOW_ADHERENCE_PERCENT = 60

DONE = "done"
SKIPPED = "skipped"
MISSED = "missed"
PLANNED = "planned"  # today or later, nothing logged yet


@dataclass(frozen=True)
class Assessment:
    kind: str | None  # RESPONSE, FAILURE or None
    baseline: int
    latest: int
    latest_day: datetime.date
    sessions: int  # sessions done up to the latest check-in
    weeks: int  # whole weeks from the first session done to the latest check-in


def is_response(baseline: int, latest: int) -> bool:
    return baseline - latest >= 2 or (baseline >= 3 and latest <= 2)


def assess(
    *,
    baseline: int,
    checkins: list[tuple[datetime.date, int]],
    done_days: list[datetime.date],
) -> Assessment | None:
    """Response, failure or neither for one area, from the check-ins made after treatment
    started (``(day, hdss)``) and the days of the sessions done. None without a check-in."""
    if not checkins:
        return None
    latest_day, latest = max(checkins)
    done = sorted(d for d in done_days if d <= latest_day)
    sessions = len(done)
    weeks = (latest_day - done[0]).days // 7 if done else 0
    kind = None
    if is_response(baseline, latest):
        kind = RESPONSE
    elif (
        latest >= baseline
        and sessions >= ADEQUATE_SESSIONS
        and (latest_day - done[0]).days >= ADEQUATE_DAYS
    ):
        kind = FAILURE
    return Assessment(
        kind=kind,
        baseline=baseline,
        latest=latest,
        latest_day=latest_day,
        sessions=sessions,
        weeks=weeks,
    )


def session_status(*, day: datetime.date, logged: str | None, today: datetime.date) -> str:
    """What became of a planned session: its log's status, else missed once its day has
    passed (the day itself is still open: the patient may log in the evening)."""
    if logged:
        return logged
    return MISSED if day < today else PLANNED


def percent(done: int, planned: int) -> int | None:
    """Adherence as a whole percentage (done beyond the plan does not count twice)."""
    return round(100 * min(done, planned) / planned) if planned else None


def checkin_due_on(
    *, last_checkin: datetime.date | None, start: datetime.date | None
) -> datetime.date | None:
    """The day the next two-weekly check-in is due: two weeks after the last one, or two
    weeks after the treatment started when there is none yet."""
    anchor = last_checkin or start
    if anchor is None:
        return None
    return anchor + datetime.timedelta(days=CHECKIN_EVERY_DAYS)


# --- The chart --------------------------------------------------------------------------
WIDTH = 360
HEIGHT = 220
LEFT = 34  # room for the HDSS labels
RIGHT = 12
TOP = 22
PLOT_BOTTOM = 150  # the HDSS plot: 1 at the bottom, 4 at the top
SESSIONS_Y = 176  # the row of session marks under it
AXIS_Y = 202  # date labels
# fmt: off
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# fmt: on


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    day: datetime.date
    value: int


@dataclass(frozen=True)
class Mark:
    x: float
    day: datetime.date
    status: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass
class ChartGeometry:
    """Everything the SVG template draws, in viewBox units (``WIDTH`` × ``HEIGHT``)."""

    start: datetime.date
    end: datetime.date
    points: list[Point] = field(default_factory=list)
    path: str = ""
    marks: list[Mark] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    levels: list[tuple[int, float]] = field(default_factory=list)
    today_x: float | None = None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = PLOT_BOTTOM
    sessions_y: int = SESSIONS_Y
    axis_y: int = AXIS_Y


def hdss_y(value: int) -> float:
    """HDSS 4 at the top of the plot, 1 at the bottom (a falling line is getting better)."""
    return PLOT_BOTTOM - (value - 1) * (PLOT_BOTTOM - TOP) / 3


def chart_geometry(
    *,
    checkins: list[tuple[datetime.date, int]],
    sessions: list[tuple[datetime.date, str]],
    today: datetime.date,
    month_names: tuple[str, ...] = MONTHS,
) -> ChartGeometry | None:
    """Place the HDSS points (a line through them) and the session marks on one time axis
    running from the first event to today (or the last event, if later). None when there is
    nothing to draw."""
    days = [d for d, _ in checkins] + [d for d, _ in sessions]
    if not days:
        return None
    start = min(days)
    end = max([*days, today])
    if end == start:
        end = start + datetime.timedelta(days=1)
    span = (end - start).days
    inner = WIDTH - LEFT - RIGHT

    def x_of(day: datetime.date) -> float:
        return round(LEFT + inner * (day - start).days / span, 1)

    geometry = ChartGeometry(start=start, end=end)
    geometry.points = [
        Point(x=x_of(d), y=round(hdss_y(v), 1), day=d, value=v) for d, v in sorted(checkins)
    ]
    geometry.path = " ".join(
        f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(geometry.points)
    )
    geometry.marks = [Mark(x=x_of(d), day=d, status=s) for d, s in sorted(sessions)]
    geometry.levels = [(v, round(hdss_y(v), 1)) for v in (4, 3, 2, 1)]
    if start <= today <= end:
        geometry.today_x = x_of(today)
    geometry.ticks = _ticks(start, end, x_of, month_names)
    return geometry


def _ticks(start, end, x_of, month_names) -> list[Tick]:
    """Date labels: weekly (Mondays) for a short span, the 1st of each month for a long one,
    at most about five so they never overlap at phone width."""
    span = (end - start).days
    ticks: list[Tick] = []
    if span <= 42:
        step = 7 if span <= 35 else 14
        day = start + datetime.timedelta(days=(7 - start.weekday()) % 7)
        while day <= end:
            ticks.append(Tick(x=x_of(day), label=f"{day.day} {month_names[day.month - 1]}"))
            day += datetime.timedelta(days=step)
    else:
        every = max(1, -(-span // 150))  # months between labels
        day = datetime.date(start.year, start.month, 1)
        index = 0
        while day <= end:
            if day >= start and index % every == 0:
                ticks.append(Tick(x=x_of(day), label=month_names[day.month - 1]))
            index += 1
            day = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return ticks
