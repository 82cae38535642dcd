import pytest
from django.urls import reverse


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
