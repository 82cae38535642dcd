"""S12: every staff/specialist read of a patient record and every change is recorded."""

import pghistory.models
import pytest
from django.test import RequestFactory

from clinic.accounts.models import User
from clinic.audit.history import TRACKED_MODELS
from clinic.audit.models import AccessEvent
from clinic.audit.services import access_record
from patients.models import Patient

pytestmark = pytest.mark.postgres  # the change history is recorded by PostgreSQL triggers


@pytest.mark.django_db
def test_a_staff_read_is_recorded_once_with_who_what_and_where(staff_user, patient_user):
    request = RequestFactory().get("/staff/patients/1/")
    request.user = staff_user
    request.request_id = "req-1"
    patient = Patient.objects.create(user=patient_user, legal_name="Ann Example")
    event = access_record(request=request, obj=patient, patient=patient)
    assert AccessEvent.objects.count() == 1
    assert event.actor == staff_user
    assert (event.model_label, event.object_pk) == ("patients.patient", str(patient.pk))
    assert event.patient_key == f"patients.patient:{patient.pk}"
    assert event.page == "/staff/patients/1/"


@pytest.mark.django_db
def test_a_patient_reading_their_own_record_is_not_an_access_event(patient_user):
    request = RequestFactory().get("/me/")
    request.user = patient_user
    patient = Patient.objects.create(user=patient_user, legal_name="Ann Example")
    assert access_record(request=request, obj=patient, patient=patient) is None
    assert AccessEvent.objects.count() == 0


@pytest.mark.django_db
def test_S12_a_bulk_update_still_leaves_history_with_before_and_after(patient_user):
    patient = Patient.objects.create(user=patient_user, legal_name="Ann Example")
    with pghistory.context(user=patient_user.pk, url="/test", request_id="r-42"):
        Patient.objects.filter(pk=patient.pk).update(phone="+14155550199")
    events = Patient.pgh_event_model.objects.filter(pgh_obj=patient).order_by("pgh_id")
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert events[0].phone == "" and events[1].phone == "+14155550199"
    assert events[1].pgh_context.metadata["request_id"] == "r-42"


@pytest.mark.django_db
def test_a_change_made_through_a_request_records_the_url_and_request_id(client):
    response = client.post(
        "/accounts/signup/",
        {
            "first_name": "Hana",
            "last_name": "Sato",
            "email": "hana@example.com",
            "password1": "a-long-enough-passphrase-7",
            "password2": "a-long-enough-passphrase-7",
        },
    )
    event = Patient.pgh_event_model.objects.get(pgh_label="insert", legal_name="Hana Sato")
    assert event.pgh_context.metadata["url"] == "/accounts/signup/"
    assert event.pgh_context.metadata["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_the_password_hash_never_enters_the_history(patient_user):
    with pghistory.context(user=patient_user.pk, url="/x"):
        User.objects.filter(pk=patient_user.pk).update(first_name="Annie")
    event = User.pgh_event_model.objects.filter(pgh_obj=patient_user, pgh_label="update").last()
    assert event.first_name == "Annie"
    assert event.pgh_context.metadata["user"] == patient_user.pk
    assert not hasattr(event, "password")


@pytest.mark.django_db
def test_deleting_patient_data_is_recorded():
    patient = Patient.objects.create(legal_name="Phone Only", phone="+14155550123")
    pk = patient.pk
    patient.delete()
    assert Patient.pgh_event_model.objects.filter(pgh_obj_id=pk, pgh_label="delete").exists()


def test_tracked_models_include_users_and_patients():
    assert {User, Patient} <= set(TRACKED_MODELS)
    assert pghistory.models.Events is not None
