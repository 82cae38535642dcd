"""Staff screen pages: the review queue (order, filters, paging, query count), one screen
(answers beside the engine result, flags, history), corrections and reviews through the
pages, the access log, and who may do what."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.audit.models import AccessEvent
from patients.models import Screen, ScreenCorrection
from patients.services.screens import screen_correct, screen_review
from tests.factories import PatientFactory, UserFactory
from tests.patients.intake_support import submitted_screen
from treatments.rules import RULES_BY_ID

pytestmark = pytest.mark.django_db

QUEUE = "/staff/screens/"


def make_screen(name="Pat", age_days=0, **steps):
    user = UserFactory(role="patient")
    patient = PatientFactory(user=user, legal_name=name, date_of_birth=datetime.date(1990, 5, 17))
    screen = submitted_screen(patient, user, **steps)
    if age_days:
        Screen.objects.filter(pk=screen.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=age_days)
        )
        screen.refresh_from_db()
    return screen


def queue_names(response):
    return [row["screen"].patient.legal_name for row in response.context["rows"]]


# --- The queue ------------------------------------------------------------------------------
def test_queue_puts_refer_first_then_flags_then_oldest(staff_client):
    make_screen("Plain old", age_days=5)
    make_screen("Plain new", age_days=1)
    make_screen("Unsure", age_days=2, iud={"iud": "unsure"})
    make_screen("Refer new", age_days=0, warning_signs={"red_flags": ["fever"]})
    make_screen("Refer old", age_days=3, history={"sweats_during_sleep": "yes"})
    response = staff_client.get(QUEUE)
    assert response.status_code == 200
    assert queue_names(response) == ["Refer new", "Refer old", "Unsure", "Plain old", "Plain new"]
    page = response.content.decode()
    assert "Refer first" in page
    assert "1 red flag" in page
    assert "1 not sure" in page


def test_queue_shows_only_screens_waiting_by_default(staff_client, staff_user):
    waiting = make_screen("Waiting")
    done = make_screen("Done")
    screen_review(
        screen_id=done.pk, outcome="cleared", note="", message_to_patient="", user=staff_user
    )
    assert queue_names(staff_client.get(QUEUE)) == [waiting.patient.legal_name]
    assert sorted(queue_names(staff_client.get(QUEUE + "?status="))) == ["Done", "Waiting"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=reviewed", ["Cleared", "Workup"]),
        ("?status=reviewed&outcome=workup", ["Workup"]),
        ("?status=&area=axillary", ["Underarms"]),
        ("?status=&area=palmar", ["Cleared", "Refer", "Workup"]),
        ("?status=&refer=yes", ["Refer"]),
        ("?status=&refer=no", ["Cleared", "Underarms", "Workup"]),
        ("?status=superseded", []),
    ],
)
def test_queue_filters(staff_client, staff_user, query, expected):
    for name, outcome in (("Cleared", "cleared"), ("Workup", "workup")):
        s = make_screen(name)
        screen_review(
            screen_id=s.pk, outcome=outcome, note="", message_to_patient="", user=staff_user
        )
    make_screen("Refer", warning_signs={"red_flags": ["chest_pain"]})
    make_screen("Underarms", areas={"palmar": 0, "axillary": 3}, skin={"axillary": "intact"})
    assert sorted(queue_names(staff_client.get(QUEUE + query))) == expected


def test_queue_ignores_filters_it_does_not_understand(staff_client):
    make_screen("Someone")
    response = staff_client.get(QUEUE + "?status=bogus&area=elbow&refer=maybe&page=zzz")
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()


def test_queue_is_paginated(staff_client):
    for i in range(27):
        make_screen(f"P{i:02}", age_days=30 - i)
    first = staff_client.get(QUEUE)
    assert len(first.context["rows"]) == 25
    second = staff_client.get(QUEUE + "?status=submitted&page=2")
    assert queue_names(second) == ["P25", "P26"]
    assert "Page 1 of 2" in first.content.decode()


def test_queue_records_each_screen_shown_in_the_access_log(staff_client, staff_user):
    a, b = make_screen("A"), make_screen("B")
    staff_client.get(QUEUE)
    events = AccessEvent.objects.filter(actor=staff_user, view_name="screens:queue")
    assert {(e.object_pk, e.patient_key) for e in events} == {
        (str(a.pk), f"patients.patient:{a.patient_id}"),
        (str(b.pk), f"patients.patient:{b.patient_id}"),
    }


@pytest.mark.parametrize("screens", [1, 50])
def test_queue_query_count_does_not_grow_with_the_screens(
    staff_client, django_assert_num_queries, screens
):
    for i in range(screens):
        make_screen(f"P{i}", iud={"iud": "unsure"} if i % 2 else {})
    # session, user, the user's permissions (roles for the 2FA middleware, and the checks),
    # COUNT of the queue, the keys of the page (sorted and offset alone), those screens joined
    # with their patients, and one INSERT of the access events for the rows shown: 4 beyond,
    # within the queue's budget of 5.
    with django_assert_num_queries(3 + 4):
        response = staff_client.get(QUEUE)
    assert len(response.context["rows"]) == min(screens, 25)
    if screens == 50:  # page 2 costs the same and continues in the queue's order
        first = [row["screen"].pk for row in response.context["rows"]]
        with django_assert_num_queries(3 + 4):
            second = staff_client.get(QUEUE, {"page": 2}).context["rows"]
        assert len(second) == 25 and not {r["screen"].pk for r in second} & set(first)


# --- One screen ------------------------------------------------------------------------------
@pytest.fixture
def pacemaker_screen(patient, patient_user):
    return submitted_screen(
        patient,
        patient_user,
        implants={"electronic": ["pacemaker"]},
        iud={"iud": "unsure"},
        medications={"list_text": "Sertraline"},
    )


def test_screen_page_shows_answers_beside_the_full_result(staff_client, pacemaker_screen):
    response = staff_client.get(reverse("screens:detail", args=[pacemaker_screen.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    # Answers, with the flag beside the field it is about and the free text.
    assert "A pacemaker [pacemaker]" in page
    assert "Has an IUD, not sure which type" in page
    assert "Sertraline" in page
    # The engine's result: ranked options, status, every fired rule's id and clinician text.
    assert "Hands (palms) · HDSS 3" in page
    assert "ION-01" in page
    assert RULES_BY_ID["ION-01"].clinician_text in page
    assert "BTX-07" in page
    assert "excluded" in page
    assert pacemaker_screen.rules_version in page
    assert f'href="/staff/screens/{pacemaker_screen.pk}/correct/iud/"' in page
    assert "Mark reviewed" in page


def test_screen_page_shows_refer_rules(staff_client):
    screen = make_screen("Refer", warning_signs={"red_flags": ["palpitations"]})
    page = staff_client.get(reverse("screens:detail", args=[screen.pk])).content.decode()
    assert "Refer first: physician work-up" in page
    assert "G-RF-04" in page
    assert RULES_BY_ID["G-RF-04"].clinician_text in page


def test_screen_page_read_is_in_the_access_log(staff_client, staff_user, pacemaker_screen):
    staff_client.get(reverse("screens:detail", args=[pacemaker_screen.pk]))
    event = AccessEvent.objects.get(view_name="screens:detail")
    assert event.actor == staff_user
    assert event.model_label == "patients.screen"
    assert event.object_pk == str(pacemaker_screen.pk)
    assert event.patient_key == f"patients.patient:{pacemaker_screen.patient_id}"


@pytest.mark.parametrize("corrections", [0, 4])
def test_screen_page_query_count_does_not_grow_with_history(
    staff_client, staff_user, pacemaker_screen, django_assert_num_queries, corrections
):
    screen = pacemaker_screen
    for age in range(corrections):
        screen = screen_correct(
            screen_id=screen.pk, field="age", value=40 + age, reason="checked", user=staff_user
        )
    # session, user, the user's permissions (roles and checks), the screen joined with
    # patient/intake/consent/creator/reviewer, the access event INSERT, the history's screens
    # with creator/reviewer and their corrections (one prefetch).
    with django_assert_num_queries(7):
        staff_client.get(reverse("screens:detail", args=[screen.pk]))


def test_specialists_see_screens_but_do_not_review_or_correct(specialist_client, pacemaker_screen):
    detail = specialist_client.get(reverse("screens:detail", args=[pacemaker_screen.pk]))
    assert detail.status_code == 200
    assert "Mark reviewed" not in detail.content.decode()
    assert specialist_client.get(QUEUE).status_code == 200
    review = specialist_client.post(
        reverse("screens:review", args=[pacemaker_screen.pk]), {"outcome": "cleared"}
    )
    assert review.status_code == 403
    correct = specialist_client.post(
        reverse("screens:correct", args=[pacemaker_screen.pk, "iud"]),
        {"value": "none", "reason": "x"},
    )
    assert correct.status_code == 403
    pacemaker_screen.refresh_from_db()
    assert pacemaker_screen.status == Screen.Status.SUBMITTED
    assert Screen.objects.count() == 1


@pytest.mark.parametrize("client_name", ["patient_client", "privacy_officer_client"])
def test_others_cannot_see_screens(request, client_name, pacemaker_screen):
    client = request.getfixturevalue(client_name)
    for url in (
        QUEUE,
        reverse("screens:detail", args=[pacemaker_screen.pk]),
        reverse("screens:review", args=[pacemaker_screen.pk]),
        reverse("screens:correct", args=[pacemaker_screen.pk, "iud"]),
    ):
        assert client.get(url).status_code == 403
    assert not AccessEvent.objects.exists()


def test_unknown_screen_is_404(staff_client):
    assert staff_client.get(reverse("screens:detail", args=[999999])).status_code == 404


# --- Correcting and reviewing through the pages ----------------------------------------------
def test_correcting_through_the_page_makes_a_new_screen_with_history(
    staff_client, staff_user, pacemaker_screen
):
    url = reverse("screens:correct", args=[pacemaker_screen.pk, "iud"])
    form = staff_client.get(url)
    assert form.status_code == 200
    assert "Copper IUD" in form.content.decode()
    response = staff_client.post(url, {"value": "hormonal", "reason": "Confirmed by phone"})
    new = Screen.objects.get(supersedes=pacemaker_screen)
    assert response.url == reverse("screens:detail", args=[new.pk])
    page = staff_client.get(response.url).content.decode()
    assert "Staff correction" in page
    assert "Confirmed by phone" in page
    assert f"#{pacemaker_screen.pk}" in page  # the old screen is in the history
    old_page = staff_client.get(reverse("screens:detail", args=[pacemaker_screen.pk]))
    assert "A newer screen has replaced this one" in old_page.content.decode()
    assert "Mark reviewed" not in old_page.content.decode()


@pytest.mark.parametrize(
    ("field", "data", "expected"),
    [
        ("pregnant", {"value": "true"}, True),
        ("onset_age", {"value": "30"}, 30),
        ("metal_implants", {"value": ["wrist", "knee"]}, ["wrist", "knee"]),
        (
            "areas",
            {
                "area_palmar": "2",
                "area_plantar": "0",
                "area_axillary": "4",
                "area_craniofacial": "0",
            },
            {"palmar": 2, "axillary": 4},
        ),
        ("skin", {"skin_palmar": "small_fissures"}, {"palmar": "small_fissures"}),
        (
            "tried",
            {"value": '[{"treatment": "iontophoresis", "outcome": "failed", "sessions": 8}]'},
            [{"treatment": "iontophoresis", "outcome": "failed", "sessions": 8}],
        ),
    ],
)
def test_each_kind_of_answer_can_be_corrected(
    staff_client, pacemaker_screen, field, data, expected
):
    url = reverse("screens:correct", args=[pacemaker_screen.pk, field])
    response = staff_client.post(url, {**data, "reason": "checked with the patient"})
    assert response.status_code == 302, response.content.decode()[:3000]
    new = Screen.objects.get(supersedes=pacemaker_screen)
    assert new.profile[field] == expected
    assert ScreenCorrection.objects.get().field == field


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("onset_age", {"value": "90"}, "onset_age"),  # older than the patient: engine refuses
        ("onset_age", {"value": "x"}, "Enter a whole number"),
        ("tried", {"value": "[not json"}, "not valid JSON"),
        ("tried", {"value": '[{"treatment": "magic", "outcome": "failed"}]'}, "tried[0]"),
        ("iud", {"value": "hormonal"}, "Please say why"),
    ],
)
def test_a_bad_correction_page_post_shows_a_message_and_changes_nothing(
    staff_client, pacemaker_screen, field, data, message
):
    url = reverse("screens:correct", args=[pacemaker_screen.pk, field])
    post = {"reason": "checked", **data} if field != "iud" else data
    response = staff_client.post(url, post)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Screen.objects.count() == 1


def test_unknown_field_to_correct_is_404(staff_client, pacemaker_screen):
    url = reverse("screens:correct", args=[pacemaker_screen.pk, "favourite_colour"])
    assert staff_client.get(url).status_code == 404


def test_reviewing_through_the_page(staff_client, staff_user, pacemaker_screen):
    url = reverse("screens:review", args=[pacemaker_screen.pk])
    assert staff_client.get(url).status_code == 200  # a GET only shows the form
    pacemaker_screen.refresh_from_db()
    assert pacemaker_screen.status == Screen.Status.SUBMITTED
    response = staff_client.post(url, {"outcome": "cleared", "note": "Fine for ION alternatives"})
    assert response.url == reverse("screens:detail", args=[pacemaker_screen.pk])
    pacemaker_screen.refresh_from_db()
    assert (pacemaker_screen.status, pacemaker_screen.outcome) == ("reviewed", "cleared")
    assert pacemaker_screen.reviewed_by == staff_user


def test_review_form_errors_change_nothing(staff_client, pacemaker_screen):
    url = reverse("screens:review", args=[pacemaker_screen.pk])
    for data in ({}, {"outcome": "approved"}, {"outcome": "info_requested"}):
        response = staff_client.post(url, data)
        assert response.status_code == 200
    pacemaker_screen.refresh_from_db()
    assert pacemaker_screen.status == Screen.Status.SUBMITTED


def test_reviewing_twice_shows_a_message(staff_client, staff_user, pacemaker_screen):
    screen_review(
        screen_id=pacemaker_screen.pk,
        outcome="cleared",
        note="",
        message_to_patient="",
        user=staff_user,
    )
    response = staff_client.post(
        reverse("screens:review", args=[pacemaker_screen.pk]), {"outcome": "workup"}
    )
    assert response.status_code == 200
    assert "not waiting for review" in response.content.decode()
    pacemaker_screen.refresh_from_db()
    assert pacemaker_screen.outcome == "cleared"


# --- Change history (django-pghistory triggers, PostgreSQL only) ------------------------------
@pytest.mark.postgres
def test_intakes_screens_and_corrections_are_in_the_change_history(
    patient_client, patient, patient_user, staff_user
):
    from patients.models import Intake

    screen = submitted_screen(patient, patient_user, iud={"iud": "unsure"})
    new = screen_correct(
        screen_id=screen.pk, field="iud", value="none", reason="r", user=staff_user
    )
    intake_events = Intake.pgh_event_model.objects.filter(pgh_obj_id=screen.intake_id)
    assert {e.pgh_label for e in intake_events} >= {"insert", "update"}
    screen_events = Screen.pgh_event_model.objects.filter(pgh_obj_id=screen.pk)
    assert [e.status for e in screen_events.order_by("pgh_id")] == ["submitted", "superseded"]
    assert ScreenCorrection.pgh_event_model.objects.filter(screen_id=new.pk).count() == 1
