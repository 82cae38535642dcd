"""The page table: the budgets of QUALITY.md, and every page on main resolves."""

import pytest

from bench import pages
from bench.pages import PAGES, ROLES


def _by_name(name):
    return [p for p in PAGES if p.name == name]


@pytest.mark.parametrize(
    "name, budget",
    [
        ("patient home", 4),
        ("free slots (specialist's week)", 4),
        ("booking POST", 8),
        ("screen queue page 1", 5),
        ("screen queue page 50", 5),
        ("patient chart", 8),
    ],
)
def test_query_budgets_are_those_of_quality_md(name, budget):
    (page,) = _by_name(name)
    assert page.budget == budget


def test_time_goals_by_kind_of_page():
    for page in PAGES:
        if page.name == "booking POST":
            assert page.goal == pages.GOAL_BOOKING_POST == 40
        elif page.role in ("staff", "specialist"):
            assert page.goal == pages.GOAL_CLINICIAN == 40
        elif page.role == "patient":
            assert page.goal == pages.GOAL_PATIENT == 30


def test_rows_are_unique_and_well_formed():
    keys = [p.key for p in PAGES]
    assert len(keys) == len(set(keys))
    for page in PAGES:
        assert page.role in (*ROLES, pages.ANONYMOUS)
        assert page.method in ("GET", "POST")
        assert page.status and all(100 <= s < 600 for s in page.status)
        if page.on_main and page.method == "POST":
            assert page.data is not None, f"{page.key} posts nothing"


def test_the_pages_the_issue_asks_for_are_all_listed():
    names = {p.name for p in PAGES}
    assert {
        "landing",
        "login page",
        "login POST",
        "healthz",
        "patient home",
        "free slots (specialist's week)",
        "booking POST",
        "my appointments",
        "intake step",
        "my treatment + progress chart",
        "screen queue page 1",
        "screen queue page 50",
        "staff calendar day",
        "patient chart",
        "specialist dashboard",
    } <= names


def test_every_page_on_main_has_a_url_that_resolves():
    from django.urls import resolve

    world = pages.World()
    for page in PAGES:
        if page.on_main:
            resolve(page.url(world))  # raises Resolver404 for a stale row
