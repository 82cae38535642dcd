"""The report writer and the comparison with the previous run (no timing is measured here)."""

import json

from bench import report
from bench.pages import PAGES


def _page(key="patient home [patient]", *, x_bare=20.0, x_bare_user=2.0, queries=8, **extra):
    name, role = key.rsplit(" [", 1)
    return {
        "name": name,
        "role": role.rstrip("]"),
        "method": "GET",
        "key": key,
        "budget": 4,
        "goal": 30,
        "note": "",
        "on_main": True,
        "path": "/me/",
        "status": 200,
        "queries": queries,
        "extra_queries": 2,
        "over_budget": False,
        "sql": [],
        "median_us": 5000.0,
        "round_medians_us": [5000.0],
        "requests": 100,
        "x_bare": x_bare,
        "x_bare_user": x_bare_user,
        "floor": "bare-user:patient",
        "over_goal": False,
        **extra,
    }


def _report(pages, *, date="2026-11-24T10:00:00Z", patients=2000, engine=20000):
    return {
        "meta": {
            "date": date,
            "commit": "abc123",
            "dirty": False,
            "patients": patients,
            "machine": {
                "cpu": "Test CPU",
                "cores": 2,
                "memory_gb": 4.0,
                "os": "Linux",
                "python": "3.11",
            },
            "django": "5.2",
            "postgresql": "15",
            "settings": "bench.settings",
            "debug": False,
            "repetitions": 7,
            "warmup": 5,
            "seconds": 1,
        },
        "seed": None,
        "references": {
            "bare": {
                "role": "anonymous",
                "path": "/b/",
                "queries": 0,
                "median_us": 100.0,
                "round_medians_us": [100.0],
                "requests": 100,
                "x_bare": 1.0,
            },
            "bare-user:patient": {
                "role": "patient",
                "path": "/u/",
                "queries": 6,
                "median_us": 1000.0,
                "round_medians_us": [1000.0],
                "requests": 100,
                "x_bare": 10.0,
            },
        },
        "pages": pages,
        "engine": {
            "profiles_per_second": engine,
            "goal": 10000,
            "meets_goal": True,
            "profiles": 100,
            "repetitions": 5,
            "rules_version": "v",
        },
        "previous": None,
        "regressions": [],
    }


def test_a_ratio_30_percent_worse_is_a_regression():
    old = _report([_page(x_bare=20.0, x_bare_user=2.0)])
    new = _report([_page(x_bare=26.0, x_bare_user=2.0)])
    (line,) = report.compare(old, new)
    assert "patient home [patient]" in line and "x_bare 20.0 -> 26.0" in line


def test_a_ratio_20_percent_worse_is_not():
    old = _report([_page(x_bare=20.0, x_bare_user=2.0)])
    new = _report([_page(x_bare=24.0, x_bare_user=2.4)])
    assert report.compare(old, new) == []


def test_the_logged_in_ratio_is_compared_too():
    old = _report([_page(x_bare_user=2.0)])
    new = _report([_page(x_bare_user=2.6)])
    (line,) = report.compare(old, new)
    assert "x_bare_user 2.0 -> 2.6" in line


def test_one_query_more_is_a_regression_and_better_numbers_are_not():
    old = _report([_page(queries=8, x_bare=20.0)])
    new = _report([_page(queries=9, x_bare=10.0)])
    assert report.compare(old, new) == ["patient home [patient]: queries 8 -> 9"]


def test_engine_time_per_profile_25_percent_worse_is_a_regression():
    # 20,000 -> 16,500 profiles/s: 21% more time per profile; 15,000: 33% more.
    assert report.compare(_report([], engine=20000), _report([], engine=16500)) == []
    (line,) = report.compare(_report([], engine=20000), _report([], engine=15000))
    assert line.startswith("rules engine")


def test_no_previous_run_and_pages_new_or_not_on_main_are_not_compared():
    new = _report([_page(x_bare=99.0), _page("booking POST [patient]", on_main=False)])
    assert report.compare(None, new) == []
    old = _report([_page("landing [anonymous]")])
    assert report.compare(old, new) == []


def test_write_and_find_the_previous_report_of_the_same_size(tmp_path):
    first = _report([_page()], date="2026-11-24T10:00:00Z")
    other_size = _report([_page()], date="2026-11-24T11:00:00Z", patients=10000)
    second = _report([_page()], date="2026-11-24T12:00:00Z")
    for r in (first, other_size, second):
        json_path, md_path = report.write(r, tmp_path)
        assert json.loads(json_path.read_text())["meta"]["date"] == r["meta"]["date"]
        assert md_path.exists()
    assert report.result_stem(first) == "bench-p2000-20261124T100000"
    latest = report.previous_report(tmp_path, 2000)
    assert latest["meta"]["date"] == second["meta"]["date"]
    before_second = report.previous_report(tmp_path, 2000, before=report.result_stem(second))
    assert before_second["meta"]["date"] == first["meta"]["date"]
    assert report.previous_report(tmp_path, 2000, before=report.result_stem(first)) is None
    assert report.previous_report(tmp_path, 500) is None


def test_markdown_lists_machine_flags_pending_pages_and_regressions():
    pending = {
        "name": "booking POST",
        "role": "patient",
        "method": "POST",
        "key": "booking POST [patient]",
        "budget": 8,
        "goal": 40,
        "note": "",
        "on_main": False,
    }
    over = _page("patient chart [specialist]", over_budget=True, extra_queries=11)
    r = _report([_page(), over, pending])
    r["previous"] = "bench-p2000-20261123T100000"
    r["regressions"] = ["patient home [patient]: x_bare 20.0 -> 26.0 (+30%)"]
    text = report.to_markdown(r)
    assert "Test CPU, 2 cores, 4.0 GB" in text
    assert "Commit `abc123`" in text
    assert "| booking POST | patient | POST | not yet on main |" in text
    assert "**OVER BUDGET**" in text
    assert "- **patient home [patient]: x_bare 20.0 -> 26.0 (+30%)**" in text


def test_every_row_of_the_page_table_renders():
    rows = [
        {
            "name": p.name,
            "role": p.role,
            "method": p.method,
            "key": p.key,
            "budget": p.budget,
            "goal": p.goal,
            "note": p.note,
            "on_main": False,
        }
        for p in PAGES
    ]
    text = report.to_markdown(_report(rows))
    assert text.count("not yet on main") == len(PAGES)
