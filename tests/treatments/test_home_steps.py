"""The patient's home once a treatment plan is active: the next steps lead to "My treatment",
today's session to log, a check-in when due and the progress chart, instead of booking and
the questionnaire (registered by treatments in ``patients.home_steps``)."""

import re

import pytest
import time_machine
from django.urls import reverse

from tests.treatments.tracking_support import evening, session_on
from treatments.models import Plan
from treatments.services.tracking import session_log_create

pytestmark = pytest.mark.django_db


def steps(client) -> str:
    html = client.get(reverse("patients:home")).content.decode()
    return re.search(r"Your next steps</h2>(.*?)</div>", html, re.S).group(1)


def test_before_a_plan_the_steps_lead_to_booking_and_the_questionnaire(patient_client, screened):
    text = steps(patient_client)
    assert reverse("booking:start") in text and reverse("patients:intake") in text
    assert "Log today" not in text


def test_with_a_plan_the_steps_lead_to_todays_session_and_my_treatment(
    patient_client, screened, home_plan
):
    session = session_on(home_plan, 0)  # Monday 2 March, 18:00
    with time_machine.travel(evening(0), tick=False):
        text = steps(patient_client)
        assert "Your treatment plan is ready." in text
        assert reverse("treatments:my_treatment") in text
        assert "Log today&#x27;s session" in text
        assert reverse("treatments:log_session", args=[session.pk]) in text
        assert reverse("treatments:progress", args=[screened.pk]) in text
        assert reverse("booking:start") not in text and "questionnaire" not in text
        session_log_create(
            user=screened.user,
            patient_id=screened.pk,
            planned_session_id=session.pk,
            as_planned=True,
        )
        text = steps(patient_client)
    assert "Today&#x27;s session is logged." in text
    assert reverse("treatments:log_session", args=[session.pk]) not in text
    assert "Your next session at home: Wednesday 4 March." in text


def test_unlogged_earlier_sessions_and_a_due_check_in_are_named(
    patient_client, screened, home_plan
):
    with time_machine.travel(evening(15), tick=False):  # Tuesday of week 3, no session today
        text = steps(patient_client)
    assert "3 earlier sessions are waiting to be logged." in text  # Mon 9 … Mon 16 in a week
    assert "Time for your two-weekly check-in." in text
    assert reverse("treatments:checkin", args=[screened.pk]) in text


def test_a_stopped_plan_brings_back_the_usual_steps(patient_client, screened, home_plan):
    Plan.objects.filter(pk=home_plan.pk).update(status=Plan.Status.STOPPED)
    text = steps(patient_client)
    assert reverse("booking:start") in text and "Your treatment plan is ready." not in text


@pytest.mark.parametrize("logged", [1, 8])
def test_the_home_query_count_does_not_grow_with_the_plan(
    patient_client, screened, home_plan, logged, django_assert_num_queries
):
    offsets = [0, 2, 4, 7, 9, 11, 14, 16][:logged]
    for offset in offsets:
        session_log_create(
            user=screened.user,
            patient_id=screened.pk,
            planned_session_id=session_on(home_plan, offset).pk,
            as_planned=True,
            now=evening(offset),
        )
    # session, user, permissions; the people I answer for (with their plan's next steps as
    # subqueries), their intakes, their screens, the upcoming appointments: the home's budget.
    with time_machine.travel(evening(17), tick=False), django_assert_num_queries(7):
        patient_client.get(reverse("patients:home"))
