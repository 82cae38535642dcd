"""S11 headers on every page, and S14: no patient identifiers in URLs, no unescaped user data
in templates."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.security.test_access_matrix import EXPECTED, ROLES, ROUTES, kwargs_for
from tests.security.world import build_world
from tests.support.urlwalk import walk

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_S11_every_page_carries_the_security_headers(django_client_factory):
    from tests.conftest import login_with_two_factor

    users, objects = build_world()
    clients = {}
    for role in ROLES[1:]:
        client = django_client_factory()
        user = getattr(users, role)
        (
            login_with_two_factor(client, user)
            if user.requires_two_factor
            else client.force_login(user)
        )
        clients[role] = client
    checked = 0
    for route in ROUTES:
        codes = EXPECTED[route.name].split()
        allowed = [r for r, c in zip(ROLES, codes, strict=True) if c == "2" and r != "anonymous"]
        if not allowed:
            continue
        response = clients[allowed[0]].get(reverse(route.name, kwargs=kwargs_for(route, objects)))
        assert response["X-Content-Type-Options"] == "nosniff", route.name
        assert response["Referrer-Policy"] == "same-origin", route.name
        if response.get("Content-Type", "").startswith("text/html"):
            csp = response["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, route.name
            assert response["X-Frame-Options"] == "DENY", route.name
        if not route.is_public:
            assert "no-store" in response["Cache-Control"], route.name
        checked += 1
    assert checked > 50


def test_S11_production_sets_hsts_and_host_prefixed_secure_cookies():
    import os
    import subprocess
    import sys

    from tests.clinic.test_settings import PROD_ENV

    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='clinic.settings';"
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    )
    env = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    env.update(PROD_ENV)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    hsts, session, csrf, s_secure, c_secure, redirect = out.stdout.split()
    assert int(hsts) >= 31536000
    assert session.startswith("__Host-") and csrf.startswith("__Host-")
    assert (s_secure, c_secure, redirect) == ("True", "True", "True")


# URL arguments are ids, a step/field/action name, or a single-purpose token: never a
# name, an email address or a birth date (S14).
ALLOWED_PARAMS = re.compile(
    r"^(id|pk|\w+_id|\w+_pk|number|step|field|action|who|token|uidb36|key|path|"
    r"app_label|object_id|model_name|content_type_id|url)$"
)


def test_S14_url_patterns_carry_no_patient_identifiers():
    bad = {
        (route.name or route.path, param)
        for route in walk()
        for param in route.params
        if not ALLOWED_PARAMS.match(param) or re.search(r"email|name|birth|dob|phone", param)
    }
    assert not bad, bad


def test_S14_templates_never_mark_data_safe():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\|\s*safe\b", line) or "{% autoescape off" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_S14_outbox_rows_for_account_links_hold_no_link():
    from clinic.notify.models import Message

    fields = {f.name for f in Message._meta.get_fields()}
    # Links that log in or reset are rendered by the worker from render_params (ids only).
    assert {"renderer", "render_params"} <= fields
