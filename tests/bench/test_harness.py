"""The harness's request builder: HTTPS as behind the proxy, and a session made through the
session engine that logs each role in (staff and specialists with their second factor)."""

import json

import pytest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from bench.harness import Browser
from bench.timing import Case, measure, wsgi_environ


@pytest.fixture(autouse=True)
def _bench_host(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "clinic.bench.localhost"]


@pytest.fixture
def app(settings):
    """The WSGI app; like Django's test client, it leaves the test's connection open."""
    settings.ROOT_URLCONF = "bench.urls"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_requests_go_in_as_https_behind_the_proxy():
    environ = wsgi_environ("GET", "/me/", query={"a": "1"}, cookies={"c": "v"})
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["HTTP_X_FORWARDED_PROTO"] == "https"
    request = WSGIRequest(environ)
    assert request.is_secure()
    assert request.build_absolute_uri() == "https://clinic.bench.localhost/me/?a=1"
    assert request.COOKIES == {"c": "v"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["patient_user", "staff_user", "specialist_user"])
def test_the_session_logs_the_role_in(app, role, request):
    user = request.getfixturevalue(role)
    response = Browser(app, user).get("/__bench__/bare-user/")
    assert response.status == 200
    assert response.body.decode() == str(user.pk)


@pytest.mark.django_db
def test_roles_pages_open_with_that_session(app, patient_user, staff_user):
    assert Browser(app, patient_user).get("/me/").status == 200
    # Staff without a second factor in the session would be sent away from every page.
    assert Browser(app, staff_user).get("/staff/screens/").status == 200


@pytest.mark.django_db
def test_without_a_session_the_logged_in_view_sends_to_login(app):
    response = Browser(app).get("/__bench__/bare-user/")
    assert response.status == 302
    assert "/accounts/login/" in response.header("Location")
    assert Browser(app).get("/__bench__/bare/").body == b"ok"


@pytest.mark.django_db
def test_posts_carry_a_valid_csrf_token(app, patient_user):
    response = Browser(app, patient_user).request("POST", "/session/keepalive/")
    assert response.status == 200
    assert "idle_seconds" in json.loads(response.body)


def test_measure_interleaves_rounds_and_counts_samples():
    order = []
    cases = [Case(name, lambda n=name: order.append(n), batch=2) for name in "abc"]
    measure(cases, repetitions=3, warmup=1)
    assert [len(c.samples) for c in cases] == [6, 6, 6]
    assert [len(c.round_medians) for c in cases] == [3, 3, 3]
    timed = order[3:]  # after one warm-up call each
    firsts = [timed[i * 6] for i in range(3)]
    assert firsts == ["a", "b", "c"]  # the order rotates from round to round


def test_budgets_count_the_statements_that_read_or_write_data():
    from bench.harness import data_statements

    sql = [
        'SELECT "django_session"."session_key" FROM "django_session"',
        "BEGIN",
        'SAVEPOINT "s1"',
        "SELECT set_config('pghistory.context_id', 'x', true); INSERT INTO \"a\" VALUES (1)",
        'RELEASE SAVEPOINT "s1"',
        'UPDATE "b" SET x = 1',
        "COMMIT",
    ]
    assert data_statements(sql) == 3
    assert data_statements(["ROLLBACK", "rollback to savepoint s1"]) == 0
