"""S2/S3: every URL pattern × every role, against patient A's objects, from one table.

Codes: L = redirect to log in, 2 = allowed (200, or a redirect inside the app),
0 = 400 (a clear "bad request" page, e.g. confirming without a chosen time), 3 = 403,
4 = 404, 5 = 405 (a POST-only action refuses the GET). Roles, in order: anonymous,
patient A (the owner), patient B, a guardian (of another child), staff, specialist, privacy
officer, clinic admin. Every GET must also leave the database unchanged (S5)."""

import os

import pytest
from django.apps import apps
from django.urls import reverse

from tests.conftest import login_with_two_factor
from tests.security.world import build_world
from tests.support.urlwalk import walk

ROLES = [
    "anonymous",
    "patient_a",
    "patient_b",
    "guardian",
    "staff",
    "specialist",
    "privacy",
    "admin",
]


# What a "pk" means in each URL: the names are read from the URL patterns themselves.
PK_MEANS = {
    "calendar:patient": "a",
    "calendar:patient_invite": "a",
    "calendar:book": "a",
    "calendar:book_confirm": "a",
    "calendar:hours": "specialist",
    "calendar:time_off": "specialist",
    "calendar:time_off_delete": "specialist",
    "calendar:affected": "specialist",
}


def kwargs_for(route, o):
    """The URL arguments pointing at patient A's objects."""
    values = {
        "patient_id": o.a.pk,
        "intake_id": o.intake.pk,
        "screen_id": o.screen.pk,
        "note_id": o.note.pk,
        "number": 1,
        "step": "areas",
        "field": "age",
        "action": "create",
        "type_id": o.ctype.pk,
        "who": str(o.specialist.pk),
        "time_off_pk": o.time_off.pk,
        "token": o.feed.token if route.name == "treatments:feed" else "not-a-real-token",
        "session_id": o.session.pk,
        "log_id": o.log.pk,
        "flag_id": o.flag.pk,
        "message_id": 999999,  # notify's retry is POST-only: a GET is 405 whatever the id
        "pk": getattr(o, PK_MEANS.get(route.name, "appointment")).pk,
    }
    return {param: values[param] for param in route.params}


# One row per URL name: the expected code for each role, in ROLES order:
#                          anon  A  B  guard staff spec priv admin
EXPECTED = {
    "landing": "2 2 2 2 2 2 2 2",
    "home": "L 2 2 2 2 2 2 2",
    "healthz": "2 2 2 2 2 2 2 2",
    "session_keepalive": "L 5 5 5 5 5 5 5",
    "set_language": "2 2 2 2 2 2 2 2",
    "patients:home": "L 2 2 2 3 3 3 2",
    "patients:intake": "L 2 2 2 3 3 3 2",
    "patients:intake_start": "L 5 5 5 5 5 5 5",
    "patients:intake_review": "L 2 4 4 3 3 3 4",
    "patients:intake_result": "L 2 4 4 3 3 3 4",
    "patients:intake_step": "L 2 4 4 3 3 3 4",
    "patients:appointments": "L 2 2 2 3 3 3 2",
    "patients:appointment": "L 2 4 4 3 3 3 4",
    "patients:appointment_ics": "L 2 4 4 3 3 3 4",
    "patients:appointment_reschedule": "L 2 4 4 3 3 3 4",
    "patients:appointment_reschedule_confirm": "L 2 4 4 3 3 3 4",
    "patients:appointment_cancel": "L 2 4 4 3 3 3 4",
    "patients:profile": "L 2 2 2 3 3 3 2",
    "patients:dependants": "L 2 2 2 3 3 3 2",
    "privacy:search": "L 3 3 3 3 3 2 2",
    "privacy:patient": "L 3 3 3 3 3 2 2",
    "privacy:export": "L 3 3 3 3 3 2 2",
    "screens:queue": "L 3 3 3 2 2 3 2",
    "screens:detail": "L 3 3 3 2 2 3 2",
    "screens:review": "L 3 3 3 2 3 3 2",
    "screens:correct": "L 3 3 3 2 3 3 2",
    "booking:start": "2 2 2 2 2 2 2 2",
    "booking:confirm": "0 0 0 0 0 0 0 0",
    "booking:claim": "0 0 0 0 0 0 0 0",
    "booking:specialist": "2 2 2 2 2 2 2 2",
    "booking:slots": "2 2 2 2 2 2 2 2",
    "calendar:day": "L 3 3 3 2 2 3 2",
    "calendar:week": "L 3 3 3 2 2 3 2",
    "calendar:appointment": "L 3 3 3 2 2 3 2",
    "calendar:cancel": "L 3 3 3 2 2 3 2",
    "calendar:outcome": "L 3 3 3 2 2 3 2",
    "calendar:reschedule": "L 3 3 3 2 2 3 2",
    "calendar:reschedule_confirm": "L 3 3 3 2 2 3 2",
    "calendar:patient_search": "L 3 3 3 2 2 3 2",
    "calendar:patient_new": "L 3 3 3 2 2 3 2",
    "calendar:patient": "L 3 3 3 2 2 3 2",
    "calendar:patient_invite": "L 5 5 5 5 5 5 5",
    "calendar:book": "L 3 3 3 2 2 3 2",
    "calendar:book_confirm": "L 3 3 3 2 2 3 2",
    "calendar:specialists": "L 3 3 3 2 2 3 2",
    "calendar:hours": "L 3 3 3 2 2 3 2",
    "calendar:time_off": "L 3 3 3 2 2 3 2",
    "calendar:time_off_delete": "L 3 3 3 2 2 3 2",
    "calendar:affected": "L 3 3 3 2 2 3 2",
    "treatments:patients": "L 3 3 3 2 2 3 2",
    "treatments:chart": "L 3 3 3 2 2 3 2",
    "treatments:take_on": "L 3 3 3 3 2 3 2",
    "treatments:plan_choose": "L 3 3 3 3 2 3 2",
    "treatments:plan_details": "L 3 3 3 3 2 3 2",
    "treatments:plan_maintenance": "L 3 3 3 3 2 3 2",
    "treatments:calendar": "L 3 3 3 2 2 3 2",
    "treatments:version": "L 3 3 3 2 2 3 2",
    "treatments:note_new": "L 3 3 3 3 2 3 2",
    "treatments:note": "L 3 3 3 2 2 3 2",
    "treatments:my_treatment": "L 2 2 2 3 3 3 2",
    "treatments:my_sessions_ics": "L 2 4 4 3 3 3 4",
    "treatments:feed_manage": "L 2 4 4 3 3 3 4",
    "treatments:feed": "2 2 2 2 2 2 2 2",
    "notify:deliveries": "L 3 3 3 2 2 3 2",
    "notify:delivery_retry": "L 5 5 5 5 5 5 5",
    # Public: the signed token is the key (a made-up one gets the clear "link not valid" page).
    "reminder_preferences": "0 0 0 0 0 0 0 0",
    "treatments:dashboard": "L 3 3 3 2 2 3 2",
    "treatments:progress_specialist": "L 3 3 3 2 2 3 2",
    "treatments:checkin_consultation": "L 3 3 3 3 2 3 2",
    "treatments:flag_ack": "L 3 3 3 3 2 3 2",
    "treatments:log_session": "L 2 4 4 3 3 3 4",
    "treatments:log": "L 2 4 4 3 3 3 4",
    "treatments:log_extra": "L 2 4 4 3 3 3 4",
    "treatments:checkin": "L 2 4 4 3 3 3 4",
    "treatments:progress": "L 2 4 4 3 3 3 4",
    "treatments:progress_export": "L 2 4 4 3 3 3 4",
    "patients:my_data": "L 2 2 2 3 3 3 2",
    "patients:my_data_file": "L 2 4 4 3 3 3 4",
    "patients:close_account": "L 2 2 2 3 3 3 3",
    "records:export": "L 3 3 3 2 2 3 2",
    "records:closures": "L 3 3 3 2 2 3 2",
}

ROUTES = [r for r in walk() if r.name and not r.path.startswith(("/accounts/", "/admin/"))]


def row_codes(value: str) -> list[str]:
    return value.split()


def test_every_url_has_a_row_in_the_table():
    missing = sorted({r.name for r in ROUTES} - set(EXPECTED))
    assert not missing, f"add these URL names to EXPECTED: {missing}"


def _code(response) -> str:
    status = response.status_code
    if status == 302:
        return "L" if "/accounts/login/" in response.url else "2"
    return {200: "2", 400: "0", 403: "3", 404: "4", 405: "5"}.get(status, str(status))


def _table_counts():
    counts = {}
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.label] = model.objects.count()
    counts.pop("sessions.Session", None)
    counts.pop("audit.AccessEvent", None)  # reads are recorded: that is the point
    counts.pop("pghistory.Context", None)
    return counts


@pytest.mark.django_db
def test_S2_S3_S5_access_matrix(django_client_factory):
    users, objects = build_world()
    clients = {"anonymous": django_client_factory()}
    for role in ROLES[1:]:
        client = django_client_factory()
        user = getattr(users, role)
        if user.requires_two_factor:
            login_with_two_factor(client, user)
        else:
            client.force_login(user)
        clients[role] = client
    before = _table_counts()
    observed, wrong = {}, []
    for route in ROUTES:
        url = reverse(route.name, kwargs=kwargs_for(route, objects))
        codes = [_code(clients[role].get(url)) for role in ROLES]
        observed[route.name] = " ".join(codes)
        expected = EXPECTED.get(route.name)
        if expected is not None and row_codes(expected) != codes:
            wrong.append(f"{route.name}: expected {expected}, got {' '.join(codes)}")
    if os.environ.get("MATRIX_DISCOVER"):
        for name, codes in observed.items():
            print(f'    "{name}": "{codes}",')
    assert _table_counts() == before, "a GET changed the database"
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_S3_posting_to_another_patients_object_is_a_404_and_changes_nothing(
    django_client_factory,
):
    users, objects = build_world()
    intruder = django_client_factory()
    intruder.force_login(users.patient_b)
    before = _table_counts()
    targets = [r for r in ROUTES if row_codes(EXPECTED[r.name])[1:3] == ["2", "4"] and r.params]
    assert len(targets) >= 10
    for route in targets:
        url = reverse(route.name, kwargs=kwargs_for(route, objects))
        response = intruder.post(url, {"reason": "x", "start": "2030-01-01T10:00", "step": "x"})
        assert response.status_code in (404, 405), f"{route.name}: {response.status_code}"
    assert _table_counts() == before
    objects.appointment.refresh_from_db()
    assert objects.appointment.status == "booked"


PATIENT_PARAMS = {"patient_id", "screen_id", "intake_id", "note_id", "session_id", "log_id"}


def _shows_a_patient(route) -> bool:
    params = set(route.params)
    if params & PATIENT_PARAMS:
        return True
    return "pk" in params and PK_MEANS.get(route.name, "appointment") in ("a", "appointment")


@pytest.mark.django_db
def test_S12_every_clinician_page_showing_a_patient_records_the_read(django_client_factory):
    from clinic.audit.models import AccessEvent

    users, objects = build_world()
    missing, checked = [], 0
    for role in ("staff", "specialist", "privacy"):
        client = login_with_two_factor(django_client_factory(), getattr(users, role))
        column = ROLES.index(role)
        for route in ROUTES:
            if row_codes(EXPECTED[route.name])[column] != "2" or not _shows_a_patient(route):
                continue
            before = AccessEvent.objects.count()
            response = client.get(reverse(route.name, kwargs=kwargs_for(route, objects)))
            if response.status_code != 200:
                continue  # a redirect to the page that shows (and records) it
            checked += 1
            if AccessEvent.objects.count() == before:
                missing.append(f"{role} {route.name}")
    assert checked >= 20
    assert not missing, "pages that showed a patient without recording the read:\n" + "\n".join(
        missing
    )
