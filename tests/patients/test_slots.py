"""Table tests for the pure free-slot computation (no database): breaks, buffers, time off,
minimum notice, horizon, DST spring-forward and fall-back days, and "any specialist"."""

import datetime as dt
import zoneinfo

import pytest

from patients.selectors.booking import compute_slots, local_to_utc

TZ = zoneinfo.ZoneInfo("America/Los_Angeles")
UTC = dt.UTC
T = dt.time
MIN = dt.timedelta(minutes=1)

# An ordinary Tuesday, and the 2026 US DST change days (Sundays).
TUESDAY = dt.date(2026, 3, 3)
SPRING_FORWARD = dt.date(2026, 3, 8)  # 02:00 PST -> 03:00 PDT
FALL_BACK = dt.date(2026, 11, 1)  # 02:00 PDT -> 01:00 PST
FAR_PAST = dt.datetime(2000, 1, 1, tzinfo=UTC)
FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=UTC)


def local(day, hh, mm=0, fold=0):
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ, fold=fold).astimezone(UTC)


def run(
    day,
    ranges,
    *,
    duration=30,
    buffer=0,
    step=30,
    blocked=(),
    earliest=FAR_PAST,
    latest=FAR_FUTURE,
):
    result = compute_slots(
        days=[day],
        tz=TZ,
        hours={1: {day.weekday(): list(ranges)}},
        blocked={1: list(blocked)},
        duration=duration * MIN,
        buffer=buffer * MIN,
        step=step * MIN,
        earliest=earliest,
        latest=latest,
    )
    return [s.start.astimezone(TZ).strftime("%H:%M") for s in result[day]]


CASES = [
    # (id, ranges, kwargs, expected local start times)
    ("plain morning", [(T(9), T(12))], {}, ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]),
    (
        "lunch break leaves a gap",
        [(T(9), T(12)), (T(13), T(17))],
        {"duration": 60, "step": 60},
        ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"],
    ),
    ("appointment must end inside the range", [(T(9), T(10, 10))], {"duration": 45}, ["09:00"]),
    ("range shorter than the appointment", [(T(9), T(9, 20))], {}, []),
    (
        "existing appointment and its buffer block the time",
        [(T(9), T(12))],
        {
            "step": 15,
            "buffer": 15,
            "blocked": [(local(TUESDAY, 10), local(TUESDAY, 10, 45))],
        },
        ["09:00", "09:15", "10:45", "11:00", "11:15", "11:30"],
    ),
    (
        "a booking ending exactly at a start leaves it free (half-open ranges)",
        [(T(9), T(11))],
        {"blocked": [(local(TUESDAY, 9), local(TUESDAY, 9, 30))]},
        ["09:30", "10:00", "10:30"],
    ),
    (
        "time off removes the afternoon",
        [(T(9), T(10)), (T(13), T(17))],
        {"duration": 60, "step": 60, "blocked": [(local(TUESDAY, 13), local(TUESDAY, 15))]},
        ["09:00", "15:00", "16:00"],
    ),
    (
        "overlapping time off and appointments merge",
        [(T(9), T(12))],
        {
            "duration": 60,
            "step": 60,
            "blocked": [
                (local(TUESDAY, 9), local(TUESDAY, 10, 30)),
                (local(TUESDAY, 10), local(TUESDAY, 10, 45)),
            ],
        },
        ["11:00"],
    ),
    (
        "minimum notice: nothing before the earliest start",
        [(T(9), T(12))],
        {"earliest": local(TUESDAY, 10, 20)},
        ["10:30", "11:00", "11:30"],
    ),
    (
        "horizon: nothing at or after the latest start",
        [(T(9), T(12))],
        {"latest": local(TUESDAY, 10, 30)},
        ["09:00", "09:30", "10:00"],
    ),
    (
        "step shorter than the appointment",
        [(T(9), T(10))],
        {"step": 15},
        ["09:00", "09:15", "09:30"],
    ),
]


@pytest.mark.parametrize(
    ("ranges", "kwargs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_free_slots_table(ranges, kwargs, expected):
    assert run(TUESDAY, ranges, **kwargs) == expected


@pytest.mark.parametrize(
    ("day", "expected_utc_hour"),
    [
        (dt.date(2026, 3, 7), 17),  # Saturday before: PST, UTC-8
        (SPRING_FORWARD, 16),  # the change day: PDT, UTC-7
        (dt.date(2026, 10, 31), 16),  # Saturday before fall-back: PDT
        (FALL_BACK, 17),  # the change day: PST again
    ],
)
def test_nine_oclock_stays_nine_oclock_across_dst(day, expected_utc_hour):
    result = compute_slots(
        days=[day],
        tz=TZ,
        hours={1: {day.weekday(): [(T(9), T(10))]}},
        blocked={},
        duration=60 * MIN,
        buffer=dt.timedelta(0),
        step=60 * MIN,
        earliest=FAR_PAST,
        latest=FAR_FUTURE,
    )
    (slot,) = result[day]
    assert slot.start.astimezone(TZ).time() == T(9)
    assert slot.start.hour == expected_utc_hour
    assert slot.end - slot.start == dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (TUESDAY, ["00:00 PST", "01:00 PST", "02:00 PST", "03:00 PST"]),
        # Spring forward: the range 00:00-04:00 is only three real hours; 02:00 never exists.
        (SPRING_FORWARD, ["00:00 PST", "01:00 PST", "03:00 PDT"]),
        # Fall back: five real hours; 01:00 happens twice and both are bookable.
        (FALL_BACK, ["00:00 PDT", "01:00 PDT", "01:00 PST", "02:00 PST", "03:00 PST"]),
    ],
)
def test_night_range_on_dst_change_days_has_real_hours(day, expected):
    result = compute_slots(
        days=[day],
        tz=TZ,
        hours={1: {day.weekday(): [(T(0), T(4))]}},
        blocked={},
        duration=60 * MIN,
        buffer=dt.timedelta(0),
        step=60 * MIN,
        earliest=FAR_PAST,
        latest=FAR_FUTURE,
    )
    got = [s.start.astimezone(TZ).strftime("%H:%M %Z") for s in result[day]]
    assert got == expected
    starts = [s.start for s in result[day]]
    assert all(b - a == dt.timedelta(hours=1) for a, b in zip(starts, starts[1:], strict=False))


def test_range_starting_in_the_skipped_hour_starts_after_the_change():
    # 02:30 does not exist on 8 March; the range begins at the same real instant as 03:30 PDT.
    assert local_to_utc(SPRING_FORWARD, T(2, 30), TZ) == local(SPRING_FORWARD, 3, 30)


def test_any_specialist_merges_free_times_and_lists_who_is_free():
    day = TUESDAY
    result = compute_slots(
        days=[day],
        tz=TZ,
        hours={1: {day.weekday(): [(T(9), T(10))]}, 2: {day.weekday(): [(T(9, 30), T(11))]}},
        blocked={1: [(local(day, 9), local(day, 9, 30))]},
        duration=30 * MIN,
        buffer=dt.timedelta(0),
        step=30 * MIN,
        earliest=FAR_PAST,
        latest=FAR_FUTURE,
    )
    got = [(s.start.astimezone(TZ).strftime("%H:%M"), s.specialist_ids) for s in result[day]]
    assert got == [("09:30", (1, 2)), ("10:00", (2,)), ("10:30", (2,))]


def test_days_without_hours_are_empty_and_other_weekdays_unaffected():
    monday = dt.date(2026, 3, 2)
    result = compute_slots(
        days=[monday, TUESDAY],
        tz=TZ,
        hours={1: {TUESDAY.weekday(): [(T(9), T(10))]}},
        blocked={},
        duration=60 * MIN,
        buffer=dt.timedelta(0),
        step=60 * MIN,
        earliest=FAR_PAST,
        latest=FAR_FUTURE,
    )
    assert result[monday] == []
    assert len(result[TUESDAY]) == 1


def test_step_must_be_positive():
    with pytest.raises(ValueError):
        run(TUESDAY, [(T(9), T(10))], step=0)
