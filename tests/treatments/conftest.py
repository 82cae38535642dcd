import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_screen
from treatments.services import ItemSpec

LA = ZoneInfo("America/Los_Angeles")
MONDAY = datetime.date(2026, 3, 2)  # DST starts in Los Angeles on Sunday 8 March 2026


def at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """An aware instant at ``hour`` o'clock Los Angeles time on ``day``."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LA)


def ion(areas=("palmar",), **overrides) -> ItemSpec:
    values = dict(
        treatment="iontophoresis",
        areas=tuple(areas),
        setting="home",
        session_minutes=20,
        current_ma=Decimal("12"),
        pulsed=False,
        sessions_per_week=3,
        initial_weeks=4,
        weekdays=(0, 2, 4),
        maintenance_interval_weeks=1,
        start_date=MONDAY,
        water="tap",
        review_date=MONDAY + datetime.timedelta(weeks=4),
    )
    values.update(overrides)
    return ItemSpec(**values)


def other(treatment, areas=("axillary",), **overrides) -> ItemSpec:
    values = dict(
        treatment=treatment,
        areas=tuple(areas),
        instructions="Use as directed.",
        start_date=MONDAY,
        review_date=MONDAY + datetime.timedelta(weeks=4),
    )
    values.update(overrides)
    return ItemSpec(**values)


@pytest.fixture
def screened(patient):
    """Ann (the shared ``patient``: an adult in the clinic's zone, Los Angeles, home sessions
    at 18:00) with a reviewed, cleared screen: hands and feet HDSS 3, iontophoresis ok for both."""
    make_screen(patient, areas={"palmar": 3, "plantar": 3})
    return patient


# --- Progress tracking (issue 7) --------------------------------------------------------------
@pytest.fixture
def home_plan(screened, specialist_user):
    """Ann's home iontophoresis plan for the hands from Monday 2 March 2026: Mon/Wed/Fri at
    18:00 Los Angeles, 20 min, up to 12 mA."""
    from treatments.services import plan_assign

    return plan_assign(
        patient_id=screened.pk, items=[ion()], user=specialist_user, now=at(MONDAY, 9)
    )
