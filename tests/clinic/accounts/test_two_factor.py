"""S7: two-factor (TOTP) is required for staff, specialists, privacy officers and admins."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.urls import reverse

from clinic.accounts.twofactor import session_passed_two_factor
from tests.factories import TEST_PASSWORD

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def not_sent_to_two_factor(response) -> bool:
    return response.status_code == 200 or not response.url.startswith("/accounts/")


def current_code() -> str:
    import time

    return format_hotp_value(hotp_value(SECRET, int(time.time()) // 30))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user_fixture", ["staff_user", "specialist_user", "privacy_officer_user", "admin_user"]
)
@pytest.mark.parametrize("path", ["/home/", "/admin/", "/me/"])
def test_S7_role_without_authenticator_is_sent_to_set_one_up(client, request, user_fixture, path):
    user = request.getfixturevalue(user_fixture)
    client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))


@pytest.mark.django_db
def test_S7_patients_are_not_forced_but_may_use_two_factor(client, patient_user):
    client.post(reverse("account_login"), {"login": patient_user.email, "password": TEST_PASSWORD})
    assert client.get("/me/").status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


@pytest.mark.django_db
def test_S7_staff_login_asks_for_the_code_and_a_code_works_once(client, staff_user):
    TOTP.activate(staff_user, SECRET)
    response = client.post(
        reverse("account_login"), {"login": staff_user.email, "password": TEST_PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not logged in before the second factor

    code = current_code()
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert not_sent_to_two_factor(client.get("/home/"))

    # The same code again, in a second login: refused.
    other = client.__class__()
    other.post(reverse("account_login"), {"login": staff_user.email, "password": TEST_PASSWORD})
    response = other.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in other.session


@pytest.mark.django_db
def test_S7_a_session_that_skipped_the_second_factor_is_logged_out(client, staff_user):
    TOTP.activate(staff_user, SECRET)
    client.force_login(staff_user)  # e.g. a login path outside allauth's two-step flow
    response = client.get("/home/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)  # on_commit runs inside the request, as in production
def test_setting_up_totp_counts_as_the_sessions_second_factor(client, staff_user):
    client.post(reverse("account_login"), {"login": staff_user.email, "password": TEST_PASSWORD})
    # allauth asks for the password again before adding an authenticator.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert client.get(response.url).status_code == 200
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = client.session.get("mfa.totp.secret")
    assert secret
    import time

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert not_sent_to_two_factor(client.get("/home/"))


def test_fixture_clients_have_passed_two_factor(staff_client):
    response = staff_client.get("/home/")
    assert not_sent_to_two_factor(response)
    assert session_passed_two_factor(response.wsgi_request)
