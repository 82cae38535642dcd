"""Helpers shared by the booking pages of every audience."""

import datetime
from collections.abc import Callable
from functools import wraps

from django.utils import formats, timezone

from ..forms.booking import parse_day
from ..selectors.booking import (
    Availability,
    Slot,
    clinic_today,
    clinic_tz,
    next_available_day,
    slots_for_days,
)

WEEK = datetime.timedelta(days=7)


def clinic_time(view):
    """Render the page in the clinic's time zone (working hours and slots are clinic time)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with timezone.override(clinic_tz()):
            return view(request, *args, **kwargs)

    return wrapped


def slot_picker(
    avail: Availability,
    *,
    day_param: str | None,
    slot_href: Callable[[Slot], str],
    day_href: Callable[[datetime.date], str],
) -> dict:
    """Context for ``_slot_picker.html``: a week of days with their number of free times and
    the free times of the chosen day (default: the next day with a free time). Three queries
    for a given day (hours, time off, appointments); a bounded search without one."""
    today = clinic_today()
    last_day = avail.last_day()
    requested = parse_day(day_param)
    bad_day = bool(day_param) and requested is None
    if requested is None:
        day = next_available_day(avail, today) or today
    else:
        day = min(max(requested, today), max(last_day, today))
    week_start = day - datetime.timedelta(days=day.weekday())
    week_end = week_start + datetime.timedelta(days=6)
    by_day = slots_for_days(avail, max(week_start, today), week_end) if avail.has_hours else {}
    days = []
    for n in range(7):
        d = week_start + datetime.timedelta(days=n)
        count = len(by_day.get(d, []))
        days.append(
            {
                "date": d,
                "count": count,
                "href": day_href(d),
                "selected": d == day,
                "disabled": d < today or d > last_day,
            }
        )
    slots = [
        {
            "slot": s,
            "href": slot_href(s),
            "label": formats.time_format(timezone.localtime(s.start), "H:i"),
        }
        for s in by_day.get(day, [])
    ]
    next_day = None
    if not slots and avail.has_hours:
        later_in_week = [d["date"] for d in days if d["date"] > day and d["count"]]
        next_day = (
            later_in_week[0]
            if later_in_week
            else next_available_day(avail, week_end + datetime.timedelta(days=1))
        )
    prev_week = week_start - WEEK
    return {
        "days": days,
        "day": day,
        "slots": slots,
        "bad_day": bad_day,
        "has_hours": avail.has_hours,
        "next_day": next_day,
        "next_day_href": day_href(next_day) if next_day else "",
        "prev_week_href": day_href(prev_week) if week_start > today else "",
        "next_week_href": day_href(week_start + WEEK) if week_start + WEEK <= last_day else "",
        "tz_name": timezone.localtime(timezone.now()).strftime("%Z"),
    }
