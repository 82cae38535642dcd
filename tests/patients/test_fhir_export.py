"""Download my data: the patient's record as a FHIR R4B Bundle, validated with fhir.resources;
only one's own (or a dependant's) record; staff export on request, audited."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from clinic.audit.models import AccessEvent
from patients.fhir import exported_resource_types, patient_bundle
from patients.models import AccountClosure
from tests.patients.record_support import CANARIES, add_dependant, build_full_record

pytestmark = pytest.mark.django_db

# The value sets of the coded statuses we write (fhir.resources checks shape, not codes).
STATUS_CODES = {
    "Appointment": {"booked", "cancelled", "fulfilled", "noshow"},
    "QuestionnaireResponse": {"completed", "in-progress"},
    "CarePlan": {"active", "revoked", "completed"},
    "Observation": {"final"},
}
ACTIVITY_STATUS = {"in-progress", "stopped", "not-started", "scheduled", "completed"}


@pytest.fixture
def record():
    return build_full_record()


def download(client, patient):
    return client.get(reverse("patients:my_data_file", args=[patient.pk]))


def parse(response) -> dict:
    return json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )


def resources(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def test_every_resource_and_the_bundle_validate_as_fhir_r4b(record):
    bundle = patient_bundle(patient=record.patient)
    parsed = Bundle.model_validate(bundle)  # the whole Bundle, every resource inside it
    assert parsed.type == "collection"
    seen = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        kind = resource["resourceType"]
        model = get_fhir_model_class(kind)
        # Each resource alone, from its JSON text, as an importing system would read it.
        model.model_validate_json(json.dumps(resource))
        assert entry["fullUrl"].endswith(f"/fhir/{kind}/{resource['id']}")
        if kind in STATUS_CODES:
            assert resource["status"] in STATUS_CODES[kind], resource["status"]
        seen.add(kind)
    assert (
        seen
        == exported_resource_types()
        == {
            "Patient",
            "Appointment",
            "QuestionnaireResponse",
            "CarePlan",
            "Observation",
        }
    )
    # Every reference points at a resource in the Bundle, or is a display only.
    ids = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    text = json.dumps(bundle)
    for ref in [r for r in _references(bundle)]:
        assert ref in ids, f"{ref} is not in the bundle"
    assert "password" not in text and "token" not in text


def _references(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "reference":
                yield v
            else:
                yield from _references(v)
    elif isinstance(value, list):
        for v in value:
            yield from _references(v)


def test_the_patient_resource_carries_the_profile(record):
    (patient,) = resources(patient_bundle(patient=record.patient), "Patient")
    assert patient["id"] == str(record.patient.pk)
    assert patient["active"] is True
    assert {"use": "official", "text": CANARIES["name"]} in patient["name"]
    assert {"use": "usual", "text": "Zee"} in patient["name"]
    assert patient["birthDate"] == "1990-05-17"
    assert {"system": "phone", "value": CANARIES["phone"], "use": "mobile"} in patient["telecom"]
    assert {"system": "email", "value": CANARIES["email"]} in patient["telecom"]


def test_each_appointment_with_its_fhir_status(record):
    appts = resources(patient_bundle(patient=record.patient), "Appointment")
    by_id = {a["id"]: a for a in appts}
    assert len(appts) == 4
    statuses = [by_id[str(a.pk)]["status"] for a in record.appointments]
    assert statuses == ["booked", "cancelled", "fulfilled", "noshow"]
    cancelled = by_id[str(record.appointments[1].pk)]
    assert cancelled["cancelationReason"] == {"text": "Could not come"}
    first = by_id[str(record.appointments[0].pk)]
    assert first["identifier"][0]["value"] == f"urn:uuid:{record.appointments[0].uid}"
    assert first["participant"][0]["actor"]["reference"] == f"Patient/{record.patient.pk}"
    assert first["participant"][1]["actor"] == {"display": "Dr. Test"}
    assert first["minutesDuration"] == 30


def test_the_questionnaire_answers_item_by_item_in_plain_words(record):
    (qr,) = resources(patient_bundle(patient=record.patient), "QuestionnaireResponse")
    assert qr["status"] == "completed"
    groups = {g["linkId"]: g for g in qr["item"]}
    areas = {i["linkId"]: i for i in groups["areas"]["item"]}
    assert areas["areas.palmar"]["text"] == "Hands (palms)"
    # HDSS 3, in the words of the scale, never a bare number.
    assert areas["areas.palmar"]["answer"][0]["valueString"].startswith("My sweating is barely")
    conditions = json.dumps(groups["conditions"])
    assert CANARIES["conditions"] in conditions
    consent = next(g for link, g in groups.items() if link.startswith("consent."))
    answers = {i["linkId"]: i["answer"][0] for i in consent["item"]}
    assert answers["consent.signed_name"] == {"valueString": CANARIES["name"]}
    assert answers["consent.signed_as_guardian"] == {"valueBoolean": False}


def test_each_plan_version_is_a_care_plan_with_its_activities(record):
    plans = resources(patient_bundle(patient=record.patient), "CarePlan")
    assert [p["title"] for p in plans] == ["Treatment plan, version 1", "Treatment plan, version 2"]
    v1, v2 = plans
    assert (v1["status"], v2["status"]) == ("revoked", "active")
    assert v2["replaces"] == [{"reference": f"CarePlan/{v1['id']}"}]
    assert len(v1["activity"]) == 1 and len(v2["activity"]) == 2
    ion = v2["activity"][0]["detail"]
    assert ion["status"] in ACTIVITY_STATUS
    assert ion["code"]["text"].startswith("Iontophoresis")
    assert "15 mA" in ion["description"]
    repeat = ion["scheduledTiming"]["repeat"]
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (3, 1, "wk")
    item = record.plan.current_version.items.get(treatment="iontophoresis")
    days = [("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in sorted(item.weekdays)]
    assert repeat["duration"] == 20 and repeat["dayOfWeek"] == days
    assert any(CANARIES["plan_reason"] in n["text"] for n in v2["note"])


def test_hostile_text_round_trips_as_data(record):
    record.patient.legal_name = '<script>alert("x")</script> Ünïcødé 🌵'
    record.patient.save()
    bundle = patient_bundle(patient=record.patient)
    Bundle.model_validate(bundle)
    (patient,) = resources(bundle, "Patient")
    assert patient["name"][0]["text"] == '<script>alert("x")</script> Ünïcødé 🌵'


def test_a_patient_with_nothing_yet_exports_a_valid_bundle(patient):
    bundle = patient_bundle(patient=patient)
    Bundle.model_validate(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]


def test_a_dependant_names_the_guardian_and_a_closed_record_is_inactive(patient):
    child = add_dependant(patient.user)
    AccountClosure.objects.create(
        patient=child,
        requested_by="guardian",
        requested_at="2026-01-01T00:00Z",
        retain_until="2033-01-01",
    )
    (resource,) = resources(patient_bundle(patient=child), "Patient")
    Bundle.model_validate(patient_bundle(patient=child))
    assert resource["active"] is False
    assert resource["contact"][0]["relationship"][0]["coding"][0]["code"] == "GUARD"
    assert resource["contact"][0]["telecom"] == [{"system": "email", "value": patient.user.email}]


# --- The download ---------------------------------------------------------------------------
def test_the_patient_downloads_their_own_record_as_an_attachment(client, record):
    client.force_login(record.user)
    response = download(client, record.patient)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="health-record-')
    assert CANARIES["name"].split()[0] not in disposition  # no name in the file name (S14)
    assert "no-store" in response["Cache-Control"]
    bundle = parse(response)
    Bundle.model_validate(bundle)
    assert resources(bundle, "Patient")[0]["id"] == str(record.patient.pk)
    # The patient reading their own record is not an access event.
    assert not AccessEvent.objects.filter(page__contains="record.fhir.json").exists()


def test_S3_another_patients_record_is_a_404(other_patient_client, record):
    assert download(other_patient_client, record.patient).status_code == 404
    assert (
        other_patient_client.get(reverse("patients:my_data_file", args=[999999])).status_code == 404
    )


def test_a_guardian_downloads_a_dependants_record(patient_client, patient):
    child = add_dependant(patient.user, name="Mia Example")
    response = download(patient_client, child)
    assert response.status_code == 200
    assert resources(parse(response), "Patient")[0]["name"][0]["text"] == "Mia Example"


def test_the_data_page_lists_own_record_and_dependants(patient_client, patient):
    child = add_dependant(patient.user, name="Mia Example")
    response = patient_client.get(reverse("patients:my_data"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("patients:my_data_file", args=[patient.pk]) in body
    assert reverse("patients:my_data_file", args=[child.pk]) in body
    assert reverse("patients:close_account") in body


def test_staff_are_refused_the_patient_download_and_anonymous_users_sent_to_login(
    staff_client, client, record
):
    assert download(staff_client, record.patient).status_code == 403
    response = download(Client(), record.patient)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_download_does_a_fixed_number_of_queries(client, record, django_assert_num_queries):
    from tests.patients.record_support import make_appointment

    client.force_login(record.user)
    download(client, record.patient)  # warm up (session, permissions)
    # session, user, the user's permissions (one query, patient_required), the patient (with
    # user, guardian, closure), appointments, intakes, their consents, plan versions, items,
    # HDSS check-ins, session logs
    with django_assert_num_queries(11) as one:
        download(client, record.patient)
    appt = record.appointments[0]
    for n in range(20):
        make_appointment(
            record.patient,
            appt.specialist,
            appt.consultation_type,
            appt.start + datetime.timedelta(days=n + 1, hours=1),
        )
    with django_assert_num_queries(len(one.captured_queries)):
        download(client, record.patient)


# --- Staff export on request ----------------------------------------------------------------
def test_staff_export_is_audited(staff_client, staff_user, record):
    url = reverse("records:export", args=[record.patient.pk])
    before = AccessEvent.objects.count()
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    Bundle.model_validate(parse(response))
    event = AccessEvent.objects.order_by("-pk").first()
    assert AccessEvent.objects.count() == before + 1
    assert (event.actor, event.patient_key, event.view_name) == (
        staff_user,
        f"patients.patient:{record.patient.pk}",
        "records:export",
    )


def test_specialists_may_export_and_the_button_is_on_the_staff_pages(
    specialist_client, staff_client, record
):
    url = reverse("records:export", args=[record.patient.pk])
    assert specialist_client.get(url).status_code == 200
    card = staff_client.get(reverse("calendar:patient", args=[record.patient.pk]))
    assert url in card.content.decode()
    chart = specialist_client.get(reverse("treatments:chart", args=[record.patient.pk]))
    assert url in chart.content.decode()


def test_patients_and_privacy_officers_cannot_use_the_staff_export(
    patient_client, privacy_officer_client, record
):
    url = reverse("records:export", args=[record.patient.pk])
    assert patient_client.get(url).status_code == 403
    assert privacy_officer_client.get(url).status_code == 403
    assert not AccessEvent.objects.filter(view_name="records:export").exists()


def test_staff_export_of_a_missing_patient_is_a_404(staff_client):
    assert staff_client.get(reverse("records:export", args=[999999])).status_code == 404


def test_hdss_check_ins_are_observations_one_per_area(record):
    observations = resources(patient_bundle(patient=record.patient), "Observation")
    hdss = [o for o in observations if o["id"].startswith("hdss-")]
    # Two check-ins (the patient's, a consultation's) × the treated areas.
    assert len(hdss) == 2 * len({o["bodySite"]["text"] for o in hdss}) >= 2
    mine = [o for o in hdss if o["method"]["text"] == "Patient check-in"]
    first = mine[0]
    assert first["category"][0]["coding"][0]["code"] == "survey"
    assert first["valueInteger"] == 3
    assert first["note"][0]["text"].startswith("My sweating is barely tolerable")
    assert first["performer"] == [
        {"reference": f"Patient/{record.patient.pk}", "display": CANARIES["name"]}
    ]
    assert first["component"][0]["valueInteger"] == 4  # the dryness rating
    at_visit = [o for o in hdss if o["method"]["text"] == "At a consultation"]
    assert {o["valueInteger"] for o in at_visit} == {2}
    assert "reference" not in at_visit[0]["performer"][0]  # the specialist, by name


def test_logged_home_sessions_are_observations(record):
    observations = resources(patient_bundle(patient=record.patient), "Observation")
    (session,) = [o for o in observations if o["id"].startswith("session-")]
    assert session["valueCodeableConcept"] == {"text": "Done"}
    parts = {c["code"]["text"]: c for c in session["component"]}
    assert parts["Session length"]["valueQuantity"]["value"] == 20
    assert parts["Current reached"]["valueQuantity"] == {
        "value": 12.5,
        "unit": "mA",
        "system": "http://unitsofmeasure.org",
        "code": "mA",
    }
    assert parts["Side effects"]["valueString"] == "Tingling"
    assert session["note"] == [{"text": CANARIES["session"]}]
