"""Plan items in words: one line per item for the specialist, and what changed between two
versions (stored on the new version as its summary). Works on ``PlanItem`` rows and on the
services' ``ItemSpec`` alike (same attribute names)."""

from decimal import Decimal

from patients.labels import AREA_LABELS

from . import defaults
from .schedule import WEEKDAY_NAMES

FIELD_LABELS = {
    "setting": "setting",
    "session_minutes": "session length",
    "current_ma": "current",
    "pulsed": "pulsed current",
    "sessions_per_week": "sessions a week",
    "initial_weeks": "initial weeks",
    "weekdays": "weekdays",
    "maintenance_interval_weeks": "maintenance interval",
    "start_date": "start",
    "maintenance_from": "maintenance from",
    "water": "water",
    "clinic_time": "time in the clinic",
    "clinician_id": "clinician",
    "instructions": "instructions",
    "procedure_date": "procedure date",
    "review_date": "review date",
    "reason": "clinical reason",
}


def area_names(areas) -> str:
    return " + ".join(str(AREA_LABELS.get(a, a)) for a in areas)


def weekday_names(days) -> str:
    return "/".join(WEEKDAY_NAMES[int(d)][:3] for d in sorted(int(d) for d in days))


def _value(field: str, value) -> str:
    if value is None or value == "":
        return "—"
    if field == "weekdays":
        return weekday_names(value) or "—"
    if field == "current_ma":
        return f"{format(Decimal(str(value)).normalize(), 'f')} mA"
    if field == "session_minutes":
        return f"{value} min"
    if field == "maintenance_interval_weeks":
        return "every week" if value == 1 else f"every {value} weeks"
    if field == "pulsed":
        return "yes" if value else "no"
    if field in ("start_date", "procedure_date", "review_date", "maintenance_from"):
        return value.isoformat()
    if field == "instructions":
        return "edited"
    if field == "clinic_time":
        return value.strftime("%H:%M")
    return str(value)


def item_line(item) -> str:
    """e.g. "Hands (palms): Iontophoresis at home, 20 min, 12 mA, Mon/Wed/Fri × 4 weeks from
    2026-03-02, then every week"."""
    name = defaults.treatment_label(item.treatment)
    head = f"{area_names(item.areas)}: {name}"
    if item.treatment == "iontophoresis":
        parts = [
            "at home"
            if item.setting == "home"
            else "in the clinic"
            + (f" at {item.clinic_time:%H:%M}" if getattr(item, "clinic_time", None) else ""),
            _value("session_minutes", item.session_minutes),
            _value("current_ma", item.current_ma) + (" pulsed" if item.pulsed else ""),
            f"{weekday_names(item.weekdays)} × {item.initial_weeks} weeks from "
            f"{_value('start_date', item.start_date)}",
            "then " + _value("maintenance_interval_weeks", item.maintenance_interval_weeks),
        ]
        if getattr(item, "maintenance_from", None):
            parts.append(f"maintenance from {item.maintenance_from.isoformat()}")
        return f"{head} {', '.join(parts)}"
    parts = []
    if item.procedure_date:
        parts.append(f"procedure {item.procedure_date.isoformat()}")
    if item.review_date:
        parts.append(f"review {item.review_date.isoformat()}")
    return f"{head}" + (f" ({', '.join(parts)})" if parts else "")


def changes(previous: list, current: list) -> list[str]:
    """What changed, item by item (matched by treatment and areas)."""
    before = {_key(i): i for i in previous}
    after = {_key(i): i for i in current}
    lines = []
    for key, item in after.items():
        old = before.get(key)
        if old is None:
            lines.append(f"Added {item_line(item)}")
            continue
        diffs = []
        for field, label in FIELD_LABELS.items():
            a, b = getattr(old, field, None), getattr(item, field, None)
            if field == "weekdays":
                a, b = sorted(int(x) for x in a or []), sorted(int(x) for x in b or [])
            if a != b and not (a in (None, "") and b in (None, "")):
                if field in ("instructions", "reason"):
                    diffs.append(f"{label} edited")
                elif field == "clinician_id":
                    names = _clinician_names(a, b)
                    diffs.append(f"{label} {names.get(a, '—')} → {names.get(b, '—')}")
                else:
                    diffs.append(f"{label} {_value(field, a)} → {_value(field, b)}")
        if diffs:
            name = defaults.treatment_label(item.treatment)
            lines.append(f"{area_names(item.areas)} {name}: {'; '.join(diffs)}")
    for key, item in before.items():
        if key not in after:
            lines.append(
                f"Stopped {area_names(item.areas)}: {defaults.treatment_label(item.treatment)}"
            )
    return lines


def _key(item) -> tuple:
    return (item.treatment, tuple(sorted(item.areas)))


def _clinician_names(*ids) -> dict:
    from patients.models import Specialist

    return dict(Specialist.objects.filter(pk__in=ids).values_list("pk", "display_name"))
