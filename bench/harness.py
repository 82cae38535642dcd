"""The in-process page benchmark: the WSGI app with the production middleware, real sessions.

``Browser`` builds requests as the production proxy hands them over (HTTPS, the
``X-Forwarded-Proto`` header), with a session made through the session engine exactly as a
login makes it: the auth keys, allauth's authentication records (with the second factor for
the roles that need one) and the idle/absolute timeout stamps.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from importlib import import_module

from django.conf import settings
from django.db import connection
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.crypto import get_random_string

from bench.pages import ANONYMOUS, PAGES, Page, World
from bench.timing import HOST, Case, Response, call_wsgi, measure, ratio, wsgi_environ

AUTH_BACKEND = "clinic.accounts.backends.ClinicBackend"


def login_session(user) -> str:
    """Create a logged-in session for ``user`` in the session store; return its key."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from clinic.accounts.sessions import LAST_SEEN, LOGGED_IN_AT

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email}]
    if user.requires_two_factor:
        records.append({"method": "mfa", "at": now, "type": "totp"})
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = AUTH_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[AUTHENTICATION_METHODS_SESSION_KEY] = records
    store[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    store[LOGGED_IN_AT] = now
    store[LAST_SEEN] = now
    store.create()
    return store.session_key


class Browser:
    """One visitor: cookies (session, CSRF) and requests through the WSGI app."""

    def __init__(self, app, user=None, *, https: bool = True):
        self.app = app
        self.user = user
        self.https = https
        # A CSRF secret as Django makes one (32 letters and digits; '-' or '_' would be refused).
        self.csrf_secret = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
        self.cookies = {settings.CSRF_COOKIE_NAME: self.csrf_secret}
        if user is not None:
            self.cookies[settings.SESSION_COOKIE_NAME] = login_session(user)

    def environ(self, method: str, path: str, *, data=None, query=None, headers=None) -> dict:
        headers = dict(headers or {})
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            scheme = "https" if self.https else "http"
            headers.setdefault("Origin", f"{scheme}://{HOST}")
            headers.setdefault("Referer", f"{scheme}://{HOST}{path}")
            data = {"csrfmiddlewaretoken": self.csrf_secret, **(data or {})}
        return wsgi_environ(
            method,
            path,
            query=query,
            cookies=self.cookies,
            data=data,
            headers=headers,
            https=self.https,
        )

    def request(self, method: str, path: str, **kwargs) -> Response:
        return call_wsgi(self.app, self.environ(method, path, **kwargs))

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)


# Transaction control: a POST runs in one transaction (BEGIN ... COMMIT). These statements read
# and write nothing, so the budgets count the other statements; the report shows both.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def is_transaction_control(sql: str) -> bool:
    return sql.lstrip().upper().startswith(TRANSACTION_CONTROL)


def data_statements(sql: list[str]) -> int:
    return sum(1 for s in sql if not is_transaction_control(s))


class PageError(RuntimeError):
    pass


def _page_call(page: Page, world: World, browser: Browser):
    path = page.url(world)
    query = page.query(world) if page.query else None

    def call():
        data = page.data(world) if page.data else None
        return browser.request(page.method, path, data=data, query=query, headers=page.headers)

    return path, call


def count_queries(call) -> tuple[object, list[str]]:
    """Run ``call`` once; return its result and every SQL statement it ran (exactly: Django's
    log keeps only the last 9000, so a larger one is put in place first)."""
    connection.queries_log = deque(maxlen=10**7)
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, [q["sql"] for q in captured.captured_queries]


def _batch_for(seconds: float, *, target: float = 0.05, most: int = 20) -> int:
    """Requests per round: about ``target`` seconds of work, 1 to ``most``."""
    return max(1, min(most, int(target / max(seconds, 1e-6))))


def run_pages(
    *,
    pages: list[Page] | None = None,
    repetitions: int = 7,
    warmup: int = 5,
    log=print,
    world: World | None = None,
) -> dict:
    """Time every page on main and its references; return the rows of the report."""
    from django.core.wsgi import get_wsgi_application

    pages = PAGES if pages is None else pages
    app = get_wsgi_application()
    world = World() if world is None else world
    roles = sorted({p.role for p in pages if p.on_main and p.role != ANONYMOUS})
    browsers = {ANONYMOUS: Browser(app)}
    for role in roles:
        browsers[role] = Browser(app, world.user(role))

    # References: the bare view, and the logged-in bare view of each role.
    refs = {"bare": (ANONYMOUS, reverse("bench_bare"))}
    for role in roles:
        refs[f"bare-user:{role}"] = (role, reverse("bench_bare_user"))

    cases: list[Case] = []
    info: dict[str, dict] = {}
    for key, (role, path) in refs.items():
        browser = browsers[role]
        response, sql = count_queries(lambda b=browser, p=path: b.get(p))
        if response.status != 200:
            raise PageError(f"reference {key} answered {response.status}")
        if role != ANONYMOUS and response.body.decode() != str(world.user(role).pk):
            raise PageError(f"reference {key} did not see the logged-in {role}")
        info[key] = {
            "role": role,
            "path": path,
            "queries": len(sql),
            "data_queries": data_statements(sql),
            "sql": sql,
        }
        cases.append(Case(key, lambda b=browser, p=path: b.get(p), batch=20))

    for page in pages:
        if not page.on_main:
            continue
        browser = browsers[page.role]
        path, call = _page_call(page, world, browser)
        if page.prepare:
            page.prepare(world)
        t0 = time.perf_counter()
        response, sql = count_queries(call)
        once = time.perf_counter() - t0
        if response.status not in page.status:
            raise PageError(
                f"{page.key} {page.method} {path} answered {response.status}, "
                f"expected {page.status}"
            )
        info[page.key] = {
            "role": page.role,
            "path": path,
            "queries": len(sql),
            "data_queries": data_statements(sql),
            "sql": sql,
            "status": response.status,
        }
        prepare = (lambda p=page: p.prepare(world)) if page.prepare else None
        cases.append(Case(page.key, call, batch=_batch_for(once), prepare=prepare))

    log(f"  timing {len(cases)} cases: {repetitions} interleaved rounds after {warmup} warm-up")
    measure(cases, repetitions=repetitions, warmup=warmup)
    medians = {c.name: c.median for c in cases}
    rounds = {c.name: c.round_medians for c in cases}
    batches = {c.name: c.batch for c in cases}
    bare = medians["bare"]

    def timing(key):
        return {
            "median_us": round(medians[key] * 1e6, 1),
            "round_medians_us": [round(x * 1e6, 1) for x in rounds[key]],
            "requests": len(rounds[key]) * batches[key],
        }

    references = {}
    for key in refs:
        references[key] = {
            **{k: info[key][k] for k in ("role", "path", "queries")},
            **timing(key),
            "x_bare": ratio(medians[key], bare),
        }

    rows = []
    for page in pages:
        row = {
            "name": page.name,
            "role": page.role,
            "method": page.method,
            "key": page.key,
            "budget": page.budget,
            "goal": page.goal,
            "note": page.note,
            "on_main": page.on_main,
        }
        if page.on_main:
            got = info[page.key]
            floor_key = "bare" if page.role == ANONYMOUS else f"bare-user:{page.role}"
            # Beyond session/user: the data statements beyond the floor's.
            extra = got["data_queries"] - info[floor_key]["data_queries"]
            x_bare = ratio(medians[page.key], bare)
            row.update(
                path=got["path"],
                status=got["status"],
                queries=got["queries"],
                transaction_control=got["queries"] - got["data_queries"],
                extra_queries=extra,
                over_budget=page.budget is not None and extra > page.budget,
                sql=got["sql"],
                **timing(page.key),
                x_bare=x_bare,
                x_bare_user=ratio(medians[page.key], medians[floor_key]),
                floor=floor_key,
                over_goal=page.goal is not None and x_bare > page.goal,
            )
        rows.append(row)
    spread = {
        k: round(statistics.pstdev(v) / statistics.mean(v), 3) if len(v) > 1 else 0.0
        for k, v in rounds.items()
    }
    return {"references": references, "pages": rows, "round_spread": spread}
