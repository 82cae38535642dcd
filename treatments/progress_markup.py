"""The repeated parts of a progress chart (the SVG's grid, points, session marks and date
labels, and the rows of its table) built once in Python rather than by template loops: a chart
has dozens of marks, and each loop iteration in a template costs several variable lookups,
filters and translations.

The output is what the template's loops printed, with two differences that are fixes: SVG
coordinates always use a dot (a localized "34,5" is not a number in SVG), and each translated
word is looked up once per chart. Dates are formatted as Django's ``date`` filter does in the
active language (``DateLabels``), looking each month and weekday name up once.
"""

from __future__ import annotations

import datetime

from django.utils import formats
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from . import progress


class DateLabels:
    """``j M``, ``j M Y`` and ``D j M`` as the ``date`` filter prints them in the active
    language, with the month and weekday names formatted once each (by Django's own
    ``dateformat``, so they follow the language exactly)."""

    def __init__(self):
        self._months: dict[int, str] = {}
        self._weekdays: dict[int, str] = {}

    def month(self, day: datetime.date) -> str:
        name = self._months.get(day.month)
        if name is None:
            name = self._months[day.month] = date_format(day, "M")
        return name

    def weekday(self, day: datetime.date) -> str:
        key = day.weekday()
        name = self._weekdays.get(key)
        if name is None:
            name = self._weekdays[key] = date_format(day, "D")
        return name

    def day_month(self, day: datetime.date) -> str:  # "j M"
        return f"{day.day} {self.month(day)}"

    def day_month_year(self, day: datetime.date) -> str:  # "j M Y"
        return f"{day.day} {self.month(day)} {day.year:04d}"

    def weekday_day_month(self, day: datetime.date) -> str:  # "D j M"
        return f"{self.weekday(day)} {day.day} {self.month(day)}"


def _number(value) -> str:
    """A table cell's number as the template printed it (``localize``); ints skip the call."""
    if type(value) is int:
        return str(value)
    return str(formats.localize(value))


def chart_parts(area, labels: DateLabels) -> dict[str, SafeString]:
    """The loop-built parts of one area's chart (``_area_chart.html``): ``levels``, ``points``,
    ``marks`` and ``ticks`` of the SVG (empty without a chart), and the table's ``rows``."""
    parts = {"levels": "", "points": "", "marks": "", "ticks": "", "rows": ""}
    g = area.geometry
    if g is not None:
        parts.update(_svg_parts(g, labels))
    rows = []
    if area.baseline_source == "screen":
        day = labels.day_month_year(area.baseline_day) if area.baseline_day else ""
        baseline = "" if area.baseline is None else escape(_number(area.baseline))
        rows.append(
            f"<tr><td>{day}</td><td>{baseline}</td><td>—</td>"
            f"<td>{escape(gettext('questionnaire (start)'))}</td></tr>"
        )
    consultation = escape(gettext("consultation"))
    checkin = escape(gettext("check-in"))
    for day, hdss, dry, source in area.checkins:
        where = consultation if source == "consultation" else checkin
        dry_text = "—" if dry is None else escape(_number(dry))
        rows.append(
            f"<tr><td>{labels.day_month_year(day)}</td><td>{escape(_number(hdss))}</td>"
            f"<td>{dry_text}</td><td>{where}</td></tr>"
        )
    parts["rows"] = "".join(rows)
    return {key: mark_safe(value) for key, value in parts.items()}  # noqa: S308 (escaped)


def _svg_parts(g: progress.ChartGeometry, labels: DateLabels) -> dict[str, str]:
    dashed = ' stroke-dasharray="4 3"'
    levels = "".join(
        f'\n        <line x1="{g.left}" x2="{g.right_edge}" y1="{y}" y2="{y}" stroke="#d5dbe0" '
        f'stroke-width="1"{dashed if v == 2 else ""}/>\n'
        f'        <text x="{g.left - 8}" y="{y}" dy="4" text-anchor="end" font-size="12" '
        f'fill="#495057">{v}</text>\n        '
        for v, y in g.levels
    )
    points = "".join(
        f'<circle class="hdss-point" cx="{p.x}" cy="{p.y}" r="5" fill="#0b6e69" stroke="#fff" '
        f'stroke-width="1.5" data-day="{p.day.isoformat()}" data-value="{p.value}">'
        f"<title>{labels.day_month(p.day)}: HDSS {p.value}</title></circle>"
        for p in g.points
    )
    done = escape(gettext("done")) if g.marks else ""
    skipped = escape(gettext("skipped")) if g.marks else ""
    missed = escape(gettext("missed")) if g.marks else ""
    marks = []
    for m in g.marks:
        when = labels.day_month(m.day)
        if m.status == progress.DONE:
            marks.append(
                f'<circle class="mark-done" cx="{m.x}" cy="{g.sessions_y}" r="4" '
                f'fill="#0b6e69"><title>{when}: {done}</title></circle>'
            )
        elif m.status == progress.SKIPPED:
            marks.append(
                f'<circle class="mark-skipped" cx="{m.x}" cy="{g.sessions_y}" r="3.5" '
                f'fill="#fff" stroke="#b58105" stroke-width="2"><title>{when}: {skipped}</title>'
                "</circle>"
            )
        else:
            marks.append(
                '<path class="mark-missed" d="M-3.5,-3.5 l7,7 m0,-7 l-7,7" '
                f'transform="translate({m.x} {g.sessions_y})" stroke="#c0392b" '
                f'stroke-width="2"><title>{when}: {missed}</title></path>'
            )
    ticks = "".join(
        f'<text x="{t.x}" y="{g.axis_y}" text-anchor="middle" font-size="11" '
        f'fill="#495057">{escape(t.label)}</text>'
        for t in g.ticks
    )
    return {"levels": levels, "points": points, "marks": "".join(marks), "ticks": ticks}


def recent_logs(logs) -> SafeString:
    """The patient progress page's "Recent sessions" items (``<li>``, newest first), as the
    template's loop printed them: the status labels, the log URL and the translated words are
    looked up once, each current formatted once (``floatformat:"-1"``, localized)."""
    if not logs:
        return mark_safe("")
    from django.template.defaultfilters import floatformat
    from django.urls import reverse

    from .models import SessionLog

    sentinel = 987654321
    before, after = reverse("treatments:log", args=[sentinel]).split(str(sentinel))
    statuses = {value: escape(label) for value, label in SessionLog.Status.choices}
    extra = " · " + escape(gettext("extra"))
    open_ = escape(gettext("Open"))
    labels = DateLabels()
    currents: dict = {}
    out = []
    for log in logs:
        text = statuses.get(log.status)
        if text is None:
            text = escape(log.get_status_display())
        if log.status == "done":
            current = currents.get(log.current_ma)
            if current is None:
                current = currents[log.current_ma] = escape(floatformat(log.current_ma, "-1"))
            text += f" · {escape(_number(log.minutes))} min · {current} mA"
        if log.planned_session_id is None:  # log.is_extra
            text += extra
        out.append(
            '\n      <li class="list-group-item d-flex justify-content-between gap-2">\n'
            f"        <span><strong>{escape(labels.weekday_day_month(log.day))}</strong> · {text}"
            f'</span>\n        <a href="{before}{log.pk}{after}">{open_}</a>\n      </li>\n    '
        )
    return mark_safe("".join(out))  # noqa: S308 (every value is escaped)
