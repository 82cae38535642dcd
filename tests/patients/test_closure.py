"""Account closure: GET explains, POST (with the password) closes; the login stops at once and
every session of it ends; the records are kept for the retention period; guardians close their
dependants' records with theirs; staff see the closures."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from clinic.accounts.models import User
from clinic.audit.models import AccessEvent
from clinic.notify.models import Message
from patients.models import AccountClosure, AppointmentStatus, Patient
from patients.selectors.booking import clinic_today
from patients.services.closure import (
    ClosureError,
    account_close,
    closures_due,
    retention_end,
)
from tests.factories import TEST_PASSWORD
from tests.patients.record_support import add_dependant, build_full_record

pytestmark = pytest.mark.django_db

URL = "/me/close/"


def signed_in(client) -> bool:
    return client.get(reverse("patients:home")).status_code == 200


def db_state():
    return (
        AccountClosure.objects.count(),
        list(Patient.objects.values_list("pk", "legal_name").order_by("pk")),
        list(User.objects.values_list("pk", "is_active", "password").order_by("pk")),
        Message.objects.count(),
    )


def test_the_url_is_the_named_one():
    assert reverse("patients:close_account") == URL


@pytest.mark.parametrize(
    ("day", "years", "end"),
    [
        (datetime.date(2026, 3, 2), 7, datetime.date(2033, 3, 2)),
        (datetime.date(2028, 2, 29), 7, datetime.date(2035, 2, 28)),
        (datetime.date(2028, 2, 29), 4, datetime.date(2032, 2, 29)),
        (datetime.date(2026, 12, 31), 0, datetime.date(2026, 12, 31)),
    ],
)
def test_retention_ends_whole_years_later(day, years, end):
    assert retention_end(day, years) == end


def test_retention_years_is_a_setting(settings):
    settings.RETENTION_YEARS = 10
    assert retention_end(datetime.date(2026, 1, 5)) == datetime.date(2036, 1, 5)


def test_S5_get_shows_the_confirmation_and_changes_nothing(patient_client, patient):
    before = db_state()
    response = patient_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Close your account?" in body
    assert retention_end(clinic_today()).strftime("%Y") in body
    assert 'type="password"' in body
    assert db_state() == before
    assert signed_in(patient_client)


def test_closing_disables_the_login_at_once_and_ends_every_session(
    django_client_factory, patient_user, patient
):
    here, elsewhere = django_client_factory(), django_client_factory()
    for c in (here, elsewhere):
        c.post(reverse("account_login"), {"login": patient_user.email, "password": TEST_PASSWORD})
        assert signed_in(c)
    response = here.post(URL, {"password": TEST_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("landing")
    assert not signed_in(here)
    assert not signed_in(elsewhere)
    patient_user.refresh_from_db()
    assert not patient_user.is_active and not patient_user.has_usable_password()
    fresh = django_client_factory()
    fresh.post(reverse("account_login"), {"login": patient_user.email, "password": TEST_PASSWORD})
    assert not signed_in(fresh)
    closure = AccountClosure.objects.get(patient=patient)
    assert closure.requested_by == "patient"
    assert closure.retain_until == retention_end(clinic_today())
    assert closure.purged_at is None
    # The records are kept until then.
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_closing_cancels_upcoming_appointments_and_pending_messages_and_emails_once(
    client, django_capture_on_commit_callbacks
):
    record = build_full_record(with_plan=False)
    client.force_login(record.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"password": TEST_PASSWORD})
    upcoming, cancelled, completed, no_show = (
        a.__class__.objects.get(pk=a.pk) for a in record.appointments
    )
    assert upcoming.status == AppointmentStatus.CANCELLED
    assert upcoming.cancelled_by == record.user
    assert completed.status == AppointmentStatus.COMPLETED  # the past stays as it was
    assert no_show.status == AppointmentStatus.NO_SHOW
    assert Message.objects.get(purpose="test.reminder").status == Message.Status.CANCELLED
    closing = Message.objects.get(purpose="patients.account_closed")
    assert closing.recipient == record.user.email
    assert "until" in closing.body_text and record.patient.legal_name not in closing.body_text
    from django.core import mail

    assert [m.subject for m in mail.outbox] == ["Your account is closed"]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"password": ""},
        {"password": "wrong-password-123"},
        {"password": "x" * 5000},
        {"password": "<script>alert(1)</script>"},
        {"password": ["a", "b"]},
        {"password": "\x00\u202e"},
    ],
)
def test_S15_a_wrong_or_hostile_password_changes_nothing(patient_client, patient, data):
    before = db_state()
    response = patient_client.post(URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert db_state() == before
    assert signed_in(patient_client)


class CloseFuzz(HypothesisTestCase):
    """S15: whatever is posted, a 200 with a message or the closure, never a 500."""

    @given(
        password=st.text(max_size=300),
        extra=st.dictionaries(st.sampled_from(["close_dependants", "patient", "user"]), st.text()),
    )
    def test_S15_random_posts_never_500(self, password, extra):
        from clinic.accounts.roles import Role
        from tests.factories import UserFactory

        user = UserFactory(role=Role.PATIENT)
        Patient.objects.create(user=user, legal_name="Fuzz Person")
        client = Client()
        client.force_login(user)
        response = client.post(URL, {"password": password, **extra})
        closed = AccountClosure.objects.filter(patient__user=user).exists()
        assert response.status_code in (200, 302)
        assert closed == (password == TEST_PASSWORD)


def test_S5_csrf_is_required(patient_user, patient):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(patient_user)
    assert strict.post(URL, {"password": TEST_PASSWORD}).status_code == 403
    assert not AccountClosure.objects.exists()


def test_S4_extra_fields_cannot_choose_the_dates_or_the_record(
    patient_client, patient, other_patient
):
    patient_client.post(
        URL,
        {
            "password": TEST_PASSWORD,
            "retain_until": "2020-01-01",
            "patient": other_patient.pk,
            "requested_by": "guardian",
        },
    )
    closure = AccountClosure.objects.get()
    assert closure.patient == patient
    assert closure.retain_until == retention_end(clinic_today())
    assert closure.requested_by == "patient"


def test_staff_cannot_use_the_patient_closure_page(staff_client, staff_user):
    assert staff_client.get(URL).status_code == 403
    assert staff_client.post(URL, {"password": TEST_PASSWORD}).status_code == 403
    staff_user.refresh_from_db()
    assert staff_user.is_active


# --- Guardians ------------------------------------------------------------------------------
def test_a_guardian_is_told_about_the_dependants_and_must_agree_to_close_them(
    patient_client, patient_user, patient
):
    child = add_dependant(patient_user, name="Mia Example")
    page = patient_client.get(URL).content.decode()
    assert "Mia Example" in page and "close_dependants" in page
    response = patient_client.post(URL, {"password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "Tick the box" in response.content.decode()
    assert not AccountClosure.objects.exists()
    patient_user.refresh_from_db()
    assert patient_user.is_active

    response = patient_client.post(URL, {"password": TEST_PASSWORD, "close_dependants": "on"})
    assert response.status_code == 302
    own, theirs = (
        AccountClosure.objects.get(patient=patient),
        AccountClosure.objects.get(patient=child),
    )
    assert (own.requested_by, theirs.requested_by) == ("patient", "guardian")
    assert own.retain_until == theirs.retain_until


def test_a_dependant_with_their_own_login_is_not_closed_with_the_guardian(patient_user, patient):
    from clinic.accounts.roles import Role
    from tests.factories import UserFactory

    grown_up = Patient.objects.create(
        user=UserFactory(role=Role.PATIENT), guardian=patient_user, legal_name="Grown Up"
    )
    account_close(user=patient_user, password=TEST_PASSWORD)
    assert not AccountClosure.objects.filter(patient=grown_up).exists()


def test_closing_twice_is_refused(patient_user, patient):
    account_close(user=patient_user, password=TEST_PASSWORD)
    with pytest.raises(ClosureError):
        account_close(user=patient_user, password=TEST_PASSWORD)
    assert AccountClosure.objects.count() == 1


def test_nothing_is_due_before_the_retention_date(patient_user, patient):
    (closure,) = account_close(user=patient_user, password=TEST_PASSWORD)
    assert closures_due(today=closure.retain_until, using="default") == []
    next_day = closure.retain_until + datetime.timedelta(days=1)
    assert closures_due(today=next_day, using="default") == [closure.pk]


# --- Staff see the closures -----------------------------------------------------------------
def test_staff_see_closures_with_their_retention_date_and_the_read_is_audited(
    staff_client, patient_user, patient
):
    (closure,) = account_close(user=patient_user, password=TEST_PASSWORD)
    purged = AccountClosure.objects.create(
        requested_by="patient",
        requested_at=timezone.now() - datetime.timedelta(days=3000),
        retain_until=datetime.date(2024, 1, 1),
        purged_at=timezone.now(),
    )
    response = staff_client.get(reverse("records:closures"))
    assert response.status_code == 200
    body = response.content.decode()
    assert patient.legal_name in body
    assert closure.retain_until.strftime("%Y") in body
    assert closure.short_reference in body and purged.short_reference in body
    assert "Purged" in body
    events = AccessEvent.objects.filter(view_name="records:closures")
    assert [e.patient_key for e in events] == [f"patients.patient:{patient.pk}"]


def test_the_closure_list_is_for_staff_and_specialists_only(
    patient_client, privacy_officer_client, specialist_client
):
    url = reverse("records:closures")
    assert patient_client.get(url).status_code == 403
    assert privacy_officer_client.get(url).status_code == 403
    assert specialist_client.get(url).status_code == 200
    assert Client().get(url).status_code == 302


def test_the_closure_list_does_a_fixed_number_of_queries(staff_client, django_assert_num_queries):
    from clinic.accounts.roles import Role
    from tests.factories import UserFactory

    def close_one(n):
        user = UserFactory(role=Role.PATIENT)
        Patient.objects.create(user=user, legal_name=f"Closing {n}")
        account_close(user=user, password=TEST_PASSWORD)

    close_one(0)
    url = reverse("records:closures")
    staff_client.get(url)
    # session, user, groups, user permissions, group permissions, second-factor check,
    # count, the page of closures (with patients and guardians), one INSERT of access events
    with django_assert_num_queries(9, exact=False) as one:
        staff_client.get(url)
    for n in range(1, 20):
        close_one(n)
    with django_assert_num_queries(len(one.captured_queries)):
        staff_client.get(url)


def test_closing_stops_the_plan_and_cancels_its_future_sessions_and_pending_reminders():
    from clinic.notify.models import Reminder
    from treatments.models import Plan, PlannedSession

    record = build_full_record(with_plan=True)
    assert record.plan.sessions.filter(status=PlannedSession.Status.PLANNED).exists()
    account_close(user=record.user, password=TEST_PASSWORD)
    plan = Plan.objects.get(pk=record.plan.pk)
    assert plan.status == Plan.Status.STOPPED
    future = plan.sessions.filter(day__gte=clinic_today())
    assert future.exists()
    assert not future.filter(status=PlannedSession.Status.PLANNED).exists()
    reminders = Reminder.objects.filter(person_id=str(record.patient.pk))
    # Appointment and session reminders went with them; the rest are cancelled here.
    assert reminders.get(kind="test.visit").reason == "account closed"
    assert not reminders.filter(
        person_id=str(record.patient.pk), status=Reminder.Status.PENDING
    ).exists()
