"""The pure progress rules (RULES.md §5): response, failure with the adequate-trial rule,
adherence percentages, when a check-in is due, and the chart's geometry."""

import datetime

import pytest

from treatments import progress
from treatments.progress import FAILURE, RESPONSE, assess, chart_geometry, hdss_y

D0 = datetime.date(2026, 3, 2)  # a Monday


def days(*offsets):
    return [D0 + datetime.timedelta(days=o) for o in offsets]


# Three sessions a week for four weeks: Mon/Wed/Fri from D0 (12 sessions, the last on day 25).
FULL = days(0, 2, 4, 7, 9, 11, 14, 16, 18, 21, 23, 25)


@pytest.mark.parametrize(
    ("baseline", "latest", "kind"),
    [
        (4, 2, RESPONSE),  # down 2
        (4, 1, RESPONSE),  # down 3
        (3, 1, RESPONSE),  # down 2
        (3, 2, RESPONSE),  # from 3–4 to 1–2 (down only 1)
        (4, 3, None),  # down 1, still 3–4: partial, neither
        (2, 1, None),  # down 1 from 2: neither
        (2, 2, FAILURE),  # no change after an adequate trial
        (3, 3, FAILURE),
        (4, 4, FAILURE),
        (3, 4, FAILURE),  # worse counts as no response
    ],
)
def test_response_and_failure_after_an_adequate_trial(baseline, latest, kind):
    result = assess(
        baseline=baseline, checkins=[(D0 + datetime.timedelta(days=28), latest)], done_days=FULL
    )
    assert result.kind == kind


@pytest.mark.parametrize(
    ("done", "checkin_day", "kind"),
    [
        (FULL, 28, FAILURE),  # 12 sessions, 4 weeks after the first
        (FULL[:7], 28, FAILURE),  # exactly 7 sessions is adequate
        (FULL[:6], 28, None),  # 6 sessions: not an adequate trial (ION-22b territory)
        (FULL, 27, None),  # 27 days after the first session: not yet 4 weeks
        (days(7, 9, 11, 14, 16, 18, 21), 28, None),  # 7 sessions but only 3 weeks of them
        ([], 28, None),  # nothing done
        (FULL + days(30, 32), 28, FAILURE),  # sessions after the check-in do not count
    ],
)
def test_failure_needs_seven_sessions_over_four_weeks(done, checkin_day, kind):
    result = assess(
        baseline=3, checkins=[(D0 + datetime.timedelta(days=checkin_day), 3)], done_days=done
    )
    assert result.kind == kind


def test_the_latest_check_in_decides_and_counts_sessions_up_to_it():
    result = assess(
        baseline=4,
        checkins=[(D0 + datetime.timedelta(days=14), 3), (D0 + datetime.timedelta(days=21), 2)],
        done_days=FULL,
    )
    assert (result.kind, result.latest, result.sessions, result.weeks) == (RESPONSE, 2, 10, 3)


def test_no_check_in_means_no_assessment():
    assert assess(baseline=4, checkins=[], done_days=FULL) is None


def test_a_response_wins_over_the_trial_length():
    # Two weeks in, HDSS 4 → 2: a response already (no adequate-trial requirement).
    result = assess(baseline=4, checkins=[(D0 + datetime.timedelta(days=14), 2)], done_days=FULL)
    assert result.kind == RESPONSE


@pytest.mark.parametrize(
    ("done", "planned", "expected"),
    [(0, 0, None), (0, 4, 0), (3, 4, 75), (2, 3, 67), (5, 4, 100), (1, 6, 17)],
)
def test_adherence_percent(done, planned, expected):
    assert progress.percent(done, planned) == expected


@pytest.mark.parametrize(
    ("last", "start", "due"),
    [
        (None, None, None),
        (None, D0, D0 + datetime.timedelta(days=14)),
        (D0 + datetime.timedelta(days=20), D0, D0 + datetime.timedelta(days=34)),
    ],
)
def test_a_check_in_is_due_two_weeks_after_the_last_or_the_start(last, start, due):
    assert progress.checkin_due_on(last_checkin=last, start=start) == due


@pytest.mark.parametrize(
    ("day", "logged", "status"),
    [
        (D0, "done", "done"),
        (D0, "skipped", "skipped"),
        (D0 - datetime.timedelta(days=1), None, "missed"),
        (D0, None, "planned"),  # today's session is not missed yet
    ],
)
def test_session_status(day, logged, status):
    assert progress.session_status(day=day, logged=logged, today=D0) == status


# --- Chart geometry -----------------------------------------------------------------------------
def test_chart_places_points_on_the_time_axis_and_hdss_scale():
    checkins = [
        (D0, 4),
        (D0 + datetime.timedelta(days=14), 3),
        (D0 + datetime.timedelta(days=28), 1),
    ]
    sessions = [
        (D0, "done"),
        (D0 + datetime.timedelta(days=2), "skipped"),
        (D0 + datetime.timedelta(days=4), "missed"),
    ]
    g = chart_geometry(checkins=checkins, sessions=sessions, today=D0 + datetime.timedelta(days=28))
    inner = progress.WIDTH - progress.LEFT - progress.RIGHT
    assert [p.x for p in g.points] == [
        progress.LEFT,
        progress.LEFT + inner / 2,
        progress.LEFT + inner,
    ]
    assert [p.y for p in g.points] == [progress.TOP, round(hdss_y(3), 1), progress.PLOT_BOTTOM]
    assert g.path == " ".join(f"{cmd}{p.x},{p.y}" for cmd, p in zip("MLL", g.points, strict=True))
    assert [(m.status, m.x) for m in g.marks] == [
        ("done", progress.LEFT),
        ("skipped", round(progress.LEFT + inner * 2 / 28, 1)),
        ("missed", round(progress.LEFT + inner * 4 / 28, 1)),
    ]
    assert g.today_x == progress.LEFT + inner
    # Weekly ticks on Mondays for a four-week span.
    assert [t.label for t in g.ticks] == ["2 Mar", "9 Mar", "16 Mar", "23 Mar", "30 Mar"]


def test_chart_runs_to_today_when_today_is_later():
    g = chart_geometry(checkins=[(D0, 3)], sessions=[], today=D0 + datetime.timedelta(days=10))
    assert g.end == D0 + datetime.timedelta(days=10)
    assert g.points[0].x == progress.LEFT and g.path == f"M{g.points[0].x},{g.points[0].y}"


def test_long_charts_label_months_without_crowding():
    g = chart_geometry(
        checkins=[(D0, 4), (D0 + datetime.timedelta(days=300), 1)],
        sessions=[],
        today=D0 + datetime.timedelta(days=300),
    )
    assert 3 <= len(g.ticks) <= 6
    assert all(b.x - a.x > 40 for a, b in zip(g.ticks, g.ticks[1:], strict=False))


def test_nothing_to_draw_is_none():
    assert chart_geometry(checkins=[], sessions=[], today=D0) is None
