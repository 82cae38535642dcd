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
        """The patient profile of the patient the benchmark logs in as (seeded with a plan,
        logs, check-ins, a long appointment history and a child mid-questionnaire)."""
        return self.user(PATIENT).patient

    @cached_property
    def specialist(self):
        """The bookable profile of the specialist the benchmark logs in as."""
        from patients.models import Specialist

        return Specialist.objects.get(user=self.user(SPECIALIST))

    @cached_property
    def consultation_type(self):
        """A type any patient may book online (the first one open to new patients)."""
        from patients.models import ConsultationType

        return ConsultationType.objects.filter(is_active=True, new_patients_online=True).first()

    @cached_property
    def slots_day(self):
        """The first day from three days ahead on which the specialist has free times."""
        import datetime

        from patients.selectors.booking import availability_load, clinic_today, slots_for_days

        avail = availability_load(
            consultation_type=self.consultation_type, specialist=self.specialist
        )
        first = clinic_today() + datetime.timedelta(days=3)
        by_day = slots_for_days(avail, first, first + datetime.timedelta(days=27))
        return next((d for d, slots in sorted(by_day.items()) if slots), first)

    @cached_property
    def booking_slot(self):
        """A free time of the specialist, on a day the principal patient has nothing else; the
        benchmark's booking there is deleted before each POST (``_free_booking_slot``)."""
        import datetime

        from patients.models import Appointment
        from patients.selectors.booking import availability_load, clinic_today, slots_for_days

        avail = availability_load(
            consultation_type=self.consultation_type, specialist=self.specialist
        )
        first = clinic_today() + datetime.timedelta(days=5)
        by_day = slots_for_days(avail, first, first + datetime.timedelta(days=40))
        for _day, slots in sorted(by_day.items()):
            for slot in slots:
                busy = Appointment.objects.filter(
                    patient=self.patient, start__lt=slot.end, end__gt=slot.start
                ).exclude(status="cancelled")
                if not busy.exists():
                    return slot
        raise LookupError("the specialist has no free time in the next six weeks")

    @cached_property
    def child_intake(self):
        """The questionnaire the principal patient's child is half-way through."""
        from patients.models import Intake

        return (
            Intake.objects.filter(patient__guardian=self.user(PATIENT), status="draft")
            .order_by("pk")
            .first()
        )

    @cached_property
    def intake_step(self) -> str:
        """The first step not answered yet (the page the patient comes back to)."""
        from patients.questionnaire import STEP_NAMES

        answered = self.child_intake.answers
        return next((s for s in STEP_NAMES if s not in answered), STEP_NAMES[-1])

    @cached_property
    def busy_day(self):
        """The day of the year with the most appointments (clinic time), for the calendar."""
        from django.db.models import Count
        from django.db.models.functions import TruncDate

        from patients.models import Appointment
        from patients.selectors.booking import clinic_tz

        busiest = (
            Appointment.objects.annotate(day=TruncDate("start", tzinfo=clinic_tz()))
            .values("day")
            .annotate(n=Count("pk"))
            .order_by("-n", "day")
            .first()
        )
        return busiest["day"]

    @cached_property
    def chart_patient(self):
        """A patient with a rich history: a changed plan, the most logs and notes."""
        from django.db.models import Count

        from patients.models import Patient

        rich = (
            Patient.objects.filter(plan__versions__number=2)
            .exclude(pk=self.patient.pk)
            .annotate(logs=Count("session_logs", distinct=True))
            .order_by("-logs", "pk")
            .first()
        )
        return rich or self.patient


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


def _booking_data(world: World) -> dict:
    from patients.forms.booking import format_start

    slot = world.booking_slot
    return {
        "type": world.consultation_type.pk,
        "who": world.specialist.pk,
        "start": format_start(slot.start),
        "patient": world.patient.pk,
    }


def _free_booking_slot(world: World) -> None:
    """Untimed, before each booking POST: delete the benchmark's own booking of the slot (with
    its history, reminders and confirmation email), so every POST books the same free time."""
    from clinic.notify.models import Message, Reminder
    from patients.models import Appointment

    slot = world.booking_slot  # found once, before the first (counted) call
    mine = list(
        Appointment.objects.filter(patient=world.patient, start=slot.start).values_list(
            "pk", flat=True
        )
    )
    if not mine:
        return
    Reminder.objects.filter(
        target_label="patients.appointment", target_id__in=[str(pk) for pk in mine]
    ).delete()
    Message.objects.filter(
        purpose__startswith="appointment.",
        idempotency_key__in=[f"{pk}:v1:booked" for pk in mine],
    ).delete()
    Appointment.objects.filter(pk__in=mine).delete()


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
    # --- booking, intake, treatment, screens, calendar (issue 9) ---
    Page(
        "free slots (specialist's week)",
        PATIENT,
        url=lambda w: reverse("booking:slots", args=[w.consultation_type.pk, w.specialist.pk]),
        query=lambda w: {"day": w.slots_day.isoformat()},
        budget=BUDGET_FREE_SLOTS,
        goal=GOAL_PATIENT,
        note="the slot picker: a week of free-time counts and one day's times",
    ),
    Page(
        "booking POST",
        PATIENT,
        "POST",
        url=lambda w: reverse("booking:confirm"),
        data=_booking_data,
        prepare=_free_booking_slot,
        status=(302,),
        budget=BUDGET_BOOKING_POST,
        goal=GOAL_BOOKING_POST,
        note="books one free time; the booking is deleted again before the next call (untimed)",
    ),
    Page(
        "my appointments",
        PATIENT,
        url=lambda w: reverse("patients:appointments"),
        goal=GOAL_PATIENT,
    ),
    Page(
        "intake step",
        PATIENT,
        url=lambda w: reverse("patients:intake_step", args=[w.child_intake.pk, w.intake_step]),
        goal=GOAL_PATIENT,
        note="the child's questionnaire, half-way through",
    ),
    Page(
        "my treatment", PATIENT, url=lambda w: reverse("treatments:my_treatment"), goal=GOAL_PATIENT
    ),
    Page(
        "my treatment + progress chart",
        PATIENT,
        url=lambda w: reverse("treatments:progress", args=[w.patient.pk]),
        goal=GOAL_PATIENT,
        note="the progress page with its charts",
    ),
    Page(
        "screen queue page 1",
        STAFF,
        url=lambda w: reverse("screens:queue"),
        budget=BUDGET_STAFF_QUEUE,
        goal=GOAL_CLINICIAN,
    ),
    Page(
        "screen queue page 50",
        STAFF,
        url=lambda w: reverse("screens:queue"),
        query=lambda w: {"page": 50},
        budget=BUDGET_STAFF_QUEUE,
        goal=GOAL_CLINICIAN,
    ),
    Page(
        "staff calendar day",
        STAFF,
        url=lambda w: reverse("calendar:day"),
        query=lambda w: {"date": w.busy_day.isoformat()},
        goal=GOAL_CLINICIAN,
        note="the busiest day of the year, every specialist",
    ),
    Page(
        "patient chart",
        SPECIALIST,
        url=lambda w: reverse("treatments:chart", args=[w.chart_patient.pk]),
        budget=BUDGET_SPECIALIST_CHART,
        goal=GOAL_CLINICIAN,
    ),
    Page(
        "specialist dashboard",
        SPECIALIST,
        url=lambda w: reverse("treatments:dashboard"),
        goal=GOAL_CLINICIAN,
    ),
]


# --- Our side of the peer comparison (bench/peer_ours.py, a clinic shaped like the peer's) ---
class PeerWorld(World):
    """The peer-shaped clinic: its one consultation type, the first specialist, and the day the
    peer asks free slots for (the first weekday after tomorrow)."""

    @cached_property
    def peer_day(self):
        import datetime

        from patients.selectors.booking import clinic_today

        day = clinic_today() + datetime.timedelta(days=2)
        while day.weekday() >= 5:
            day += datetime.timedelta(days=1)
        return day


def _slots_url(w: World) -> str:
    return reverse("booking:slots", args=[w.consultation_type.pk, w.specialist.pk])


# (the peer's measure, our page): the same harness times these on the peer-shaped clinic.
PEER_PAGES: list[tuple[str, Page]] = [
    (
        "free slots (one staff member, one day)",
        Page(
            "booking slots, one specialist, one day",
            ANONYMOUS,
            url=_slots_url,
            query=lambda w: {"day": w.peer_day.isoformat()},
            note="our slot picker for the peer's day (a visitor may browse it, as the peer's)",
        ),
    ),
    (
        "staff calendar page",
        Page(
            "staff calendar week, one specialist",
            STAFF,
            url=lambda w: reverse("calendar:week"),
            query=lambda w: {"specialist": w.specialist.pk, "date": w.peer_day.isoformat()},
            note="our calendar page of one specialist (a week)",
        ),
    ),
    (
        "all-appointments list",
        Page(
            "staff calendar week, all specialists",
            STAFF,
            url=lambda w: reverse("calendar:week"),
            query=lambda w: {"specialist": "all", "date": w.peer_day.isoformat()},
            note="we have no all-appointments list: the closest staff page is the calendar week "
            "of every specialist",
        ),
    ),
    (
        "next available date",
        Page(
            "booking slots, next available day",
            ANONYMOUS,
            url=_slots_url,
            note="the slot picker without a day: it searches the first day with a free time",
        ),
    ),
]
