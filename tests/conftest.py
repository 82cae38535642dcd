"""The shared world of the test suite: people in every role, logged-in clients (staff and
specialists with a verified second factor), a real SMTP server, Celery run inline."""

import os
import socket
import time

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from clinic.accounts.roles import Role
from tests.factories import TEST_PASSWORD, UserFactory
from tests.support.smtp import SMTPServer

hypothesis_settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile("dev", max_examples=25, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + live_server


def pytest_runtest_setup(item):
    """Tests marked ``postgres`` fail (never skip) when the suite runs on another database."""
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.fail("this test needs PostgreSQL: run bin/test.sh or set DATABASE_URL")


@pytest.fixture(autouse=True)
def _fast_and_inline(settings):
    """Fast password hashing (Argon2 is tested on its own), Celery tasks run inline, and a
    clean cache (allauth's per-IP rate limits and used TOTP codes live there)."""
    from django.core.cache import cache

    from clinic.celery import app

    cache.clear()
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


# --- People ---------------------------------------------------------------------------------
@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def patient_user(db):
    return UserFactory(email="pat.a@example.com", first_name="Ann", role=Role.PATIENT)


@pytest.fixture
def other_patient_user(db):
    return UserFactory(email="pat.b@example.com", first_name="Ben", role=Role.PATIENT)


@pytest.fixture
def staff_user(db):
    return UserFactory(email="staff@example.com", first_name="Sam", role=Role.STAFF)


@pytest.fixture
def specialist_user(db):
    return UserFactory(email="doc@example.com", first_name="Dana", role=Role.SPECIALIST)


@pytest.fixture
def privacy_officer_user(db):
    return UserFactory(email="privacy@example.com", first_name="Pat", role=Role.PRIVACY_OFFICER)


@pytest.fixture
def admin_user(db):
    user = UserFactory(email="admin@example.com", first_name="Ada")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def login_with_two_factor(client, user):
    """Log ``user`` in as if through allauth's two-step login: password and TOTP recorded."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


@pytest.fixture
def patient_client(client, patient_user):
    client.force_login(patient_user)
    return client


@pytest.fixture
def other_patient_client(django_client_factory, other_patient_user):
    c = django_client_factory()
    c.force_login(other_patient_user)
    return c


@pytest.fixture
def django_client_factory():
    from django.test import Client

    return Client


@pytest.fixture
def staff_client(django_client_factory, staff_user):
    return login_with_two_factor(django_client_factory(), staff_user)


@pytest.fixture
def specialist_client(django_client_factory, specialist_user):
    return login_with_two_factor(django_client_factory(), specialist_user)


@pytest.fixture
def privacy_officer_client(django_client_factory, privacy_officer_user):
    return login_with_two_factor(django_client_factory(), privacy_officer_user)


@pytest.fixture
def admin_client_2fa(django_client_factory, admin_user):
    return login_with_two_factor(django_client_factory(), admin_user)


# --- A real SMTP server ---------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a spare port; Django's SMTP backend points at it."""
    server = SMTPServer(port=free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


# --- Browser --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


# --- Intake and screens (patients app) -------------------------------------------------------
@pytest.fixture
def patient(patient_user):
    """The patient profile of ``patient_user`` (born 1990-05-17)."""
    import datetime

    from tests.factories import PatientFactory

    return PatientFactory(
        user=patient_user, legal_name="Ann Example", date_of_birth=datetime.date(1990, 5, 17)
    )


@pytest.fixture
def other_patient(other_patient_user):
    from tests.factories import PatientFactory

    return PatientFactory(user=other_patient_user, legal_name="Ben Other")


# --- Booking (issue 3) ----------------------------------------------------------------------
@pytest.fixture
def clinic_tz():
    from patients.selectors.booking import clinic_tz as tz

    return tz()


@pytest.fixture
def frozen_now():
    """Monday 2 March 2026, 08:00 in the clinic (16:00 UTC); the clock stands still."""
    import datetime as dt

    import time_machine

    moment = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        yield moment


@pytest.fixture
def booking_world(db, specialist_user, patient_user):
    """One specialist working 09:00-12:00 and 13:00-17:00 every day, a 30-minute type with a
    10-minute buffer, the default policy (2 h notice, 60-day horizon, 24 h cut-off, 15-min
    steps) and the patient's completed profile."""
    from types import SimpleNamespace

    from patients.models import BookingPolicy, Patient
    from tests.factories import ConsultationTypeFactory, SpecialistFactory, working_week

    BookingPolicy().save()
    specialist = SpecialistFactory(user=specialist_user, display_name="Dr. Dana Test")
    working_week(specialist)
    ctype = ConsultationTypeFactory(
        name="First consultation", duration_minutes=30, buffer_after_minutes=10
    )
    patient, _ = Patient.objects.update_or_create(
        user=patient_user,
        defaults={"legal_name": "Ann Example", "date_of_birth": dt_date(1990, 1, 1)},
    )
    return SimpleNamespace(specialist=specialist, ctype=ctype, patient=patient)


def dt_date(*args):
    import datetime as dt

    return dt.date(*args)


def local_time(day, hour, minute=0):
    """A clinic-local wall time as an aware UTC datetime."""
    import datetime as dt

    from patients.selectors.booking import clinic_tz as tz

    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz()).astimezone(dt.UTC)


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request (or a login) in Spanish leaves Spanish active in the thread, as Django does;
    put the default back so the next test's non-request code is not translated by accident."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
