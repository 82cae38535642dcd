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


def test_every_page_asked_for_is_on_main():
    # Every feature has landed: no row is left "not yet on main" (its URL needs the seeded
    # objects: the seeded test below resolves and calls each one).
    assert all(page.on_main for page in PAGES)
    assert all(page.on_main for _measure, page in pages.PEER_PAGES)


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_page_answers_its_status_on_a_small_seeded_clinic(settings):
    """Seed 50 patients on the test database and time every page once (a smoke run of the
    harness): each answers one of its expected statuses (run_pages raises otherwise)."""
    import datetime

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from bench import harness
    from bench.seed import seed_clinic

    settings.ROOT_URLCONF = "bench.urls"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "clinic.bench.localhost"]
    seed_clinic(
        patients=50,
        anchor=datetime.date.today(),
        password_hash="md5$bench$0123456789abcdef0123456789abcdef",
        analyze=False,
        log=lambda line: None,
    )
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        pages_ = [p for p in PAGES if p.name != "login POST"]  # an Argon2 hash of a stand-in
        result = harness.run_pages(pages=pages_, repetitions=1, warmup=1, log=lambda line: None)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    from django.urls import resolve

    rows = {r["key"]: r for r in result["pages"]}
    for page in pages_:
        resolve(rows[page.key]["path"])
        assert rows[page.key]["status"] in page.status, page.key
        assert rows[page.key]["queries"] > 0 or page.role == "anonymous"
