"""The specialist's chart and the patient's "My treatment" do a fixed number of queries,
whatever the number of sessions, versions and notes (QUALITY.md: chart ≤ 8 beyond session and
user)."""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.treatments.test_views import today_ion
from treatments.models import PlannedSession
from treatments.services import note_create, plan_assign, plan_change

pytestmark = pytest.mark.django_db

# Every logged-in clinician page: the session, the user, and the user's permissions
# (one query: roles, the guards and the navigation).
BASE = 3
# The chart: 1 the patient with login, guardian, specialist, plan and its current version;
# 2 the access-log INSERT; 3 the screens; 4 the plan's versions; 5 the current version's items;
# 6 the next sessions; 7 the session counts; 8 the consultation notes.
CHART = 8


def _grow(patient, user, n):
    """A plan with ``n`` versions, at least ``n`` planned sessions and ``n`` notes: it
    started ``n - 1`` weeks ago and changed once a week since (past sessions pile up)."""
    now = timezone.now()
    started = now - datetime.timedelta(weeks=n - 1)
    start = timezone.localdate(started)
    item = today_ion(start_date=start, review_date=start + datetime.timedelta(weeks=4))
    plan = plan_assign(patient_id=patient.pk, items=[item], user=user, now=started)
    for i in range(1, n):
        plan_change(
            plan_id=plan.pk,
            items=[replace(item, current_ma=Decimal("12") + Decimal(i) / 10)],
            reason=f"Change {i}",
            user=user,
            now=started + datetime.timedelta(weeks=i),  # one change a week until today
        )
    for i in range(n):
        note_create(
            patient_id=patient.pk,
            visit_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
            text=f"Visit {i}",
            user=user,
        )
    assert plan.versions.count() == n
    assert PlannedSession.objects.filter(plan=plan).count() >= n
    return plan


@pytest.mark.parametrize("n", [1, 50])
def test_chart_query_count_is_the_same_at_1_and_50(
    n, specialist_client, screened, specialist_user, django_assert_num_queries
):
    plan = _grow(screened, specialist_user, n)
    ahead = plan.sessions.filter(status="planned", day__gte=timezone.localdate()).count()
    url = f"/specialist/patients/{screened.pk}/"
    specialist_client.get(url)  # warm caches (content types)
    with django_assert_num_queries(BASE + CHART):
        response = specialist_client.get(url)
    assert response.status_code == 200
    shown = response.content.decode().count('class="list-group-item session-row')
    assert shown == min(ahead, 10) and shown > 0


@pytest.mark.parametrize("n", [1, 30])
def test_calendar_page_query_count_is_fixed(
    n, specialist_client, screened, specialist_user, django_assert_num_queries
):
    _grow(screened, specialist_user, n)
    url = f"/specialist/patients/{screened.pk}/plan/calendar/"
    specialist_client.get(url)
    # 1 the patient with plan and current version; 2 the access-log INSERT; 3 every session
    # with its item and version.
    with django_assert_num_queries(BASE + 3):
        assert specialist_client.get(url).status_code == 200


@pytest.mark.parametrize("n", [1, 20])
def test_my_treatment_query_count_is_fixed(
    n, patient_client, screened, specialist_user, django_assert_num_queries
):
    _grow(screened, specialist_user, n)
    patient_client.get("/treatment/")
    # Session, user, 3 permission reads (as above); then 1 the people with their plans,
    # current versions and progress snapshots; 2 the items; 3 the upcoming sessions; 4 the
    # calendar feeds; 5 the home sessions waiting for a log (issue 7).
    with django_assert_num_queries(BASE + 5):
        assert patient_client.get("/treatment/").status_code == 200


@pytest.mark.parametrize("n", [1, 30])
def test_patient_list_query_count_is_fixed(
    n, specialist_client, specialist_user, django_assert_num_queries
):
    from tests.factories import PatientFactory, make_screen

    for _ in range(n):
        make_screen(PatientFactory(), areas={"palmar": 3})
    specialist_client.get("/specialist/patients/")
    # 1 the count for the paginator; 2 the page of patients with screen annotations;
    # 3 the access-log bulk INSERT.
    with django_assert_num_queries(BASE + 3):
        assert specialist_client.get("/specialist/patients/").status_code == 200
