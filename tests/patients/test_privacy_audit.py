"""The privacy officer's per-patient audit page and export (S12), PostgreSQL history."""

import csv
import io

import pytest
from django.urls import reverse

from clinic.audit.history import TRACKED_MODELS
from clinic.audit.models import AccessEvent
from clinic.audit.selectors import patient_path
from patients.models import Patient

pytestmark = pytest.mark.postgres


def test_every_tracked_model_can_be_placed_under_a_patient():
    unplaced = [m.__name__ for m in TRACKED_MODELS if patient_path(m, Patient) is None]
    assert unplaced == []


@pytest.mark.django_db
def test_privacy_officer_sees_reads_and_changes_of_one_patient(
    privacy_officer_client, staff_client, patient
):
    # A staff read (through a real page that logs it), then a change.
    AccessEvent.objects.create(
        actor=None,
        actor_label="staff@example.com",
        model_label="patients.patient",
        object_pk=str(patient.pk),
        patient_key=f"patients.patient:{patient.pk}",
        page="/x",
    )
    Patient.objects.filter(pk=patient.pk).update(phone="+14155550199")
    response = privacy_officer_client.get(reverse("privacy:patient", args=[patient.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "staff@example.com" in body
    assert "+14155550199" in body  # the after value of the change
    assert "no-store" in response["Cache-Control"]
    # Opening the audit page is itself a read on record.
    assert AccessEvent.objects.filter(view_name="privacy:patient").count() == 1


@pytest.mark.django_db
def test_export_is_a_csv_of_reads_and_changes(privacy_officer_client, patient):
    Patient.objects.filter(pk=patient.pk).update(preferred_name="Annie")
    response = privacy_officer_client.get(reverse("privacy:export", args=[patient.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["when (UTC)", "kind", "who"]
    assert any(r[1] == "change" and "preferred_name" in r[6] for r in rows[1:])


@pytest.mark.django_db
def test_search_finds_by_name(privacy_officer_client, patient, other_patient):
    response = privacy_officer_client.get(reverse("privacy:search"), {"q": "Ann Ex"})
    assert patient.legal_name in response.content.decode()
    assert other_patient.legal_name not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("client_fixture", ["staff_client", "specialist_client", "patient_client"])
def test_only_the_privacy_officer_reaches_the_audit(request, client_fixture, patient):
    client = request.getfixturevalue(client_fixture)
    for url in (
        reverse("privacy:search"),
        reverse("privacy:patient", args=[patient.pk]),
        reverse("privacy:export", args=[patient.pk]),
    ):
        assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_privacy_officer_starts_on_the_audit_search(privacy_officer_client):
    response = privacy_officer_client.get("/home/")
    assert response.url == reverse("privacy:search")


@pytest.mark.django_db
def test_unknown_patient_is_a_404(privacy_officer_client):
    assert privacy_officer_client.get(reverse("privacy:patient", args=[999999])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 30])
def test_search_page_query_count_is_fixed(privacy_officer_client, django_assert_num_queries, n):
    from tests.factories import PatientFactory

    for _ in range(n):
        PatientFactory()
    # session, user, the user's permissions (roles for 2FA and the check), COUNT, the page.
    with django_assert_num_queries(5):
        privacy_officer_client.get(reverse("privacy:search"))
