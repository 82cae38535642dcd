"""S15: hostile input to every form never 500s; a refused form writes nothing and escapes
what it shows back."""

import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login_with_two_factor
from tests.security.test_access_matrix import EXPECTED, ROLES, ROUTES, _table_counts, kwargs_for
from tests.security.world import build_world

SCRIPT = "<script>alert('x')</script>"
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            SCRIPT,
            "' OR 1=1 --",
            "Robert'); DROP TABLE patients_patient;--",
            "\x00",
            "A" * 100_000,
            "-1",
            "0",
            "999999999999999999999999",
            "2020-13-45",
            "2026-02-30T25:61",
            "999999",
            "💧🙂" * 20,
            "",
            "on",
            "true",
            "null",
        ]
    ),
)
# Where the role allowed to use a URL is known from the access matrix, post as that role.
POST_TARGETS = [
    r
    for r in ROUTES
    if any(c == "2" for c in EXPECTED[r.name].split()[1:]) and r.name not in {"set_language"}
]
_cache: dict = {}


def _world(key, factory):
    """Build the clinic once per test run; keep only the URLs that accept a POST."""
    if key not in _cache:
        _cache.clear()
        users, objects = build_world()
        targets = []
        for route in POST_TARGETS:
            client = _client(factory, users, _role_for(route))
            url = reverse(route.name, kwargs=kwargs_for(route, objects))
            if client.post(url, {}).status_code != 405:
                targets.append(route)
        _cache[key] = (users, objects, {}, targets)
    return _cache[key]


def _role_for(route) -> str:
    codes = EXPECTED[route.name].split()
    return ROLES[1:][[c == "2" for c in codes[1:]].index(True)]


def _client(factory, users, role):
    client = factory()
    user = getattr(users, role)
    if user.requires_two_factor:
        login_with_two_factor(client, user)
    else:
        client.force_login(user)
    return client


@pytest.mark.django_db
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_S15_hostile_posts_never_500_and_refusals_write_nothing(django_client_factory, data):
    users, objects, fields_by_route, targets = _world(
        id(django_client_factory), django_client_factory
    )
    assert len(targets) >= 15
    route = data.draw(st.sampled_from(targets), label="route")
    client = _client(django_client_factory, users, _role_for(route))
    url = reverse(route.name, kwargs=kwargs_for(route, objects))
    if route.name not in fields_by_route:
        page = client.get(url)
        html = page.content.decode(errors="ignore") if page.status_code == 200 else ""
        fields_by_route[route.name] = sorted(
            set(re.findall(r'name="([\w\-]+)"', html)) - {"csrfmiddlewaretoken"}
        )
    names = fields_by_route[route.name] + ["owner", "status", "patient", "user", "is_staff"]
    payload = data.draw(st.dictionaries(st.sampled_from(names), HOSTILE, max_size=len(names)))
    before = _table_counts()
    response = client.post(url, payload)
    assert response.status_code < 500, (route.name, payload)
    if response.status_code == 200:  # the form came back with its errors
        body = response.content.decode(errors="ignore")
        assert SCRIPT not in body, f"{route.name} echoed a script unescaped"
        assert _table_counts() == before, f"{route.name} wrote despite refusing the form"
