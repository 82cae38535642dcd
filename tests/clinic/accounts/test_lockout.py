"""S6: one lockout policy — 10 failed logins per account per 15 minutes, then a cool-off."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import TEST_PASSWORD


def attempt(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_S6_tenth_attempt_is_still_allowed_after_nine_failures(client, patient_user):
    for _ in range(9):
        assert attempt(client, patient_user.email, "wrong-password-123").status_code == 200
    attempt(client, patient_user.email, TEST_PASSWORD)
    assert logged_in(client)


@pytest.mark.django_db
def test_S6_after_ten_failures_the_right_password_is_refused_until_the_cool_off(
    client, patient_user
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(10):
            attempt(client, patient_user.email, "wrong-password-123")
        response = attempt(client, patient_user.email, TEST_PASSWORD)
        assert response.status_code == 429
        assert b"locked for 15 minutes" in response.content
        assert not logged_in(client)
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        attempt(client, patient_user.email, TEST_PASSWORD)
        assert not logged_in(client)
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        attempt(client, patient_user.email, TEST_PASSWORD)
        assert logged_in(client)


@pytest.mark.django_db
def test_S6_lockout_is_per_account_not_per_person_typing(client, patient_user, other_patient_user):
    for _ in range(10):
        attempt(client, patient_user.email, "wrong-password-123")
    attempt(client, other_patient_user.email, TEST_PASSWORD)
    assert logged_in(client)


@pytest.mark.django_db
def test_S6_case_of_the_email_does_not_buy_more_attempts(client, patient_user):
    for i in range(10):
        email = patient_user.email.upper() if i % 2 else patient_user.email
        attempt(client, email, "wrong-password-123")
    attempt(client, patient_user.email, TEST_PASSWORD)
    assert not logged_in(client)
