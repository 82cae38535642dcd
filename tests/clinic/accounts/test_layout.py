"""allauth's pages (login, signup, password reset, two-factor) render inside the clinic's card
layout (templates/allauth/layouts/), not as bare content on the page."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from tests.factories import TEST_PASSWORD

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def assert_in_card(html: str, heading: str):
    card = re.search(
        r'class="[^"]*allauth-layout.*?<div class="card shadow-sm">(.*)</main>', html, re.S
    )
    assert card, "the page is not wrapped in the clinic's card"
    assert heading in card.group(1), f"{heading!r} is not inside the card"
    assert html.count("<main") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("account_login", "Sign In"),
        ("account_signup", "Sign Up"),
        ("account_reset_password", "Password Reset"),
    ],
)
def test_entrance_pages_use_the_card_layout(client, url_name, heading):
    assert_in_card(client.get(reverse(url_name)).content.decode(), heading)


@pytest.mark.django_db
def test_the_two_factor_step_uses_the_card_layout(client, staff_user):
    TOTP.activate(staff_user, SECRET)
    client.post(reverse("account_login"), {"login": staff_user.email, "password": TEST_PASSWORD})
    html = client.get(reverse("mfa_authenticate")).content.decode()
    assert_in_card(html, 'name="code"')


@pytest.mark.django_db
def test_account_management_pages_use_the_wider_card(patient_client):
    html = patient_client.get(reverse("mfa_index")).content.decode()
    assert_in_card(html, "Two-Factor Authentication")
    assert "col-lg-8" in html
