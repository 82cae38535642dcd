"""Time helpers of the reminder schedule: quiet hours and DST (R9). Pure, no database."""

import datetime as dt
import zoneinfo

import pytest

from clinic.notify.reminders import before, in_quiet_hours, local_instant, quiet_hours_shift

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def t(h, m=0):
    return dt.time(h, m)


@pytest.mark.parametrize(
    "local, start, end, quiet",
    [
        ((2026, 6, 1, 20, 59), t(21), t(8), False),
        ((2026, 6, 1, 21, 0), t(21), t(8), True),
        ((2026, 6, 1, 23, 30), t(21), t(8), True),
        ((2026, 6, 2, 0, 0), t(21), t(8), True),
        ((2026, 6, 2, 7, 59), t(21), t(8), True),
        ((2026, 6, 2, 8, 0), t(21), t(8), False),
        ((2026, 6, 2, 13, 0), t(12), t(14), True),  # a window inside one day
        ((2026, 6, 2, 14, 0), t(12), t(14), False),
        ((2026, 6, 2, 11, 59), t(12), t(14), False),
        ((2026, 6, 2, 3, 0), t(8), t(8), False),  # start == end: no quiet hours
    ],
)
def test_in_quiet_hours_on_the_recipients_wall_clock(local, start, end, quiet):
    moment = dt.datetime(*local, tzinfo=LA)
    assert in_quiet_hours(moment, start, end, LA) is quiet


@pytest.mark.parametrize(
    "local, expected_local",
    [
        ((2026, 6, 1, 22, 15), (2026, 6, 2, 8, 0)),  # evening: to tomorrow's end
        ((2026, 6, 2, 6, 45), (2026, 6, 2, 8, 0)),  # early morning: to today's end
        ((2026, 6, 2, 12, 0), (2026, 6, 2, 12, 0)),  # outside: unchanged
    ],
)
def test_quiet_hours_move_a_reminder_to_their_end(local, expected_local):
    moment = dt.datetime(*local, tzinfo=LA)
    shifted = quiet_hours_shift(moment, start=t(21), end=t(8), zone=LA)
    assert shifted == dt.datetime(*expected_local, tzinfo=LA)
    assert shifted.tzinfo == UTC


def test_no_quiet_hours_leaves_the_time_alone():
    moment = utc(2026, 6, 2, 5, 0)
    assert quiet_hours_shift(moment, start=None, end=None, zone=LA) == moment


def test_quiet_hours_end_across_spring_forward_is_the_new_offset():
    # Clocks in Los Angeles go forward at 02:00 on Sunday 8 March 2026 (PST -8 → PDT -7).
    saturday_night = dt.datetime(2026, 3, 7, 23, 0, tzinfo=LA)  # 07:00 UTC Sunday
    shifted = quiet_hours_shift(saturday_night, start=t(21), end=t(8), zone=LA)
    assert shifted == utc(2026, 3, 8, 15, 0)  # 08:00 PDT, not 16:00 UTC (08:00 PST)
    assert shifted.astimezone(LA).time() == t(8)


def test_quiet_hours_end_across_fall_back_is_the_new_offset():
    # Clocks go back at 02:00 on Sunday 1 November 2026 (PDT -7 → PST -8).
    saturday_night = dt.datetime(2026, 10, 31, 22, 0, tzinfo=LA)
    shifted = quiet_hours_shift(saturday_night, start=t(21), end=t(8), zone=LA)
    assert shifted == utc(2026, 11, 1, 16, 0)
    assert shifted.astimezone(LA).time() == t(8)


def test_quiet_hours_in_the_recipients_zone_not_the_clinics():
    moment = utc(2026, 6, 2, 5, 0)  # 22:00 in Los Angeles, 07:00 in Berlin
    assert quiet_hours_shift(moment, start=t(21), end=t(8), zone=BERLIN) == dt.datetime(
        2026, 6, 2, 8, 0, tzinfo=BERLIN
    )
    assert quiet_hours_shift(moment, start=t(21), end=t(8), zone=LA) == dt.datetime(
        2026, 6, 2, 8, 0, tzinfo=LA
    )


def test_quiet_hours_ending_in_the_skipped_hour_end_after_the_gap():
    saturday_night = dt.datetime(2026, 3, 7, 23, 0, tzinfo=LA)
    shifted = quiet_hours_shift(saturday_night, start=t(21), end=t(2, 30), zone=LA)
    assert shifted.astimezone(LA).replace(tzinfo=None) == dt.datetime(2026, 3, 8, 3, 30)


@pytest.mark.parametrize(
    "day, time, expected_utc",
    [
        (dt.date(2026, 6, 1), t(18), utc(2026, 6, 2, 1, 0)),  # PDT
        (dt.date(2026, 1, 15), t(18), utc(2026, 1, 16, 2, 0)),  # PST
        (dt.date(2026, 3, 8), t(18), utc(2026, 3, 9, 1, 0)),  # DST day, after the change
        (dt.date(2026, 3, 8), t(1, 30), utc(2026, 3, 8, 9, 30)),  # before the change
        (dt.date(2026, 3, 8), t(2, 30), utc(2026, 3, 8, 10, 30)),  # skipped: 03:30 PDT
        (dt.date(2026, 11, 1), t(1, 30), utc(2026, 11, 1, 8, 30)),  # ambiguous: the first
        (dt.date(2026, 11, 1), t(18), utc(2026, 11, 2, 2, 0)),  # after fall back: PST
    ],
)
def test_local_instant_is_dst_correct(day, time, expected_utc):
    assert local_instant(day, time, LA) == expected_utc


def test_24_hours_before_is_exactly_24_hours_across_spring_forward():
    # An appointment at 10:00 on the Sunday clocks spring forward: 17:00 UTC.
    start = dt.datetime(2026, 3, 8, 10, 0, tzinfo=LA)
    when = before(lambda target: start, dt.timedelta(hours=24))(None)
    assert when == utc(2026, 3, 7, 17, 0)
    assert start - when == dt.timedelta(hours=24)
    # On the wall clock that is 09:00 the day before (the night was an hour short).
    assert when.astimezone(LA).replace(tzinfo=None) == dt.datetime(2026, 3, 7, 9, 0)


def test_24_hours_before_is_exactly_24_hours_across_fall_back():
    start = dt.datetime(2026, 11, 1, 10, 0, tzinfo=LA)  # 18:00 UTC
    when = before(lambda target: start, dt.timedelta(hours=24))(None)
    assert when == utc(2026, 10, 31, 18, 0)
    assert when.astimezone(LA).replace(tzinfo=None) == dt.datetime(2026, 10, 31, 11, 0)


def test_before_a_target_without_a_start_gives_no_reminder():
    assert before(lambda target: None, dt.timedelta(hours=2))(None) is None
