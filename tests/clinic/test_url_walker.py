"""S2: deny by default. Every URL needs login unless its view is on the public allowlist;
staff-only URLs need the role and a verified second factor (S7)."""

import pytest

from tests.support.urlwalk import walk

# The only views reachable without logging in, by URL name. Keep this list short.
PUBLIC = {
    "landing",
    "healthz",
    "set_language",
    # allauth: logging in, signing up, verifying email, resetting a password
    "account_login",
    "account_signup",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_inactive",
    "account_logout",
    "account_confirm_login_code",
    "account_request_login_code",
    "account_confirm_password_reset_code",
    "mfa_authenticate",
    "mfa_login_webauthn",
    "mfa_signup_webauthn",
    "admin:login",  # wrapped: sends to allauth's login
    "admin:logout",
    "admin:password_reset",  # not routed by the project, present in admin's URLconf
    # Booking: a visitor may look for a time before signing up; confirming needs login.
    "booking:start",
    "booking:specialist",
    "booking:slots",
    "booking:confirm",
    # A staff-registered patient claims the account with a single-use emailed token.
    "booking:claim",
    "treatments:feed",  # a patient's calendar feed: the secret, revocable token is the key
    "reminder_preferences",  # manage reminders: the signed, single-purpose, 30-day token is the key
}
# URL-name prefixes allowed to be public as a group (the second step of two-step login).
PUBLIC_PREFIXES = ()

ROUTES = walk()


def route_id(route):
    return route.name or route.path


def test_the_walker_sees_the_project_urls():
    names = {r.name for r in ROUTES}
    assert {"landing", "home", "healthz", "account_login", "patients:home"} <= names
    assert len(ROUTES) > 40


@pytest.mark.parametrize("route", [r for r in ROUTES if r.is_public], ids=route_id)
def test_S2_every_public_view_is_on_the_allowlist(route):
    assert route.name in PUBLIC or route.name.startswith(PUBLIC_PREFIXES), (
        f"{route.path} ({route.name}) is reachable without login but not on the allowlist"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if not r.is_public], ids=route_id)
def test_S2_anonymous_users_are_sent_to_login(client, route):
    response = client.get(route.path)
    if response.status_code == 404:
        return  # the sample object does not exist; nothing shown
    assert response.status_code == 302, f"{route.path}: {response.status_code}"
    assert response.url.startswith(("/accounts/login/", "/admin/login/")), response.url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if not r.is_public and not r.path.startswith("/accounts/")],
    ids=route_id,
)
def test_S7_staff_without_a_second_factor_is_redirected_from_every_page(client, staff_user, route):
    client.force_login(staff_user)
    response = client.get(route.path)
    assert response.status_code == 302, f"{route.path}: {response.status_code}"
    assert response.url.startswith("/accounts/2fa/totp/activate/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r.path.startswith(("/staff/", "/clinic/", "/specialist/", "/admin/"))],
    ids=route_id,
)
def test_S2_patients_are_refused_staff_pages(patient_client, route):
    response = patient_client.get(route.path)
    # 405: a POST-only action refuses the GET before anything else is looked at.
    assert response.status_code in (302, 403, 404, 405), f"{route.path}: {response.status_code}"
    if response.status_code == 302:  # to login, or back to the admin index, which refuses
        assert "login" in response.url or response.url == "/admin/"
        if response.url == "/admin/":
            assert patient_client.get("/admin/").status_code in (302, 403)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r.is_public and "<" not in r.path],
    ids=route_id,
)
def test_public_pages_answer_without_error(client, route):
    response = client.get(route.path)
    assert response.status_code < 500
