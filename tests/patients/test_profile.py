"""Profile: completing it, birth date → age, a guardian booking for a dependant, a phone-only
patient registered by staff who later claims the account by email."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from clinic.accounts.models import User
from clinic.notify.models import Message
from patients.forms.booking import format_start
from patients.models import Appointment, Patient
from patients.notifications import patient_email_address
from patients.services.profile import (
    ProfileError,
    patient_add_dependant,
    patient_claim,
    patient_claim_invite,
    patient_register_by_staff,
)
from tests.conftest import local_time

pytestmark = pytest.mark.django_db
TUESDAY = dt.date(2026, 3, 3)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (dt.date(2000, 3, 2), dt.date(2026, 3, 1), 25),
        (dt.date(2000, 3, 2), dt.date(2026, 3, 2), 26),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
    ],
)
def test_birth_date_gives_whole_years(born, on, age):
    assert Patient(legal_name="X", date_of_birth=born).age_on(on) == age


def test_profile_form_saves_e164_phone_and_refuses_bad_input(patient_client, booking_world):
    url = reverse("patients:profile")
    base = {
        "legal_name": "Ann Example",
        "preferred_name": "Annie",
        "date_of_birth": "1990-01-01",
        "preferred_language": "es",
        "time_zone": "America/New_York",
        "reminder_channel": "email",
        "home_session_time": "18:00",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
    }
    response = patient_client.post(url, {**base, "phone": "(415) 555-0123", "user": "999"})
    assert response.status_code == 302
    patient = Patient.objects.get(pk=booking_world.patient.pk)
    assert patient.phone == "+14155550123" and patient.preferred_name == "Annie"
    assert patient.user_id == booking_world.patient.user_id  # extra field ignored (S4)
    for bad in (
        {"phone": "12"},
        {"date_of_birth": "2099-01-01"},
        {"date_of_birth": "01/02/1990x"},
        {"time_zone": "Mars/Olympus"},
        {"preferred_language": "xx"},
    ):
        page = patient_client.post(url, {**base, "phone": "+14155550123", **bad})
        assert page.status_code == 200 and "invalid-feedback" in page.content.decode(), bad
    assert Patient.objects.get(pk=patient.pk).preferred_language == "es"


def test_profile_next_cannot_redirect_off_site(patient_client, booking_world):
    data = {
        "legal_name": "Ann Example",
        "date_of_birth": "1990-01-01",
        "preferred_language": "en",
        "time_zone": "America/Los_Angeles",
        "reminder_channel": "email",
        "home_session_time": "18:00",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
        "next": "https://evil.example/",
    }
    response = patient_client.post(reverse("patients:profile"), data)
    assert response["Location"] == reverse("patients:home")


def test_guardian_adds_a_child_and_books_for_them(patient_client, booking_world, frozen_now):
    response = patient_client.post(
        reverse("patients:dependants"),
        {"legal_name": "Lily Example", "preferred_name": "Lily", "date_of_birth": "2015-06-01"},
    )
    assert response.status_code == 302
    child = Patient.objects.get(legal_name="Lily Example")
    assert child.guardian == booking_world.patient.user and child.user is None
    assert child.is_dependant
    # The confirm page offers "me" and the child; the booking is the child's.
    start = local_time(TUESDAY, 9)
    query = {
        "type": booking_world.ctype.pk,
        "who": booking_world.specialist.pk,
        "start": format_start(start),
    }
    page = patient_client.get(reverse("booking:confirm"), query).content.decode()
    assert "Lily Example" in page
    patient_client.post(reverse("booking:confirm"), {**query, "patient": child.pk})
    appt = Appointment.objects.get()
    assert appt.patient == child and appt.booked_by == booking_world.patient.user
    # Messages about the child go to the guardian; the guardian sees and manages it.
    message = Message.objects.get(purpose="appointment.booked")
    assert message.recipient == booking_world.patient.user.email
    assert "The appointment for Lily is booked" in message.body_text
    assert patient_client.get(reverse("patients:appointment", args=[appt.pk])).status_code == 200


def test_a_childs_messages_go_to_the_guardian(patient_user, booking_world, frozen_now):
    child = patient_add_dependant(
        guardian=patient_user, legal_name="Kid One", date_of_birth=dt.date(2014, 1, 1)
    )
    assert patient_email_address(child) == patient_user.email


def test_adult_or_unborn_dependant_is_refused(patient_user, booking_world, frozen_now):
    with pytest.raises(ProfileError, match="under 18"):
        patient_add_dependant(
            guardian=patient_user, legal_name="Grown Up", date_of_birth=dt.date(2008, 3, 2)
        )
    with pytest.raises(ProfileError, match="future"):
        patient_add_dependant(
            guardian=patient_user, legal_name="Soon", date_of_birth=dt.date(2027, 1, 1)
        )
    assert not Patient.objects.filter(guardian=patient_user).exists()


def test_another_guardian_cannot_book_for_the_child(
    patient_user, other_patient_user, other_patient_client, booking_world, frozen_now
):
    child = patient_add_dependant(
        guardian=patient_user, legal_name="Kid One", date_of_birth=dt.date(2014, 1, 1)
    )
    query = {
        "type": booking_world.ctype.pk,
        "who": booking_world.specialist.pk,
        "start": format_start(local_time(TUESDAY, 9)),
        "patient": child.pk,
    }
    Patient.objects.create(
        user=other_patient_user,
        legal_name="Ben B",
        date_of_birth=dt.date(1980, 1, 1),
    )
    response = other_patient_client.post(reverse("booking:confirm"), query)
    assert response.status_code == 400
    assert Appointment.objects.count() == 0


def test_phone_only_patient_booked_by_staff_claims_the_account_later(
    staff_client, client, booking_world, frozen_now, staff_user
):
    # Staff register the caller (no email) and book for them.
    response = staff_client.post(
        reverse("calendar:patient_new"),
        {
            "legal_name": "Pedro Phone",
            "preferred_name": "",
            "date_of_birth": "1970-07-07",
            "phone": "+1 415 555 0199",
            "preferred_language": "en",
        },
    )
    patient = Patient.objects.get(legal_name="Pedro Phone")
    assert response["Location"] == reverse("calendar:patient", args=[patient.pk])
    assert patient.user is None and patient.phone == "+14155550199"
    assert patient.registered_by == staff_user
    start = local_time(TUESDAY, 9)
    staff_client.post(
        reverse("calendar:book_confirm", args=[patient.pk]),
        {"type": booking_world.ctype.pk, "who": "any", "start": format_start(start)},
    )
    appt = Appointment.objects.get(patient=patient)
    assert appt.booked_by == staff_user
    assert not Message.objects.filter(purpose="appointment.booked").exists()  # no email yet

    # Later they give an email; the invitation link is rendered at send time, never stored.
    staff_client.post(
        reverse("calendar:patient_invite", args=[patient.pk]), {"email": "Pedro@Example.com"}
    )
    invite = Message.objects.get(purpose="patient.claim_invitation")
    assert invite.body_text == "" and invite.renderer == "patients.claim"
    from patients.notifications import render_claim_invitation

    rendered = render_claim_invitation(invite.render_params, invite.recipient)
    link = re.search(r"https?://\S+/book/claim/t/\S+/", rendered.text).group(0)
    path = "/" + link.split("/", 3)[3]

    page = client.get(path)
    assert page.status_code == 200 and "pedro@example.com" in page.content.decode()
    response = client.post(
        path, {"password1": "a-long-new-passphrase-1", "password2": "a-long-new-passphrase-1"}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.user.email == "pedro@example.com" and patient.user.is_patient
    assert patient.user.check_password("a-long-new-passphrase-1")
    # The same link works once.
    assert client.get(path).status_code == 400
    # The patient now sees the appointment staff booked for them.
    client.force_login(patient.user)
    assert client.get(reverse("patients:appointment", args=[appt.pk])).status_code == 200


def test_claim_refuses_tampered_replaced_or_weak(booking_world, frozen_now, staff_user):
    patient = patient_register_by_staff(
        registered_by=staff_user, legal_name="Pia Phone", phone="+14155550142"
    )
    patient_claim_invite(patient=patient, email="pia@example.com")
    from patients.notifications import claim_token

    patient.refresh_from_db()
    old = claim_token(patient)
    patient_claim_invite(patient=patient, email="pia@example.com")  # a new one replaces it
    with pytest.raises(ProfileError):
        patient_claim(token=old, password="whatever-long-pass-1")
    with pytest.raises(ProfileError):
        patient_claim(token=old[:-2] + "xx", password="whatever-long-pass-1")
    assert not User.objects.filter(email="pia@example.com").exists()


def test_staff_registration_refuses_duplicates_and_future_birth(staff_user, db):
    patient_register_by_staff(
        registered_by=staff_user,
        legal_name="Dup",
        phone="+14155550100",
        date_of_birth=dt.date(1980, 1, 1),
    )
    with pytest.raises(ProfileError, match="already registered"):
        patient_register_by_staff(
            registered_by=staff_user,
            legal_name="Dup Again",
            phone="+14155550100",
            date_of_birth=dt.date(1980, 1, 1),
        )
    with pytest.raises(ProfileError):
        patient_register_by_staff(
            registered_by=staff_user,
            legal_name="Future",
            phone="+14155550101",
            date_of_birth=dt.date(2999, 1, 1),
        )
