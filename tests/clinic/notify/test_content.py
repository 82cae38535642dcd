"""The content helper other apps reuse (S13): it passes a clean kind and catches a leak."""

import datetime as dt
from dataclasses import replace

import pytest

from clinic.notify import reminders as kinds
from clinic.notify.registry import Rendered
from tests.clinic.notify.conftest import make_visitor
from tests.support.reminder_kinds import TEST_VISIT_KIND, render
from tests.support.reminders import CANARIES, assert_reminder_free_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def canary_visitor(visit_kind):
    """A target whose every field but the first name is a canary."""
    user = make_visitor(visit_in=dt.timedelta(days=1), channels={"email", "sms"})
    user.email = "canary-dob-1987-02-03@example.com"
    user.save()
    visit_kind.PREFS[user.pk].update(
        phone="+14155550123", diagnosis=CANARIES[0], treatment=CANARIES[1], notes=CANARIES[3]
    )
    return user


def test_S13_the_test_kind_carries_the_minimum_and_no_canary(canary_visitor):
    checked = assert_reminder_free_of(kind=TEST_VISIT_KIND.name, target=canary_visitor)
    assert checked["email subject"] == "Your visit is coming up"
    assert "Ann" in checked["email part 1 (text/plain)"]
    assert "/reminders/manage/" in checked["sms text"]
    assert any(place.startswith("email header Message-ID") for place in checked)


def test_a_leaky_renderer_is_caught_with_the_place_named(canary_visitor, visit_kind):
    def leaky(user, ctx):
        good = render(user, ctx)
        notes = visit_kind.PREFS[user.pk]["notes"]
        return Rendered(subject=good.subject, text=good.text, html=good.html + f"<p>{notes}</p>")

    kinds.register_kind(replace(TEST_VISIT_KIND, name="test.leaky", render=leaky))
    try:
        with pytest.raises(AssertionError, match=r"CANARY-NOTES.*text/html"):
            assert_reminder_free_of(kind="test.leaky", target=canary_visitor)
    finally:
        kinds.unregister_kind("test.leaky")


def test_a_subject_naming_the_treatment_is_caught(canary_visitor, visit_kind):
    def leaky(user, ctx):
        good = render(user, ctx)
        return Rendered(subject=f"Your {CANARIES[1]} session", text=good.text)

    kinds.register_kind(replace(TEST_VISIT_KIND, name="test.leaky", render=leaky))
    try:
        with pytest.raises(AssertionError, match="subject"):
            assert_reminder_free_of(kind="test.leaky", target=canary_visitor)
    finally:
        kinds.unregister_kind("test.leaky")
