"""The page table of the benchmark: what is timed, as whom, and its query budget.

Adding a page is adding a row to ``PAGES``. A row whose ``url`` is None is a page the issue
asks for that is not on main yet: the report lists it as "not yet on main" (never a number).
When the feature lands, give the row its URL builder (and, if it needs an object, add a
property to ``World`` that finds it in the seeded data, plus a seeding step in ``bench.seed``).

- ``budget``: queries allowed beyond session and user, i.e. beyond what the logged-in bare
  view of the same role makes (QUALITY.md P, "Query budgets"). None: no budget.
- ``goal``: the goal for the page's time as a ratio to the bare view (QUALITY.md P: patient
  pages 30x, staff and specialist pages 40x, booking POST 40x). None: no goal (e.g. the login
  POST, which is an Argon2 hash by design).
- ``status``: the status codes that count as the page working; anything else is an error.
- ``data``: the POST body (a fresh one for every call); the harness adds the CSRF token.
- ``prepare``: runs before each call, untimed (e.g. clear a rate-limit counter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.urls import reverse

ANONYMOUS, PATIENT, STAFF, SPECIALIST = "anonymous", "patient", "staff", "specialist"
ROLES = (PATIENT, STAFF, SPECIALIST)

# QUALITY.md P: query budgets beyond session and user.
BUDGET_PATIENT_HOME = 4
BUDGET_FREE_SLOTS = 4
BUDGET_BOOKING_POST = 8
BUDGET_STAFF_QUEUE = 5
BUDGET_SPECIALIST_CHART = 8
# QUALITY.md P: time goals as the ratio to the bare view.
GOAL_PATIENT = 30
GOAL_CLINICIAN = 40
GOAL_BOOKING_POST = 40


class World:
    """The seeded objects pages need (found by the seeder's naming, once per run)."""

    @cached_property
    def users(self) -> dict:
        from bench.seed.accounts import principal_email
        from clinic.accounts.models import User
        from clinic.accounts.roles import Role

        return {
            role: User.objects.get(email=principal_email(Role(role)))
            for role in (PATIENT, STAFF, SPECIALIST)
        }

    def user(self, role: str):
        return self.users[role]

    @cached_property
    def patient(self):
        """The patient profile of the patient the benchmark logs in as."""
        return self.user(PATIENT).patient


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    method: str = "GET"
    url: Callable[[World], str] | None = None
    budget: int | None = None
    goal: int | None = None
    status: tuple[int, ...] = (200,)
    data: Callable[[World], dict] | None = None
    prepare: Callable[[World], object] | None = None
    query: Callable[[World], dict] | None = None
    headers: dict | None = None
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.name} [{self.role}]"

    @property
    def on_main(self) -> bool:
        return self.url is not None


def _clear_rate_limits(world: World) -> None:
    # allauth limits logins to 30 a minute per address; the benchmark logs in more often.
    from django.core.cache import cache

    cache.clear()


def _login_data(world: World) -> dict:
    from bench.seed import SEED_PASSWORD

    return {"login": world.user(PATIENT).email, "password": SEED_PASSWORD}


PAGES: list[Page] = [
    # --- on main ---
    Page("landing", ANONYMOUS, url=lambda w: reverse("landing"), goal=GOAL_PATIENT),
    Page("login page", ANONYMOUS, url=lambda w: reverse("account_login"), goal=GOAL_PATIENT),
    Page(
        "login POST",
        ANONYMOUS,
        "POST",
        url=lambda w: reverse("account_login"),
        data=_login_data,
        prepare=_clear_rate_limits,
        status=(302,),
        note="an Argon2 hash by design (~0.1 s): reported on its own",
    ),
    Page("healthz", ANONYMOUS, url=lambda w: reverse("healthz"), note="pings PostgreSQL and Redis"),
    Page(
        "patient home",
        PATIENT,
        url=lambda w: reverse("patients:home"),
        budget=BUDGET_PATIENT_HOME,
        goal=GOAL_PATIENT,
    ),
    Page("home dispatch", PATIENT, url=lambda w: reverse("home"), status=(302,), goal=GOAL_PATIENT),
    Page(
        "home dispatch",
        STAFF,
        url=lambda w: reverse("home"),
        status=(200, 302),
        goal=GOAL_CLINICIAN,
    ),
    Page(
        "home dispatch",
        SPECIALIST,
        url=lambda w: reverse("home"),
        status=(200, 302),
        goal=GOAL_CLINICIAN,
    ),
    # --- asked for by issue 9, not on main yet: give them a URL when their feature lands ---
    Page("free slots (specialist's week)", PATIENT, budget=BUDGET_FREE_SLOTS, goal=GOAL_PATIENT),
    Page("booking POST", PATIENT, "POST", budget=BUDGET_BOOKING_POST, goal=GOAL_BOOKING_POST),
    Page("my appointments", PATIENT, goal=GOAL_PATIENT),
    Page("intake step", PATIENT, goal=GOAL_PATIENT),
    Page("my treatment + progress chart", PATIENT, goal=GOAL_PATIENT),
    Page("screen queue page 1", STAFF, budget=BUDGET_STAFF_QUEUE, goal=GOAL_CLINICIAN),
    Page("screen queue page 50", STAFF, budget=BUDGET_STAFF_QUEUE, goal=GOAL_CLINICIAN),
    Page("staff calendar day", STAFF, goal=GOAL_CLINICIAN),
    Page("patient chart", SPECIALIST, budget=BUDGET_SPECIALIST_CHART, goal=GOAL_CLINICIAN),
    Page("specialist dashboard", SPECIALIST, goal=GOAL_CLINICIAN),
]
