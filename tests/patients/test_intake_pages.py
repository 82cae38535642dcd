"""The patient's questionnaire pages: start, steps saved one by one, resume, bad input per
step, consent and submission, the plain summary, guardians, and who may see what."""

import datetime
import re

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from patients.models import Consent, Intake, Patient, Screen
from patients.questionnaire import STEP_NAMES, build_profile
from patients.services.intake import IntakeError, intake_start, intake_submit
from tests.factories import PatientFactory, UserFactory
from tests.patients.intake_support import BASE_ANSWERS, as_post, submitted_screen
from treatments.rules import RULES_BY_ID

pytestmark = pytest.mark.django_db


def step_url(intake, step):
    return reverse("patients:intake_step", args=[intake.pk, step])


@pytest.fixture
def intake(patient, patient_user):
    return intake_start(patient=patient, user=patient_user)


def fill_steps(client, intake, steps):
    for step in steps:
        response = client.post(step_url(intake, step), as_post(step, BASE_ANSWERS[step]))
        assert response.status_code == 302, response.content.decode()[:2000]
    return response


# --- Starting ---------------------------------------------------------------------------
def test_overview_offers_to_start(patient_client, patient):
    response = patient_client.get(reverse("patients:intake"))
    assert response.status_code == 200
    assert "Start the questionnaire" in response.content.decode()


def test_start_makes_one_draft_and_opens_the_first_step(patient_client, patient):
    url = reverse("patients:intake_start", args=[patient.pk])
    response = patient_client.post(url)
    intake = Intake.objects.get(patient=patient)
    assert response.url == step_url(intake, "about")
    assert patient_client.post(url).status_code == 302
    assert Intake.objects.filter(patient=patient).count() == 1


def test_start_is_not_done_by_a_get(patient_client, patient):
    response = patient_client.get(reverse("patients:intake_start", args=[patient.pk]))
    assert response.status_code == 405
    assert not Intake.objects.exists()


def test_about_step_shows_the_known_birth_date(patient_client, intake):
    response = patient_client.get(step_url(intake, "about"))
    assert 'value="1990-05-17"' in response.content.decode()


# --- Saving, resuming, editing ----------------------------------------------------------
def test_every_step_saves_and_leads_to_the_next_then_the_review(patient_client, intake):
    for index, step in enumerate(STEP_NAMES):
        response = patient_client.post(step_url(intake, step), as_post(step, BASE_ANSWERS[step]))
        following = STEP_NAMES[index + 1] if index + 1 < len(STEP_NAMES) else None
        expected = (
            step_url(intake, following)
            if following
            else reverse("patients:intake_review", args=[intake.pk])
        )
        assert response.url == expected
    intake.refresh_from_db()
    assert (
        build_profile(intake.answers, age=35).profile == build_profile(BASE_ANSWERS, age=35).profile
    )


def test_resume_after_leaving_half_way(patient_client, patient_user, patient, intake, client):
    fill_steps(patient_client, intake, ["about", "areas"])
    response = patient_client.post(
        step_url(intake, "history"),
        {**as_post("history", BASE_ANSWERS["history"]), "save_exit": "1"},
    )
    assert response.url == reverse("patients:intake")

    # Later, in a new session: the overview shows the progress, Continue opens step 4.
    patient_client.logout()
    client.force_login(patient_user)
    page = client.get(reverse("patients:intake")).content.decode()
    assert "3 of 12 steps answered" in page
    response = client.post(reverse("patients:intake_start", args=[patient.pk]))
    assert response.url == step_url(intake, "warning_signs")
    # The saved answers are filled in when going back.
    history = client.get(step_url(intake, "history")).content.decode()
    assert re.search(r'name="onset_age" value="14"', history)
    assert re.search(
        r'value="yes"[^>]*name="family_history"[^>]*checked|'
        r'name="family_history"[^>]*value="yes"[^>]*checked',
        history,
    )


def test_an_answer_can_be_changed_until_submitted(patient_client, intake):
    fill_steps(patient_client, intake, STEP_NAMES)
    patient_client.post(
        step_url(intake, "iud") + "?review=1", {"iud": "hormonal", "back_to_review": "1"}
    )
    intake.refresh_from_db()
    assert intake.answers["iud"] == {"iud": "hormonal"}


def test_back_to_review_returns_to_the_review(patient_client, intake):
    fill_steps(patient_client, intake, STEP_NAMES)
    response = patient_client.post(step_url(intake, "iud"), {"iud": "none", "back_to_review": "1"})
    assert response.url == reverse("patients:intake_review", args=[intake.pk])


def test_unknown_step_is_404(patient_client, intake):
    assert patient_client.get(step_url(intake, "favourite-colour")).status_code == 404


# --- Bad input, per step: a clear message, nothing saved --------------------------------
BAD_INPUT = [
    ("about", {"date_of_birth": "2999-01-01"}, "cannot be in the future"),
    ("about", {"date_of_birth": "last spring"}, "Please enter a real date"),
    ("about", {}, "Please enter the date of birth"),
    (
        "areas",
        {"palmar": "0", "plantar": "0", "axillary": "0", "craniofacial": "0", "generalized": "no"},
        "at least one place",
    ),
    (
        "areas",
        {"palmar": "7", "plantar": "0", "axillary": "0", "craniofacial": "0", "generalized": "no"},
        "Select a valid choice",
    ),
    ("history", {**as_post("history", BASE_ANSWERS["history"]), "onset_age": "80"}, "older than"),
    (
        "history",
        {**as_post("history", BASE_ANSWERS["history"]), "onset_age": "fourteen"},
        "Enter a whole number",
    ),
    (
        "history",
        {**as_post("history", BASE_ANSWERS["history"]), "duration_amount": "-3"},
        "greater than or equal to 0",
    ),
    (
        "history",
        {**as_post("history", BASE_ANSWERS["history"]), "duration_amount": "300"},
        "Please check the number of years",
    ),
    ("warning_signs", {"red_flags": ["plague"]}, "Select a valid choice"),
    ("pregnancy", {"breastfeeding": "no"}, "Please choose one answer"),
    ("implants", {"metal": "yes"}, "Please tick where the metal is"),
    ("implants", {"metal": "no", "metal_sites": ["knee"]}, "You answered No"),
    ("implants", {"metal": "no", "electronic": ["pacemaker", "unsure"]}, "but not both"),
    ("iud", {"iud": "titanium"}, "Select a valid choice"),
    ("conditions", {"heart": ["the flu"], "glaucoma": "no"}, "Select a valid choice"),
    ("conditions", {}, "Please choose one answer"),
    ("skin", {"palmar": "sunburnt"}, "Select a valid choice"),
    ("allergies", {"other_text": "x" * 1001}, "at most 1000 characters"),
    ("medications", {"medications": ["aspirin"]}, "Select a valid choice"),
    ("tried", {"iontophoresis_sessions": "5"}, "Please tell us how it went"),
    (
        "tried",
        {"iontophoresis_outcome": "failed", "iontophoresis_sessions": "2000"},
        "less than or equal to 1000",
    ),
    ("tried", {"iontophoresis_outcome": "magic"}, "Select a valid choice"),
]


@pytest.mark.parametrize(
    ("step", "data", "message"), BAD_INPUT, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_INPUT)]
)
def test_bad_input_on_a_step_shows_a_message_and_saves_nothing(
    patient_client, intake, patient, step, data, message
):
    fill_steps(patient_client, intake, ["about", "areas"])
    intake.refresh_from_db()
    before = intake.answers
    response = patient_client.post(step_url(intake, step), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page.replace("&#x27;", "'")
    assert "Please check the answers marked below" in page
    intake.refresh_from_db()
    assert intake.answers == before
    patient.refresh_from_db()
    assert patient.date_of_birth == datetime.date(1990, 5, 17)


def test_S4_extra_posted_fields_are_ignored(patient_client, intake, patient):
    data = {
        **as_post("areas", BASE_ANSWERS["areas"]),
        "status": "submitted",
        "patient": "999",
        "answers": "{}",
    }
    patient_client.post(step_url(intake, "areas"), data)
    intake.refresh_from_db()
    assert intake.status == Intake.Status.DRAFT
    assert intake.patient_id == patient.pk
    assert set(intake.answers["areas"]) == {
        "palmar",
        "plantar",
        "axillary",
        "craniofacial",
        "generalized",
    }


# --- Consent and submission -------------------------------------------------------------
def test_review_lists_missing_steps_and_holds_back_the_consent_form(patient_client, intake):
    fill_steps(patient_client, intake, ["about", "areas"])
    page = patient_client.get(reverse("patients:intake_review", args=[intake.pk])).content.decode()
    assert "Some steps still need answers" in page
    assert "When it started and how it goes" in page
    assert 'name="signed_name"' not in page


def test_submitting_with_steps_missing_is_refused(patient_client, intake):
    fill_steps(patient_client, intake, ["about", "areas"])
    response = patient_client.post(
        reverse("patients:intake_review", args=[intake.pk]),
        {"signed_name": "Ann Example", "agree": "on"},
    )
    assert response.status_code == 200
    assert "Some questions still need an answer" in response.content.decode()
    assert not Screen.objects.exists()
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"signed_name": "Ann Example"}, "Please tick the box"),
        ({"agree": "on"}, "Please type your full name"),
        ({"signed_name": " ", "agree": "on"}, "Please type your full name"),
        ({"signed_name": "A" * 201, "agree": "on"}, "at most 200 characters"),
    ],
)
def test_consent_needs_a_typed_name_and_a_tick(patient_client, intake, data, message):
    fill_steps(patient_client, intake, STEP_NAMES)
    response = patient_client.post(reverse("patients:intake_review", args=[intake.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Screen.objects.exists()
    intake.refresh_from_db()
    assert intake.status == Intake.Status.DRAFT


def test_submit_stores_consent_screen_and_locks_the_answers(patient_client, patient_user, intake):
    fill_steps(patient_client, intake, STEP_NAMES)
    review = patient_client.get(reverse("patients:intake_review", args=[intake.pk]))
    assert "intake-2026-01" in review.content.decode()
    response = patient_client.post(
        reverse("patients:intake_review", args=[intake.pk]),
        {"signed_name": "  Ann   Example ", "agree": "on"},
    )
    assert response.url == reverse("patients:intake_result", args=[intake.pk])
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    consent = Consent.objects.get()
    assert (consent.version, consent.signed_name, consent.signed_by) == (
        "intake-2026-01",
        "Ann Example",
        patient_user,
    )
    assert len(consent.text_sha256) == 64
    assert consent.signed_as_guardian is False
    screen = Screen.objects.get()
    assert screen.consent == consent
    assert screen.status == Screen.Status.SUBMITTED
    assert screen.profile["areas"] == {"palmar": 3}
    assert screen.result["areas"]["palmar"]["top"] == "iontophoresis"
    assert screen.rules_version == screen.result["rules_version"]

    # Locked: a step POST changes nothing and goes to the summary.
    response = patient_client.post(step_url(intake, "iud"), {"iud": "copper"})
    assert response.url == reverse("patients:intake_result", args=[intake.pk])
    intake.refresh_from_db()
    assert intake.answers["iud"] == {"iud": "none"}
    with pytest.raises(IntakeError):
        intake_submit(intake_id=intake.pk, user=patient_user, signed_name="Ann Example")
    assert Screen.objects.count() == 1


def test_age_is_taken_from_the_birth_date_on_the_screens_date(patient, patient_user):
    day_before = submitted_screen(patient, patient_user, today=datetime.date(2025, 5, 16))
    assert day_before.profile["age"] == 34
    assert day_before.screen_date == datetime.date(2025, 5, 16)
    Intake.objects.filter(pk=day_before.intake_id).update(status="draft")
    birthday = intake_submit(
        intake_id=day_before.intake_id,
        user=patient_user,
        signed_name="Ann",
        today=datetime.date(2025, 5, 17),
    )
    assert birthday.profile["age"] == 35


# --- The plain summary ------------------------------------------------------------------
RULE_ID = re.compile(r"\b(?:G|ION|AC|TGP|OAC|BTX|MWT|ETS|LSS)-[A-Z0-9]+\b")


def test_summary_is_plain_language_without_rule_ids_or_verdicts(
    patient_client, patient, patient_user
):
    screen = submitted_screen(patient, patient_user, implants={"electronic": ["pacemaker"]})
    page = patient_client.get(
        reverse("patients:intake_result", args=[screen.intake_id])
    ).content.decode()
    assert "A specialist will confirm which option suits you." in page
    assert "not used with a pacemaker" in page  # the engine's patient text for ION-01
    assert not RULE_ID.search(page)
    for word in (
        "excluded",
        "not_applicable",
        "caution",
        "review",
        RULES_BY_ID["ION-01"].clinician_text,
    ):
        assert word not in page
    assert "not a diagnosis or a final decision" in page


def test_summary_of_a_refer_screen_asks_to_see_a_physician_first(
    patient_client, patient, patient_user
):
    screen = submitted_screen(patient, patient_user, warning_signs={"red_flags": ["weight_loss"]})
    assert screen.refer
    page = patient_client.get(
        reverse("patients:intake_result", args=[screen.intake_id])
    ).content.decode()
    assert "Please see your physician first, because:" in page
    assert "a doctor would like to check a few things" in page
    assert not RULE_ID.search(page)


# --- Who may see what ------------------------------------------------------------------
def test_S3_another_patients_intake_is_404_and_unchanged(
    other_patient_client, patient, patient_user, intake
):
    fill_steps_as = submitted_screen(patient, patient_user)
    intake.refresh_from_db()
    before = (intake.status, intake.answers)
    for url in (
        step_url(intake, "iud"),
        reverse("patients:intake_review", args=[intake.pk]),
        reverse("patients:intake_result", args=[intake.pk]),
    ):
        assert other_patient_client.get(url).status_code == 404
        # The summary is read-only (405 to any POST, before anything is looked up).
        assert other_patient_client.post(url, {"iud": "copper"}).status_code in (404, 405)
    start = reverse("patients:intake_start", args=[patient.pk])
    assert other_patient_client.post(start).status_code == 404
    intake.refresh_from_db()
    assert (intake.status, intake.answers) == before
    assert Screen.objects.get() == fill_steps_as


def test_S3_a_draft_of_another_patient_cannot_be_edited(other_patient_client, intake):
    response = other_patient_client.post(step_url(intake, "about"), {"date_of_birth": "1980-01-01"})
    assert response.status_code == 404
    intake.refresh_from_db()
    assert intake.answers == {}


def test_overview_shows_only_my_own_people(other_patient_client, other_patient, patient, intake):
    page = other_patient_client.get(reverse("patients:intake")).content.decode()
    assert "Ann" not in page


@pytest.mark.parametrize("client_name", ["staff_client", "specialist_client"])
def test_staff_do_not_use_the_patient_questionnaire(request, client_name, intake):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("patients:intake")).status_code == 403
    assert client.get(step_url(intake, "about")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, intake):
    response = client.get(step_url(intake, "about"))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# --- A guardian answers for a dependant ------------------------------------------------
def test_a_guardian_fills_in_and_signs_for_a_dependant(client):
    parent = UserFactory(email="parent@example.com", first_name="Grace", role=Role.PATIENT)
    PatientFactory(user=parent, legal_name="Grace Parent")
    child = Patient.objects.create(
        guardian=parent, legal_name="Lily Parent", date_of_birth=datetime.date(2015, 3, 9)
    )
    client.force_login(parent)
    page = client.get(reverse("patients:intake")).content.decode()
    assert "About Lily" in page
    response = client.post(reverse("patients:intake_start", args=[child.pk]))
    intake = Intake.objects.get(patient=child)
    page = client.get(response.url).content.decode()
    assert "You are answering for" in page
    child_answers = dict(BASE_ANSWERS, about={"date_of_birth": "2015-03-09"})
    child_answers["history"] = {**BASE_ANSWERS["history"], "onset_age": 6}
    for step in STEP_NAMES:
        client.post(step_url(intake, step), as_post(step, child_answers[step]))
    client.post(
        reverse("patients:intake_review", args=[intake.pk]),
        {"signed_name": "Grace Parent", "agree": "on"},
    )
    screen = Screen.objects.get(patient=child)
    assert screen.consent.signed_as_guardian is True
    assert screen.consent.signed_by == parent
    assert 9 <= screen.profile["age"] <= 12
    assert "ION-17" in next(
        o["rules"]
        for o in screen.result["areas"]["palmar"]["options"]
        if o["treatment"] == "iontophoresis"
    )


def test_a_guardian_cannot_reach_someone_elses_child(client, patient_user):
    stranger_child = Patient.objects.create(
        guardian=UserFactory(role=Role.PATIENT), legal_name="Not Yours"
    )
    client.force_login(patient_user)
    response = client.post(reverse("patients:intake_start", args=[stranger_child.pk]))
    assert response.status_code == 404
    assert not Intake.objects.exists()
