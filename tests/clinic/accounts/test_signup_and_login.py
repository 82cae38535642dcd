import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from clinic.accounts.models import User
from clinic.notify.models import Message
from patients.models import Patient

PASSWORD = "a-long-enough-passphrase-7"


def sign_up(client, email="new.patient@example.com"):
    return client.post(
        reverse("account_signup"),
        {
            "first_name": "Nora",
            "last_name": "Quinn",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", text).group(0)


@pytest.mark.django_db(transaction=True)
def test_signup_email_arrives_through_outbox_at_real_smtp_then_login(client, smtp_server, settings):
    settings.SITE_URL = "http://testserver"
    response = sign_up(client)
    assert response.status_code == 302

    user = User.objects.get(email="new.patient@example.com")
    assert user.is_patient
    assert Patient.objects.filter(user=user, legal_name="Nora Quinn").exists()

    [mail] = smtp_server.wait_for(1)
    message = Message.objects.get(purpose="account.email_confirmation")
    assert message.status == Message.Status.SENT
    assert mail["Message-ID"] == message.message_id
    # S14: the outbox row holds no link or key, only which address it is for.
    assert "confirm-email" not in (message.body_text + str(message.render_params))
    link = link_in(smtp_server.text_of(mail))

    # Before verifying, logging in is refused (verification is mandatory).
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert not EmailAddress.objects.get(user=user).verified

    path = link.replace("http://testserver", "")
    assert client.get(path).status_code == 200  # GET shows a confirm button only (S5)
    assert not EmailAddress.objects.get(user=user).verified
    client.post(path)
    assert EmailAddress.objects.get(user=user).verified

    response = client.post(
        reverse("account_login"), {"login": "NEW.Patient@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("patients:home")
    assert b"Hello, Nora" in response.content


@pytest.mark.django_db
def test_email_is_unique_whatever_its_case(client):
    sign_up(client, "twin@example.com")
    sign_up(client.__class__(), "TWIN@example.com")
    assert User.objects.filter(email__iexact="twin@example.com").count() == 1


@pytest.mark.django_db
def test_signup_rejects_a_short_password(client):
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "A",
            "last_name": "B",
            "email": "short@example.com",
            "password1": "short-pass1",
            "password2": "short-pass1",
        },
    )
    assert response.status_code == 200
    assert b"at least 12 characters" in response.content
    assert not User.objects.filter(email="short@example.com").exists()


@pytest.mark.django_db
def test_S8_common_password_is_refused(client):
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "A",
            "last_name": "B",
            "email": "common@example.com",
            "password1": "password1234",
            "password2": "password1234",
        },
    )
    assert b"too common" in response.content
    assert not User.objects.filter(email="common@example.com").exists()


@pytest.mark.django_db
def test_S8_passwords_are_hashed_with_argon2(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    sign_up(client, "argon@example.com")
    assert User.objects.get(email="argon@example.com").password.startswith("argon2$")


@pytest.mark.django_db
def test_signup_cannot_grant_itself_a_role_or_admin(client):
    client.post(
        reverse("account_signup"),
        {
            "first_name": "Eve",
            "last_name": "X",
            "email": "eve@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "is_staff": "on",
            "is_superuser": "on",
            "groups": "2",
        },
    )
    eve = User.objects.get(email="eve@example.com")
    assert not eve.is_staff and not eve.is_superuser
    assert eve.roles == {"patient"}


@pytest.mark.django_db
def test_password_reset_link_is_rendered_at_send_time_and_expires_within_an_hour(
    client, patient_user, smtp_server, settings, django_capture_on_commit_callbacks
):
    import time_machine
    from django.utils import timezone

    settings.SITE_URL = "http://testserver"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": patient_user.email})
    [mail] = smtp_server.wait_for(1)
    row = Message.objects.get(purpose="account.password_reset")
    assert "reset" not in row.body_text and "key" not in str(row.render_params)
    link = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+/)", smtp_server.text_of(mail)
    )
    path = link.group(1)
    assert client.get(path, follow=True).status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=61)):
        response = client.get(path, follow=True)
        assert b"invalid" in response.content.lower() or b"expired" in response.content.lower()
