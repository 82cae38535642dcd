"""Eligibility screens: staff corrections make a new screen, reviews, "more information
requested" (reopen + email through the outbox, no clinical detail), resubmission."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic.notify.models import Message
from patients.models import Intake, Screen, ScreenCorrection
from patients.services.intake import intake_submit
from patients.services.screens import ScreenError, screen_correct, screen_review
from tests.patients.intake_support import submitted_screen

pytestmark = pytest.mark.django_db


def options(screen, area):
    return {o["treatment"]: o for o in screen.result["areas"][area]["options"]}


@pytest.fixture
def unsure_iud_screen(patient, patient_user):
    """Plantar HDSS 3, "has an IUD, not sure which": copper assumed (ION-07), flagged."""
    return submitted_screen(
        patient,
        patient_user,
        areas={"palmar": 0, "plantar": 3},
        skin={"plantar": "intact"},
        iud={"iud": "unsure"},
    )


# --- Making a screen ----------------------------------------------------------------------
def test_a_screen_keeps_profile_flags_result_and_rules_version(unsure_iud_screen):
    s = unsure_iud_screen
    assert s.profile["iud"] == "copper"
    assert s.flags == ["iud_type_unsure"]
    assert "flags" not in s.profile
    assert options(s, "plantar")["iontophoresis"]["status"] == "excluded"
    assert s.rules_version == s.result["rules_version"]
    assert s.needs_attention is True
    assert s.refer is False


def test_only_one_current_screen_per_intake(unsure_iud_screen):
    with pytest.raises(IntegrityError), transaction.atomic():
        Screen.objects.create(
            patient=unsure_iud_screen.patient,
            intake=unsure_iud_screen.intake,
            screen_date=unsure_iud_screen.screen_date,
            profile={},
            result={},
            rules_version="x",
            created_by=unsure_iud_screen.created_by,
        )


def test_a_reviewed_screen_needs_an_outcome(unsure_iud_screen):
    with pytest.raises(IntegrityError), transaction.atomic():
        Screen.objects.filter(pk=unsure_iud_screen.pk).update(status="reviewed")


# --- Corrections --------------------------------------------------------------------------
def test_a_correction_creates_a_new_screen_and_supersedes_the_old(unsure_iud_screen, staff_user):
    old = unsure_iud_screen
    answers_before = Intake.objects.get(pk=old.intake_id).answers
    new = screen_correct(
        screen_id=old.pk,
        field="iud",
        value="hormonal",
        reason="Confirmed by phone: Mirena.",
        user=staff_user,
    )
    old.refresh_from_db()
    assert old.status == Screen.Status.SUPERSEDED
    assert new.supersedes == old
    assert new.status == Screen.Status.SUBMITTED
    assert new.source == Screen.Source.CORRECTION
    assert new.created_by == staff_user
    assert new.profile == {**old.profile, "iud": "hormonal"}
    # The engine ran again on the amended profile: ION-07 gone, ION-07b (caution) instead.
    ion = options(new, "plantar")["iontophoresis"]
    assert ion["status"] == "caution"
    assert "ION-07b" in ion["rules"]
    # The "not sure" flag about the IUD is settled; the old screen keeps its own.
    assert new.flags == []
    assert new.needs_attention is False
    assert old.flags == ["iud_type_unsure"]
    correction = ScreenCorrection.objects.get()
    assert (correction.screen, correction.field, correction.old_value, correction.new_value) == (
        new,
        "iud",
        "copper",
        "hormonal",
    )
    assert correction.corrected_by == staff_user
    assert correction.reason == "Confirmed by phone: Mirena."
    # The patient's own answers are untouched.
    assert Intake.objects.get(pk=old.intake_id).answers == answers_before


def test_a_reviewed_screen_can_still_be_corrected(unsure_iud_screen, staff_user):
    screen_review(
        screen_id=unsure_iud_screen.pk,
        outcome="cleared",
        note="",
        message_to_patient="",
        user=staff_user,
    )
    new = screen_correct(
        screen_id=unsure_iud_screen.pk, field="age", value=41, reason="ID checked", user=staff_user
    )
    unsure_iud_screen.refresh_from_db()
    assert unsure_iud_screen.status == Screen.Status.SUPERSEDED
    assert unsure_iud_screen.outcome == "cleared"  # its review stays in the history
    assert new.status == Screen.Status.SUBMITTED


@pytest.mark.parametrize(
    ("field", "value", "reason", "message"),
    [
        ("age", 200, "typo", "age"),
        ("iud", "titanium", "typo", "iud"),
        ("conditions", ["flu"], "typo", "conditions"),
        ("iud", "copper", "typo", "already the answer"),
        ("iud", "hormonal", "   ", "say why"),
        ("favourite_colour", "blue", "typo", "no answer called"),
    ],
)
def test_a_bad_correction_is_refused_and_changes_nothing(
    unsure_iud_screen, staff_user, field, value, reason, message
):
    with pytest.raises(ScreenError, match=message):
        screen_correct(
            screen_id=unsure_iud_screen.pk, field=field, value=value, reason=reason, user=staff_user
        )
    assert Screen.objects.count() == 1
    assert not ScreenCorrection.objects.exists()
    unsure_iud_screen.refresh_from_db()
    assert unsure_iud_screen.status == Screen.Status.SUBMITTED


def test_a_superseded_screen_cannot_be_corrected_again(unsure_iud_screen, staff_user):
    screen_correct(
        screen_id=unsure_iud_screen.pk, field="iud", value="none", reason="r", user=staff_user
    )
    with pytest.raises(ScreenError, match="newer screen"):
        screen_correct(
            screen_id=unsure_iud_screen.pk,
            field="iud",
            value="hormonal",
            reason="r",
            user=staff_user,
        )


# --- Reviews ------------------------------------------------------------------------------
def test_review_records_outcome_note_who_and_when(unsure_iud_screen, staff_user):
    screen_review(
        screen_id=unsure_iud_screen.pk,
        outcome="workup",
        note="GP first",
        message_to_patient="",
        user=staff_user,
    )
    unsure_iud_screen.refresh_from_db()
    assert unsure_iud_screen.status == Screen.Status.REVIEWED
    assert unsure_iud_screen.outcome == Screen.Outcome.WORKUP
    assert unsure_iud_screen.review_note == "GP first"
    assert unsure_iud_screen.reviewed_by == staff_user
    assert unsure_iud_screen.reviewed_at is not None
    with pytest.raises(ScreenError, match="not waiting for review"):
        screen_review(
            screen_id=unsure_iud_screen.pk,
            outcome="cleared",
            note="",
            message_to_patient="",
            user=staff_user,
        )


def test_info_requested_needs_a_message_for_the_patient(unsure_iud_screen, staff_user):
    with pytest.raises(ScreenError, match="patient to check"):
        screen_review(
            screen_id=unsure_iud_screen.pk,
            outcome="info_requested",
            note="",
            message_to_patient="  ",
            user=staff_user,
        )
    unsure_iud_screen.refresh_from_db()
    assert unsure_iud_screen.status == Screen.Status.SUBMITTED
    assert not Message.objects.exists()


CLINICAL_WORDS = ("IUD", "copper", "iontophoresis", "HDSS", "plantar", "feet", "Mirena", "sweat")


def test_info_requested_reopens_the_intake_emails_without_clinical_detail_and_resubmission_supersedes(  # noqa: E501
    staff_client,
    patient_client,
    patient_user,
    unsure_iud_screen,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    old = unsure_iud_screen
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("screens:review", args=[old.pk]),
            {
                "outcome": "info_requested",
                "note": "Copper or hormonal IUD? Plantar iontophoresis depends on it.",
                "message_to_patient": "Which kind of IUD (coil) do you have? Copper or Mirena?",
            },
        )
    assert response.status_code == 302
    old.refresh_from_db()
    assert (old.status, old.outcome) == ("reviewed", "info_requested")
    intake = Intake.objects.get(pk=old.intake_id)
    assert intake.status == Intake.Status.DRAFT
    assert intake.staff_message.startswith("Which kind of IUD")

    # One email, to the patient, through the outbox and a real SMTP server.
    message = Message.objects.get()
    assert (message.purpose, message.recipient) == ("intake_info_requested", patient_user.email)
    [mail] = smtp_server.wait_for(1, timeout=10)
    text = smtp_server.text_of(mail)
    assert "/me/intake/" in text
    assert "Please check your questionnaire" in mail["Subject"]
    for word in CLINICAL_WORDS:
        assert word.lower() not in (text + mail["Subject"]).lower(), word

    # The patient sees the message after logging in and changes the answer.
    page = patient_client.get(reverse("patients:intake")).content.decode()
    assert "Which kind of IUD (coil) do you have?" in page
    assert "Update my answers" in page
    patient_client.post(
        reverse("patients:intake_step", args=[intake.pk, "iud"]), {"iud": "hormonal"}
    )
    response = patient_client.post(
        reverse("patients:intake_review", args=[intake.pk]),
        {"signed_name": "Ann Example", "agree": "on"},
    )
    assert response.status_code == 302
    new = Screen.objects.exclude(pk=old.pk).get()
    old.refresh_from_db()
    assert old.status == Screen.Status.SUPERSEDED
    assert old.outcome == Screen.Outcome.INFO_REQUESTED  # kept for the history
    assert new.supersedes == old
    assert new.source == Screen.Source.PATIENT
    assert new.profile["iud"] == "hormonal"
    assert new.flags == []
    assert new.consent != old.consent  # signed again


def test_info_requested_for_a_dependant_emails_the_guardian(
    staff_user, django_capture_on_commit_callbacks
):
    from clinic.accounts.roles import Role
    from patients.models import Patient
    from tests.factories import UserFactory

    parent = UserFactory(email="parent@example.com", role=Role.PATIENT)
    child = Patient.objects.create(guardian=parent, legal_name="Kid", date_of_birth="2014-01-01")
    screen = submitted_screen(
        child, parent, about={"date_of_birth": "2014-01-01"}, history={"onset_age": 5}
    )
    with django_capture_on_commit_callbacks(execute=True):
        screen_review(
            screen_id=screen.pk,
            outcome="info_requested",
            note="",
            message_to_patient="Please tell us more.",
            user=staff_user,
        )
    assert Message.objects.get().recipient == "parent@example.com"


def test_resubmitting_without_changes_still_makes_a_new_screen(
    patient_user, unsure_iud_screen, staff_user
):
    screen_review(
        screen_id=unsure_iud_screen.pk,
        outcome="info_requested",
        note="",
        message_to_patient="Please check your IUD answer.",
        user=staff_user,
    )
    new = intake_submit(intake_id=unsure_iud_screen.intake_id, user=patient_user, signed_name="Ann")
    assert new.supersedes_id == unsure_iud_screen.pk
    assert Screen.objects.filter(intake_id=new.intake_id).exclude(status="superseded").get() == new
