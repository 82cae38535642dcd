"""The specialists' time as the seeder hands it out: slot-aligned cells of the clinic's wall
clock, so seeded appointments never overlap per specialist (their time plus buffer) nor per
patient (the PostgreSQL exclusion constraints), and stay inside working hours and out of
time off."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict

CELL_MINUTES = 15  # the booking policy's default start-time step
CELLS_PER_DAY = 24 * 60 // CELL_MINUTES


def cell_of(at: datetime.time) -> int:
    return (at.hour * 60 + at.minute) // CELL_MINUTES


def time_of(cell: int) -> datetime.time:
    minutes = cell * CELL_MINUTES
    return datetime.time(minutes // 60, minutes % 60)


class Grid:
    """Per specialist and local day, the state of each cell: 0 free, 1 outside working hours,
    2 taken (an appointment or its buffer) or time off."""

    def __init__(self, tz: zoneinfo.ZoneInfo, hours: dict[int, dict[int, list]]):
        self.tz = tz
        # specialist → weekday → [(first cell, end cell)]
        self.ranges = {
            sid: {
                wd: [(cell_of(s), cell_of(e)) for s, e in day_ranges]
                for wd, day_ranges in week.items()
            }
            for sid, week in hours.items()
        }
        self._days: dict[tuple[int, datetime.date], bytearray] = {}
        self._patients: dict[int, list[tuple[datetime.datetime, datetime.datetime]]] = defaultdict(
            list
        )

    def _day(self, sid: int, day: datetime.date) -> bytearray:
        key = (sid, day)
        cells = self._days.get(key)
        if cells is None:
            cells = bytearray(b"\x01" * CELLS_PER_DAY)  # 1 = not available
            for first, end in self.ranges[sid].get(day.weekday(), ()):
                cells[first:end] = b"\x00" * (end - first)
            self._days[key] = cells
        return cells

    def works(self, sid: int, day: datetime.date) -> bool:
        return bool(self.ranges[sid].get(day.weekday()))

    def block(self, sid: int, day: datetime.date, first: int, end: int) -> None:
        """Time off: no appointment is seeded there."""
        cells = self._day(sid, day)
        cells[first:end] = b"\x02" * (end - first)

    def utc(self, day: datetime.date, cell: int) -> datetime.datetime:
        local = datetime.datetime.combine(day, time_of(cell), tzinfo=self.tz)
        return local.astimezone(datetime.UTC)

    def patient_free(self, patient: int, start, end) -> bool:
        return all(e <= start or end <= s for s, e in self._patients[patient])

    def take(
        self, sid: int, day: datetime.date, first: int, minutes: int, blocked_minutes: int, patient
    ):
        """Hold ``blocked_minutes`` from cell ``first`` (the appointment is ``minutes`` long)
        if the specialist and the patient are free then; return (start, end, blocked_until)
        in UTC, or None."""
        cells = self._day(sid, day)
        count = -(-blocked_minutes // CELL_MINUTES)
        inside = -(-minutes // CELL_MINUTES)
        if first + count > CELLS_PER_DAY:
            return None
        # The appointment inside working hours and free; its buffer may run past the end of
        # the range (as the app allows) but not into anything taken.
        if any(cells[first : first + inside]) or 2 in cells[first + inside : first + count]:
            return None
        start = self.utc(day, first)
        end = start + datetime.timedelta(minutes=minutes)
        if patient is not None and not self.patient_free(patient, start, end):
            return None
        cells[first : first + count] = b"\x02" * count
        if patient is not None:
            self._patients[patient].append((start, end))
        return start, end, start + datetime.timedelta(minutes=blocked_minutes)

    def starts(self, sid: int, day: datetime.date, minutes: int) -> list[int]:
        """Cells where an appointment of ``minutes`` fits inside one working range."""
        count = -(-minutes // CELL_MINUTES)
        out = []
        for first, end in self.ranges[sid].get(day.weekday(), ()):
            out.extend(range(first, end - count + 1))
        return out
