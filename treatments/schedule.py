"""Session calendars for treatment plans: pure functions, no Django, no database, no clock.

An iontophoresis item becomes a list of dated sessions: the initial phase on the chosen weekdays
for a number of weeks, then maintenance sessions every 1–3 weeks up to a horizon (the caller
passes it: e.g. today + 8 weeks; a periodic task extends it). Home sessions get the patient's
preferred time of day in their own time zone, so they stay at 18:00 local across a DST change
(the UTC instant moves). The limits of RULES.md §5 are checked here too: never more than one
session a day or five a week, the session length and the current by age.

Everything takes ``today``/dates as arguments; the callers decide what "today" is.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = [
    "ADULT_MAX_MA",
    "CHILD_MAX_MA",
    "DEFAULT_WEEKDAYS",
    "MAX_PER_DAY",
    "MAX_PER_WEEK",
    "MAX_SESSION_MINUTES",
    "MIN_MA",
    "MIN_SESSION_MINUTES",
    "IontophoresisSchedule",
    "ScheduleError",
    "SessionSlot",
    "check_limits",
    "current_limits",
    "generate",
    "initial_phase_end",
    "local_start",
    "maintenance_start",
    "validate_current",
    "validate_schedule",
]

MAX_PER_DAY = 1
MAX_PER_WEEK = 5
MIN_SESSION_MINUTES = 10
MAX_SESSION_MINUTES = 30
MIN_MA = 1
ADULT_MAX_MA = 20
CHILD_MAX_MA = 15
DEFAULT_WEEKDAYS = (0, 2, 4)  # Monday, Wednesday, Friday
MAX_INITIAL_WEEKS = 12
MAINTENANCE_INTERVALS = (1, 2, 3)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

INITIAL = "initial"
MAINTENANCE = "maintenance"


class ScheduleError(ValueError):
    """The schedule asked for breaks a rule; ``messages`` are for the specialist."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class IontophoresisSchedule:
    """What a session calendar is made from.

    ``weekdays`` are 0 (Monday) … 6 (Sunday). The initial phase covers ``initial_weeks`` whole
    weeks from ``start`` (28 days for 4 weeks: every weekday falls in it exactly 4 times).
    ``maintenance_from`` is set when the specialist ended the initial phase early.
    """

    start: datetime.date
    weekdays: tuple[int, ...] = DEFAULT_WEEKDAYS
    sessions_per_week: int = 3
    initial_weeks: int = 4
    maintenance_interval_weeks: int = 1
    maintenance_from: datetime.date | None = None


@dataclass(frozen=True)
class SessionSlot:
    day: datetime.date
    phase: str  # "initial" or "maintenance"


def initial_phase_end(schedule: IontophoresisSchedule) -> datetime.date:
    """The first day after the initial phase (as planned, or as ended early)."""
    planned = schedule.start + datetime.timedelta(weeks=schedule.initial_weeks)
    if schedule.maintenance_from is not None:
        return max(schedule.start, min(planned, schedule.maintenance_from))
    return planned


def maintenance_start(schedule: IontophoresisSchedule) -> datetime.date:
    """The day of the first maintenance session: the first of the chosen weekdays (in week
    order, so Monday for Mon/Wed/Fri) on or after the end of the initial phase."""
    day = initial_phase_end(schedule)
    anchor = min(schedule.weekdays) if schedule.weekdays else day.weekday()
    return day + datetime.timedelta(days=(anchor - day.weekday()) % 7)


def validate_schedule(schedule: IontophoresisSchedule) -> list[str]:
    """Every problem with the schedule's shape, as messages (empty when it is fine)."""
    errors = []
    days = schedule.weekdays
    if len(set(days)) != len(days) or any(d not in range(7) for d in days):
        errors.append("Choose each weekday at most once.")
    if not days:
        errors.append("Choose the weekdays of the initial phase.")
    if not 1 <= schedule.sessions_per_week <= MAX_PER_WEEK:
        errors.append(
            f"The initial phase can have 1 to {MAX_PER_WEEK} sessions a week "
            f"(never more than {MAX_PER_WEEK} a week)."
        )
    elif days and len(set(days)) != schedule.sessions_per_week:
        errors.append(
            f"You chose {schedule.sessions_per_week} sessions a week but ticked "
            f"{len(set(days))} day(s): tick exactly {schedule.sessions_per_week} weekdays "
            f"(one session a day at most)."
        )
    if not 1 <= schedule.initial_weeks <= MAX_INITIAL_WEEKS:
        errors.append(f"The initial phase lasts 1 to {MAX_INITIAL_WEEKS} weeks.")
    if schedule.maintenance_interval_weeks not in MAINTENANCE_INTERVALS:
        errors.append("Maintenance is one session every 1, 2 or 3 weeks.")
    return errors


def generate(schedule: IontophoresisSchedule, *, until: datetime.date) -> list[SessionSlot]:
    """The sessions from ``schedule.start`` up to ``until`` (inclusive), in date order.

    The initial phase is always generated in full (it is short and finite); maintenance only
    up to ``until``. Raises ``ScheduleError`` if the schedule is malformed or would break the
    one-a-day / five-a-week limits."""
    errors = validate_schedule(schedule)
    if errors:
        raise ScheduleError(errors)
    chosen = set(schedule.weekdays)
    end = initial_phase_end(schedule)
    slots = []
    day = schedule.start
    while day < end:
        if day.weekday() in chosen:
            slots.append(SessionSlot(day, INITIAL))
        day += datetime.timedelta(days=1)
    step = datetime.timedelta(weeks=schedule.maintenance_interval_weeks)
    day = maintenance_start(schedule)
    while day <= until:
        slots.append(SessionSlot(day, MAINTENANCE))
        day += step
    problems = check_limits([s.day for s in slots])
    if problems:
        raise ScheduleError(problems)
    return slots


def check_limits(days: list[datetime.date]) -> list[str]:
    """Messages for any day with more than one session or any week (Monday to Sunday) with more
    than five. Works on any list of dates (e.g. past sessions kept plus new ones)."""
    errors = []
    per_day = Counter(days)
    for day, n in sorted(per_day.items()):
        if n > MAX_PER_DAY:
            errors.append(
                f"{n} sessions on {day:%a %d %b %Y}: never more than {MAX_PER_DAY} a day."
            )
    per_week = Counter(d - datetime.timedelta(days=d.weekday()) for d in per_day)
    for monday, n in sorted(per_week.items()):
        if n > MAX_PER_WEEK:
            errors.append(
                f"{n} sessions in the week of {monday:%d %b %Y}: never more than "
                f"{MAX_PER_WEEK} a week."
            )
    return errors


def local_start(day: datetime.date, at: datetime.time, zone: str) -> datetime.datetime:
    """The UTC instant of ``at`` o'clock on ``day`` in ``zone``.

    Wall-clock time is kept across DST changes. A time that does not exist on the
    spring-forward day (02:30 in America/Los_Angeles) is the instant an hour later (03:30);
    a time that happens twice on the fall-back day is its first occurrence."""
    local = datetime.datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    return local.astimezone(datetime.UTC)


def current_limits(age: int) -> tuple[int, int, bool]:
    """(minimum mA, maximum mA, pulsed current required) for a patient of ``age`` years."""
    if age < 18:
        return MIN_MA, CHILD_MAX_MA, True
    return MIN_MA, ADULT_MAX_MA, False


def validate_current(*, age: int, milliamps: float, pulsed: bool) -> list[str]:
    low, high, must_pulse = current_limits(age)
    errors = []
    if milliamps < low:
        errors.append(f"The target current must be at least {low} mA.")
    if milliamps > high:
        if age < 18:
            errors.append(
                f"Under 18 the current is at most {high} mA (this patient is {age}); "
                f"{milliamps:g} mA is too high."
            )
        else:
            errors.append(f"The current is at most {high} mA; {milliamps:g} mA is too high.")
    if must_pulse and not pulsed:
        errors.append(f"Under 18 the current must be pulsed (this patient is {age}).")
    return errors


def validate_minutes(minutes: int) -> list[str]:
    if not MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES:
        return [
            f"A session lasts {MIN_SESSION_MINUTES} to {MAX_SESSION_MINUTES} minutes "
            f"(under {MIN_SESSION_MINUTES} is not effective)."
        ]
    return []
