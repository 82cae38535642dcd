"""The pure session-calendar module: weekdays, phases, horizon, limits, current bounds, DST.
No database."""

import datetime

import pytest

from treatments.schedule import (
    IontophoresisSchedule,
    ScheduleError,
    check_limits,
    current_limits,
    generate,
    initial_phase_end,
    local_start,
    maintenance_start,
    validate_current,
    validate_minutes,
    validate_schedule,
)

D = datetime.date
MON = D(2026, 3, 2)  # a Monday


def days(slots, phase=None):
    return [s.day for s in slots if phase is None or s.phase == phase]


@pytest.mark.parametrize(
    ("weekdays", "start", "first_four"),
    [
        ((0, 2, 4), MON, [D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 6), D(2026, 3, 9)]),
        ((1, 3), MON, [D(2026, 3, 3), D(2026, 3, 5), D(2026, 3, 10), D(2026, 3, 12)]),
        # Starting on a Wednesday: the first session is that Wednesday.
        ((0, 2, 4), D(2026, 3, 4), [D(2026, 3, 4), D(2026, 3, 6), D(2026, 3, 9), D(2026, 3, 11)]),
        ((5,), MON, [D(2026, 3, 7), D(2026, 3, 14), D(2026, 3, 21), D(2026, 3, 28)]),
        (
            (0, 1, 2, 3, 4),
            MON,
            [D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 4), D(2026, 3, 5)],
        ),
    ],
)
def test_initial_phase_falls_on_the_chosen_weekdays(weekdays, start, first_four):
    schedule = IontophoresisSchedule(
        start=start, weekdays=weekdays, sessions_per_week=len(weekdays), initial_weeks=4
    )
    initial = days(generate(schedule, until=start), "initial")
    assert initial[:4] == first_four
    assert {d.weekday() for d in initial} == set(weekdays)
    assert len(initial) == 4 * len(weekdays)  # 28 days hold each weekday exactly 4 times


@pytest.mark.parametrize(("weeks", "count"), [(1, 3), (4, 12), (6, 18), (12, 36)])
def test_initial_phase_has_sessions_per_week_times_weeks(weeks, count):
    schedule = IontophoresisSchedule(start=MON, initial_weeks=weeks)
    assert len(days(generate(schedule, until=MON), "initial")) == count


def test_the_default_is_mon_wed_fri_for_four_weeks_then_weekly():
    schedule = IontophoresisSchedule(start=MON)
    slots = generate(schedule, until=D(2026, 4, 30))
    initial = days(slots, "initial")
    assert initial[0] == MON and initial[-1] == D(2026, 3, 27)
    assert days(slots, "maintenance") == [
        D(2026, 3, 30),
        D(2026, 4, 6),
        D(2026, 4, 13),
        D(2026, 4, 20),
        D(2026, 4, 27),
    ]


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (1, [D(2026, 3, 30), D(2026, 4, 6), D(2026, 4, 13), D(2026, 4, 20)]),
        (2, [D(2026, 3, 30), D(2026, 4, 13)]),
        (3, [D(2026, 3, 30), D(2026, 4, 20)]),
    ],
)
def test_maintenance_interval(interval, expected):
    schedule = IontophoresisSchedule(start=MON, maintenance_interval_weeks=interval)
    assert days(generate(schedule, until=D(2026, 4, 25)), "maintenance") == expected


@pytest.mark.parametrize(
    ("until", "maintenance_count"),
    [
        (D(2026, 3, 1), 0),  # before the start: the initial phase is still all there
        (D(2026, 3, 29), 0),
        (D(2026, 3, 30), 1),  # the horizon day itself is included
        (D(2026, 5, 24), 8),
        (D(2026, 5, 25), 9),
    ],
)
def test_maintenance_stops_at_the_horizon(until, maintenance_count):
    slots = generate(IontophoresisSchedule(start=MON), until=until)
    assert len(days(slots, "initial")) == 12
    assert len(days(slots, "maintenance")) == maintenance_count
    assert all(d <= until for d in days(slots, "maintenance"))


def test_extending_the_horizon_only_adds_later_sessions():
    schedule = IontophoresisSchedule(start=MON)
    short = generate(schedule, until=D(2026, 4, 20))
    long = generate(schedule, until=D(2026, 6, 1))
    assert long[: len(short)] == short


@pytest.mark.parametrize(
    ("moved_on", "last_initial", "first_maintenance"),
    [
        (D(2026, 3, 17), D(2026, 3, 16), D(2026, 3, 23)),  # Tuesday of week 3 → next Monday
        (D(2026, 3, 16), D(2026, 3, 13), D(2026, 3, 16)),  # a Monday: maintenance starts then
        (D(2026, 5, 1), D(2026, 3, 27), D(2026, 3, 30)),  # after the planned end: no effect
    ],
)
def test_moving_to_maintenance_ends_the_initial_phase_early(
    moved_on, last_initial, first_maintenance
):
    schedule = IontophoresisSchedule(start=MON, maintenance_from=moved_on)
    slots = generate(schedule, until=D(2026, 4, 30))
    assert days(slots, "initial")[-1] == last_initial
    assert days(slots, "maintenance")[0] == first_maintenance
    assert maintenance_start(schedule) == first_maintenance


def test_initial_phase_end_never_precedes_the_start():
    schedule = IontophoresisSchedule(start=MON, maintenance_from=D(2026, 2, 1))
    assert initial_phase_end(schedule) == MON


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekdays": (0, 1, 2, 3, 4, 5), "sessions_per_week": 6}, "never more than 5 a week"),
        ({"weekdays": (0, 2), "sessions_per_week": 3}, "tick exactly 3 weekdays"),
        ({"weekdays": (0, 0, 2), "sessions_per_week": 3}, "each weekday at most once"),
        ({"weekdays": (), "sessions_per_week": 3}, "Choose the weekdays"),
        ({"weekdays": (7,), "sessions_per_week": 1}, "each weekday at most once"),
        ({"initial_weeks": 0}, "1 to 12 weeks"),
        ({"initial_weeks": 13}, "1 to 12 weeks"),
        ({"maintenance_interval_weeks": 4}, "every 1, 2 or 3 weeks"),
        ({"maintenance_interval_weeks": 0}, "every 1, 2 or 3 weeks"),
    ],
)
def test_malformed_schedules_are_refused_with_a_clear_message(kwargs, message):
    schedule = IontophoresisSchedule(start=MON, **kwargs)
    assert any(message in m for m in validate_schedule(schedule))
    with pytest.raises(ScheduleError) as err:
        generate(schedule, until=MON)
    assert any(message in m for m in err.value.messages)


def test_five_a_week_on_weekdays_is_allowed():
    schedule = IontophoresisSchedule(start=MON, weekdays=(0, 1, 2, 3, 4), sessions_per_week=5)
    assert validate_schedule(schedule) == []


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ([MON, MON], "never more than 1 a day"),
        ([D(2026, 3, d) for d in range(2, 8)], "never more than 5 a week"),
    ],
)
def test_limits_one_a_day_and_five_a_week(dates, message):
    errors = check_limits(dates)
    assert len(errors) == 1 and message in errors[0]


def test_limits_count_calendar_weeks_monday_to_sunday():
    # Thu–Sun then Mon–Thu: 8 days in a row, but never more than 4 in one week.
    dates = [D(2026, 3, 5) + datetime.timedelta(days=i) for i in range(8)]
    assert check_limits(dates) == []


@pytest.mark.parametrize(
    ("age", "low", "high", "pulsed"),
    [(6, 1, 15, True), (17, 1, 15, True), (18, 1, 20, False), (70, 1, 20, False)],
)
def test_current_bounds_by_age(age, low, high, pulsed):
    assert current_limits(age) == (low, high, pulsed)


@pytest.mark.parametrize(
    ("age", "ma", "pulsed", "message"),
    [
        (30, 20, False, None),
        (30, 20.5, False, "at most 20 mA"),
        (30, 0, False, "at least 1 mA"),
        (30, 12, True, None),  # adults may choose pulsed
        (17, 15, True, None),
        (17, 16, True, "Under 18 the current is at most 15 mA"),
        (17, 10, False, "must be pulsed"),
        (12, 15.0, True, None),
    ],
)
def test_current_validation(age, ma, pulsed, message):
    errors = validate_current(age=age, milliamps=ma, pulsed=pulsed)
    if message is None:
        assert errors == []
    else:
        assert any(message in e for e in errors), errors


@pytest.mark.parametrize(("minutes", "ok"), [(9, False), (10, True), (30, True), (31, False)])
def test_session_length_bounds(minutes, ok):
    assert (validate_minutes(minutes) == []) is ok


LA = "America/Los_Angeles"


@pytest.mark.parametrize(
    ("day", "at", "utc"),
    [
        # 18:00 in Los Angeles: PST (UTC-8) before 8 March 2026, PDT (UTC-7) after.
        (
            D(2026, 3, 6),
            datetime.time(18),
            datetime.datetime(2026, 3, 7, 2, 0, tzinfo=datetime.UTC),
        ),
        (
            D(2026, 3, 8),
            datetime.time(18),
            datetime.datetime(2026, 3, 9, 1, 0, tzinfo=datetime.UTC),
        ),
        (
            D(2026, 3, 9),
            datetime.time(18),
            datetime.datetime(2026, 3, 10, 1, 0, tzinfo=datetime.UTC),
        ),
        # Back to PST on 1 November 2026.
        (
            D(2026, 10, 30),
            datetime.time(7),
            datetime.datetime(2026, 10, 30, 14, 0, tzinfo=datetime.UTC),
        ),
        (
            D(2026, 11, 2),
            datetime.time(7),
            datetime.datetime(2026, 11, 2, 15, 0, tzinfo=datetime.UTC),
        ),
        # 02:30 does not exist on 8 March: the instant an hour later (03:30 PDT).
        (
            D(2026, 3, 8),
            datetime.time(2, 30),
            datetime.datetime(2026, 3, 8, 10, 30, tzinfo=datetime.UTC),
        ),
        # 01:30 happens twice on 1 November: the first one (PDT).
        (
            D(2026, 11, 1),
            datetime.time(1, 30),
            datetime.datetime(2026, 11, 1, 8, 30, tzinfo=datetime.UTC),
        ),
    ],
)
def test_home_sessions_keep_the_local_time_across_dst(day, at, utc):
    assert local_start(day, at, LA) == utc


def test_a_calendar_across_the_spring_change_stays_at_six_pm_local():
    from zoneinfo import ZoneInfo

    slots = generate(IontophoresisSchedule(start=D(2026, 3, 2)), until=D(2026, 3, 2))
    starts = [local_start(s.day, datetime.time(18), LA) for s in slots]
    local = [s.astimezone(ZoneInfo(LA)) for s in starts]
    assert {t.hour for t in local} == {18}
    assert {s.hour for s in starts} == {2, 1}  # the UTC hour moves with DST
    # Different zones give different instants for the same wall-clock time.
    assert local_start(MON, datetime.time(18), "Europe/Berlin") != starts[0]
