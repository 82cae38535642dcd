"""The progress pages and the dashboard do a fixed number of queries, whatever the length of
the history or the number of patients (QUALITY.md)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from clinic.accounts.roles import Role
from tests.factories import PatientFactory, UserFactory
from tests.treatments.conftest import ion
from treatments.models import CheckIn, Flag, PatientSpecialist, PlannedSession, SessionLog
from treatments.services import plan_assign, plan_sessions_sync
from treatments.services.sessions import patient_today
from treatments.services.tracking import progress_refresh

pytestmark = pytest.mark.django_db

# Every logged-in page: the session, the user, and the user's permissions (one query: roles,
# the guards and the navigation).
BASE = 3


def _history(patient, user, n):
    """A home plan with ``n`` past sessions, all logged, and ``n`` check-ins."""
    today = patient_today(patient)
    # Five a week for 12 weeks (60), then weekly maintenance: 100 sessions take 52 weeks.
    weeks = 52 if n > 60 else 1 + n // 5
    start = today - datetime.timedelta(weeks=weeks, days=today.weekday())
    assigned = timezone.now() - datetime.timedelta(weeks=weeks, days=today.weekday() + 1)
    plan = plan_assign(
        patient_id=patient.pk,
        items=[
            ion(
                sessions_per_week=5,
                weekdays=(0, 1, 2, 3, 4),
                initial_weeks=12,
                start_date=start,
                review_date=start + datetime.timedelta(weeks=13),
            )
        ],
        user=user,
        now=assigned,
    )
    for week in range(4, weeks + 1, 4):  # the daily horizon task, as it ran over the year
        plan_sessions_sync(plan=plan, now=assigned + datetime.timedelta(weeks=week))
    past = list(
        PlannedSession.objects.filter(plan=plan, kind="session", day__lt=today).order_by("day")
    )[:n]
    assert len(past) == n
    item = past[0].item
    SessionLog.objects.bulk_create(
        SessionLog(
            patient=patient,
            plan=plan,
            planned_session=s,
            item=item,
            status="done",
            day=s.day,
            minutes=20,
            current_ma=Decimal("12"),
            areas=["palmar"],
            side_effects=["none"],
            logged_by=patient.user,
        )
        for s in past
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=patient,
            plan=plan,
            day=s.day,
            scores={"palmar": 3},
            recorded_by=patient.user,
        )
        for s in past
    )
    progress_refresh(patient=patient)
    return plan


# The summary: 1 the plan's current items with the first screen's HDSS (baseline); 2 the
# planned home sessions with their logs and items' areas; 3 the extra sessions; 4 the check-ins.
SUMMARY = 4


@pytest.mark.parametrize("n", [1, 100])
def test_patient_progress_page_query_count_is_fixed(
    n, patient_client, screened, specialist_user, django_assert_num_queries
):
    _history(screened, specialist_user, n)
    url = f"/treatment/{screened.pk}/progress/"
    patient_client.get(url)
    # 1 the patient (own or dependant) with plan and current version; then the summary.
    with django_assert_num_queries(BASE + 1 + SUMMARY):
        response = patient_client.get(url)
    assert response.content.decode().count('class="hdss-point"') == n


@pytest.mark.parametrize("n", [1, 100])
def test_specialist_progress_page_query_count_is_fixed(
    n, specialist_client, screened, specialist_user, django_assert_num_queries
):
    _history(screened, specialist_user, n)
    url = f"/specialist/patients/{screened.pk}/progress/"
    specialist_client.get(url)
    # 1 the patient with plan and version; 2 the access-log INSERT; the summary; then the
    # flags with who closed them.
    with django_assert_num_queries(BASE + 2 + SUMMARY + 1):
        response = specialist_client.get(url)
    assert response.content.decode().count('class="mark-done"') == n


def _needing_attention(specialist, n):
    """``n`` patients of ``specialist`` with two open flags each (rows made directly)."""
    from treatments.models import Progress

    now = timezone.now()
    for i in range(n):
        patient = PatientFactory(user=UserFactory(role=Role.PATIENT), legal_name=f"P{i:03d}")
        PatientSpecialist.objects.create(
            patient=patient, specialist=specialist, assigned_by=specialist
        )
        for kind in ("no_log", "low_adherence"):
            Flag.objects.create(
                patient=patient, kind=kind, severity=2, key="k", detail="d", raised_at=now
            )
        Progress.objects.create(
            patient=patient,
            computed_on=now.date(),
            open_flags=2,
            top_severity=2,
            oldest_open_flag_at=now,
            baseline={"palmar": 3},
            latest={"palmar": 2},
        )


@pytest.mark.parametrize("n", [1, 100])
def test_dashboard_query_count_is_fixed(
    n, specialist_client, specialist_user, django_assert_num_queries
):
    _needing_attention(specialist_user, n)
    specialist_client.get("/specialist/dashboard/")
    # 1 the specialist's counts (active plans, needing attention: the latter is the
    # paginator's count too); 2 the page of patients with their snapshots and specialists;
    # 3 their open flags; 4 the access-log bulk INSERT.
    with django_assert_num_queries(BASE + 4):
        response = specialist_client.get("/specialist/dashboard/")
    assert response.content.decode().count("attention-patient") == min(n, 25)
    # Everyone's patients: the paginator counts them on its own (one more query).
    with django_assert_num_queries(BASE + 5):
        response = specialist_client.get("/specialist/dashboard/?scope=all")
    assert response.content.decode().count("attention-patient") == min(n, 25)
