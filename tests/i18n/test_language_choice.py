"""A patient's language choice sticks: the browser's language for visitors, the switcher, the
profile, login from another browser, sign-up, and messages made for them outside a request."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from clinic.accounts.roles import Role
from clinic.notify.models import Message
from clinic.notify.registry import get_renderer
from patients.models import Patient
from patients.services.profile import patient_add_dependant
from tests.factories import TEST_PASSWORD, PatientFactory, UserFactory, make_screen
from treatments.services import plan_assign
from treatments.services.feeds import calendar_feed_create

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME
HOME_ES = "Sus próximos pasos"  # "Your next steps" on the patient's home


@pytest.fixture
def ann(patient_user):
    return PatientFactory(
        user=patient_user, legal_name="Ann Example", date_of_birth=datetime.date(1990, 5, 17)
    )


def _lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1][:2]


def test_a_visitor_gets_the_browsers_language():
    assert _lang(Client(HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").get("/")) == "es"
    assert _lang(Client(HTTP_ACCEPT_LANGUAGE="en-US").get("/")) == "en"
    assert _lang(Client(HTTP_ACCEPT_LANGUAGE="fr").get("/")) == "en"  # not offered: default


def test_a_visitor_switches_language_and_it_lasts():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[COOKIE].value == "es"
    assert client.cookies[COOKIE]["max-age"] == settings.LANGUAGE_COOKIE_AGE  # not per session
    page = client.get("/")
    assert _lang(page) == "es" and "Reservar una consulta" in page.content.decode()


def test_a_get_of_the_switcher_changes_nothing(patient_client, ann):
    patient_client.get(reverse("set_language") + "?language=es")
    ann.refresh_from_db()
    assert ann.preferred_language == "en"


def test_the_switcher_saves_a_patients_choice_with_their_dependants(patient_client, ann):
    child = patient_add_dependant(
        guardian=ann.user, legal_name="Lily Example", date_of_birth=datetime.date(2015, 1, 1)
    )
    patient_client.post(reverse("set_language"), {"language": "es", "next": "/me/"})
    ann.refresh_from_db()
    child.refresh_from_db()
    assert (ann.preferred_language, child.preferred_language) == ("es", "es")
    assert HOME_ES in patient_client.get(reverse("patients:home")).content.decode()


def test_an_unknown_language_is_ignored(patient_client, ann):
    patient_client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    ann.refresh_from_db()
    assert ann.preferred_language == "en"


def test_logging_in_from_a_new_browser_switches_to_the_saved_language(ann):
    Patient.objects.filter(pk=ann.pk).update(preferred_language="es")
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US")  # an English browser, no cookie
    response = client.post(
        reverse("account_login"), {"login": ann.user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.cookies[COOKIE].value == "es"
    assert HOME_ES in client.get(reverse("patients:home")).content.decode()


def test_staff_logging_in_keep_the_browsers_language(staff_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    client.post(reverse("account_login"), {"login": staff_user.email, "password": TEST_PASSWORD})
    assert COOKIE not in client.cookies  # nowhere to save a choice: nothing imposed


def test_saving_the_profile_in_spanish_switches_the_site(patient_client, ann):
    response = patient_client.post(
        reverse("patients:profile"),
        {
            "legal_name": "Ann Example",
            "preferred_name": "",
            "date_of_birth": "1990-05-17",
            "phone": "",
            "preferred_language": "es",
            "time_zone": settings.CLINIC_TIME_ZONE,
            "reminder_channel": "email",
            "home_session_time": "18:00",
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "08:00",
        },
        follow=True,
    )
    assert patient_client.cookies[COOKIE].value == "es"
    page = response.content.decode()
    assert "Sus datos se guardaron." in page and _lang(response) == "es"


def test_signing_up_in_spanish_makes_a_spanish_patient_and_a_spanish_email():
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.post(
        reverse("account_signup"),
        {
            "first_name": "Lucía",
            "last_name": "Gómez",
            "email": "lucia@example.com",
            "password1": "un-buen-secreto-largo",
            "password2": "un-buen-secreto-largo",
        },
    )
    assert Patient.objects.get(user__email="lucia@example.com").preferred_language == "es"
    message = Message.objects.get(purpose="account.email_confirmation")
    assert message.render_params["language"] == "es"
    rendered = get_renderer("account")(message.render_params, message.recipient)
    english = get_renderer("account")({**message.render_params, "language": "en"}, "x@y.z")
    assert rendered.subject != english.subject
    assert "Para confirmar que este es su correo electrónico" in rendered.text


def test_a_password_reset_comes_in_the_saved_language_whatever_the_browser(ann):
    Patient.objects.filter(pk=ann.pk).update(preferred_language="es")
    Client(HTTP_ACCEPT_LANGUAGE="en-US").post(
        "/accounts/password/reset/", {"email": ann.user.email}
    )
    message = Message.objects.get(purpose="account.password_reset")
    assert message.render_params["language"] == "es"
    with translation.override("en"):  # the worker's own language does not matter
        rendered = get_renderer("account")(message.render_params, message.recipient)
    english = get_renderer("account")({**message.render_params, "language": "en"}, "x@y.z")
    assert rendered.subject != english.subject


def test_the_calendar_feed_speaks_the_patients_language(ann, specialist_user):
    from tests.treatments.conftest import ion

    make_screen(ann, areas={"palmar": 3})
    today = datetime.date.today()
    plan_assign(
        patient_id=ann.pk,
        items=[ion(start_date=today, review_date=today + datetime.timedelta(weeks=4))],
        user=specialist_user,
    )
    feed = calendar_feed_create(patient=ann, user=ann.user)
    url = reverse("treatments:feed", args=[feed.token])
    assert b"Home session" in Client().get(url).content
    Patient.objects.filter(pk=ann.pk).update(preferred_language="es")
    body = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    assert "Sesión en casa" in body and "Home session" not in body


def test_the_plan_instructions_a_patient_reads_start_in_their_language():
    from treatments.defaults import default_instructions

    spanish = default_instructions(
        "aluminium_chloride", areas=["axillary"], patient_name="Ana", hdss=3, language="es"
    )
    assert spanish.startswith("Aplique una capa fina") and "(las axilas)" in spanish
    letter = default_instructions(
        "sympathectomy", areas=["palmar"], patient_name="Ana", hdss=3, language="es"
    )
    assert letter.startswith("Dear colleague")  # clinician to clinician: stays English


def test_a_new_patient_profile_starts_in_the_default_language_outside_spanish():
    user = UserFactory(role=Role.PATIENT)
    from patients.services import patient_create_for_user

    with translation.override("es"):
        assert patient_create_for_user(user=user).preferred_language == "es"
    other = UserFactory(role=Role.PATIENT)
    with translation.override("fr"):
        assert patient_create_for_user(user=other).preferred_language == settings.LANGUAGE_CODE
