"""S9 idle and absolute logoff, S10 password change / deactivation end other sessions."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login_with_two_factor
from tests.factories import TEST_PASSWORD


def signed_in(client, path="/home/") -> bool:
    response = client.get(path)
    return not (response.status_code == 302 and "/accounts/login/" in response.url)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("minutes", "still_in"), [(14, True), (29, True), (31, False), (60, False)]
)
def test_S9_patients_are_logged_out_after_30_idle_minutes(client, patient_user, minutes, still_in):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(patient_user)
        assert signed_in(client)
    with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
        assert signed_in(client) is still_in


@pytest.mark.django_db
@pytest.mark.parametrize(("minutes", "still_in"), [(14, True), (16, False)])
def test_S9_staff_are_logged_out_after_15_idle_minutes(
    django_client_factory, staff_user, minutes, still_in
):
    start = timezone.now()
    client = django_client_factory()
    with time_machine.travel(start, tick=False):
        login_with_two_factor(client, staff_user)
        assert signed_in(client)
    with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
        assert signed_in(client) is still_in


@pytest.mark.django_db
def test_S9_activity_keeps_the_session_but_never_past_12_hours(client, patient_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(patient_user)
        signed_in(client)
    for step in range(1, 36):  # every 20 minutes for 11h40
        with time_machine.travel(start + datetime.timedelta(minutes=20 * step), tick=False):
            assert signed_in(client), f"logged out after {20 * step} minutes of activity"
    with time_machine.travel(start + datetime.timedelta(hours=12, minutes=5), tick=False):
        assert not signed_in(client)


@pytest.mark.django_db
def test_S9_pages_carry_the_idle_limit_for_the_warning(client, patient_user):
    client.force_login(patient_user)
    body = client.get("/me/").content.decode()
    assert 'data-idle-seconds="1800"' in body
    assert 'id="session-timeout"' in body
    assert "/static/js/session-timeout.js" in body


@pytest.mark.django_db
def test_keepalive_needs_a_post_with_csrf(client, patient_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(patient_user)
    assert strict.get(reverse("session_keepalive")).status_code == 405
    assert strict.post(reverse("session_keepalive")).status_code == 403


@pytest.mark.django_db
def test_S10_password_change_ends_the_users_other_sessions(django_client_factory, patient_user):
    here, elsewhere = django_client_factory(), django_client_factory()
    for c in (here, elsewhere):
        c.post(reverse("account_login"), {"login": patient_user.email, "password": TEST_PASSWORD})
        assert signed_in(c)
    new = "another-long-passphrase-9"
    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)


@pytest.mark.django_db
def test_S10_deactivation_ends_the_users_sessions(client, patient_user):
    client.force_login(patient_user)
    assert signed_in(client)
    patient_user.is_active = False
    patient_user.save()
    assert not signed_in(client)


@pytest.mark.django_db
def test_S11_signed_in_pages_are_never_cached_and_carry_the_security_headers(patient_client):
    response = patient_client.get("/me/")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


@pytest.mark.django_db
def test_security_events_are_logged_without_secrets(client, patient_user, caplog):
    caplog.set_level("INFO", logger="clinic.security")
    client.post(
        reverse("account_login"), {"login": patient_user.email, "password": "wrong-pass-123"}
    )
    client.post(reverse("account_login"), {"login": patient_user.email, "password": TEST_PASSWORD})
    text = caplog.text
    assert f"event=login outcome=failure user_id={patient_user.pk}" in text
    assert f"event=login outcome=success user_id={patient_user.pk}" in text
    assert "wrong-pass-123" not in text and TEST_PASSWORD not in text
    assert patient_user.email not in text


@pytest.mark.django_db
def test_refused_and_missing_object_answers_are_logged_as_probes(patient_client, caplog):
    caplog.set_level("INFO", logger="clinic.security")
    patient_client.get("/admin/", follow=True)
    patient_client.get("/no/such/page/")
    assert "event=probe outcome=403" in caplog.text
    assert "event=probe outcome=404" in caplog.text


@pytest.mark.django_db
def test_activity_is_saved_at_most_once_a_minute_so_pages_write_no_session(patient_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        patient_client.get("/me/")
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
