import datetime as dt

import pytest
from django.utils import timezone

from clinic.accounts.models import User
from tests.support import reminder_kinds


@pytest.fixture
def visit_kind():
    """The test-only reminder kind (target: a User; visit at last_login; version last_name)."""
    reminder_kinds.register()
    yield reminder_kinds
    reminder_kinds.unregister()


_counter = iter(range(1, 10**9))


def make_visitor(*, visit_in: dt.timedelta | None = None, visit_at=None, version=1, **prefs):
    """A User whose test "visit" is ``visit_in`` from now (its reminder is 1 h earlier)."""
    n = next(_counter)
    user = User.objects.create(
        email=f"visitor{n}@example.com",
        first_name="Ann",
        last_name=str(version),
        last_login=visit_at or timezone.now() + (visit_in or dt.timedelta(days=1)),
    )
    if prefs:
        reminder_kinds.PREFS[user.pk] = prefs
    return user


@pytest.fixture
def visitor_factory(db, visit_kind):
    return make_visitor
