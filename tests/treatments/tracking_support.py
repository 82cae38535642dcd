"""Helpers for the tracking tests (the ``home_plan`` fixture is in this folder's conftest)."""

import datetime

from tests.treatments.conftest import MONDAY, at
from treatments.models import PlannedSession


def day(offset: int) -> datetime.date:
    return MONDAY + datetime.timedelta(days=offset)


def evening(offset: int) -> datetime.datetime:
    """20:00 in Los Angeles, ``offset`` days after the plan started."""
    return at(day(offset), 20)


def session_on(plan, offset: int) -> PlannedSession:
    return PlannedSession.objects.get(plan=plan, day=day(offset), status="planned")
