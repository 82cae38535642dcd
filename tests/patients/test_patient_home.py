import datetime as dt

import pytest
from django.urls import reverse

from patients.models import Appointment
from tests.conftest import local_time
from tests.factories import PatientFactory

BASE = 3  # session, user, the user's permissions
BUDGET_PATIENT_HOME = 4  # QUALITY.md P: beyond session and user


@pytest.mark.django_db
def test_home_leads_to_the_questionnaire_and_my_treatment(patient_client, patient):
    body = patient_client.get(reverse("patients:home")).content.decode()
    assert reverse("patients:intake") in body
    assert reverse("treatments:my_treatment") in body
    assert reverse("booking:start") in body


@pytest.mark.django_db
@pytest.mark.parametrize("dependants", [0, 5])
def test_patient_home_query_count_is_fixed(
    patient_client, patient, dependants, django_assert_num_queries
):
    from tests.factories import PatientFactory

    for i in range(dependants):
        PatientFactory(user=None, guardian=patient.user, legal_name=f"Child {i}", phone="")
    # session, user, the user's permissions (one query: roles and permission checks);
    # the page (budget 4): the people I answer for (with their plan's next steps, as
    # subqueries: home_steps), their intakes, their current screens, the upcoming appointments.
    with django_assert_num_queries(7):
        patient_client.get(reverse("patients:home"))


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_patient_home_query_count_is_the_same_at_1_and_50_rows(
    patient_client, booking_world, frozen_now, django_assert_num_queries, rows
):
    """``rows`` dependants and ``rows`` upcoming appointments (own and the children's)."""
    patient = booking_world.patient
    children = [
        PatientFactory(
            user=None,
            guardian=patient.user,
            legal_name=f"Child {i}",
            phone="",
            date_of_birth=dt.date(2018, 1, 1),
        )
        for i in range(rows)
    ]
    for n in range(rows):
        who = patient if n % 2 == 0 else children[n % len(children)]
        start = local_time(dt.date(2026, 3, 3), 9) + dt.timedelta(days=n)
        Appointment.objects.create(
            patient=who,
            specialist=booking_world.specialist,
            consultation_type=booking_world.ctype,
            start=start,
            end=start + dt.timedelta(minutes=30),
            blocked_until=start + dt.timedelta(minutes=40),
        )
    patient_client.get(reverse("patients:home"))  # warm caches
    # BASE, then the page (budget 4): the people I answer for, their intakes, their current
    # screens, the upcoming appointments.
    with django_assert_num_queries(BASE + BUDGET_PATIENT_HOME):
        response = patient_client.get(reverse("patients:home"))
    assert response.status_code == 200
    assert response.content.decode().count('href="/me/appointments/') >= 1
