"""HTTP smoke: gunicorn with the production settings under load, only against 127.0.0.1, bounded.

- **Users** (the p95 goal): locust, in its own virtualenv (``bench/load/``), runs 50 users for
  60 s over every GET page of ``bench.pages``; each user has a role (patient, staff,
  specialist, visitor), is logged in before the timed part (a session made through the session
  engine, as a login makes it), opens its role's pages at random by weight and reads each for
  a think time. Percentiles per page, from one mixed run.
- **Capacity**: wrk with the same mix and NO think time, 50 requests always in flight: the
  requests per second the machine serves (its latency is only the queue: Little's law).
- **Login POST** on its own (a GET of the form and the POST, one at a time: each costs an
  Argon2 hash by design).

Every request carries ``X-Forwarded-Proto: https`` as the TLS proxy sends it, and the app
honours it (SECURE_PROXY_SSL_HEADER). (wrk's ``delay()`` cannot model think time here: with a
server that closes each connection, as gunicorn's sync workers do, wrk counts part of the
delay in the latency.)
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
P95_GOAL_MS = 300

LUA = r"""
local reqs = {REQUESTS}
function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
end
function request()
  local r = reqs[math.random(#reqs)]
  return wrk.format("GET", r[1], {["Cookie"] = r[2], ["X-Forwarded-Proto"] = "https",
                                  ["Accept"] = "text/html"})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\"requests\": %d, \"seconds\": %.3f, \"p50_us\": %d, \"p95_us\": %d, "
    .. "\"p99_us\": %d, \"max_us\": %d, \"non_2xx_3xx\": %d, \"connect\": %d, \"read\": %d, "
    .. "\"write\": %d, \"status\": %d, \"timeout\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.status,
    e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _script(requests: list[tuple[str, str]], directory: Path, name: str) -> Path:
    """A wrk script that sends ``requests`` (path, cookie) at random, back to back."""
    body = "{" + ", ".join(f"{{{_lua_string(p)}, {_lua_string(c)}}}" for p, c in requests) + "}"
    path = directory / f"{name}.lua"
    path.write_text(LUA.replace("{REQUESTS}", body))
    return path


def _wrk(port, script, *, connections, seconds, threads=2) -> dict:
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    match = re.search(r"^RESULT (\{.*\})$", out.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(match.group(1))
    errors = raw["non_2xx_3xx"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "connections": connections,
        "seconds": seconds,
        "requests": raw["requests"],
        "requests_per_second": round(raw["requests"] / raw["seconds"], 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "error_detail": {k: raw[k] for k in ("non_2xx_3xx", "connect", "read", "write", "timeout")},
    }


def _http(port, method, path, *, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def _cookies(headers) -> dict:
    jar = {}
    for key, value in headers:
        if key.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def _logins(port: int, users: list, password: str) -> dict:
    """Log ``users`` in one at a time: GET the form (CSRF), POST it; time each pair's POST."""
    from urllib.parse import urlencode

    from django.conf import settings

    origin = f"https://127.0.0.1:{port}"
    times, errors = [], 0
    for user in users:
        status, headers, body = _http(
            port, "GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"}
        )
        cookies = _cookies(headers)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or token is None or settings.CSRF_COOKIE_NAME not in cookies:
            errors += 1
            continue
        form = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1).decode(),
                "login": user.email,
                "password": password,
            }
        )
        t0 = time.perf_counter()
        status, headers, _ = _http(
            port,
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "X-Forwarded-Proto": "https",
                "Origin": origin,
                "Referer": origin + "/",
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"{settings.CSRF_COOKIE_NAME}={cookies[settings.CSRF_COOKIE_NAME]}",
            },
        )
        times.append(time.perf_counter() - t0)
        if status != 302 or settings.SESSION_COOKIE_NAME not in _cookies(headers):
            errors += 1
    times.sort()

    def pct(p):
        return times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))] * 1000

    return {
        "logins": len(users),
        "p50_ms": pct(50) if times else 0,
        "p95_ms": pct(95) if times else 0,
        "errors": errors,
    }


LOAD_DIR = ROOT / "bench" / "load"
# How often each page comes up among its role's pages (pages of bench.pages not named: 5).
WEIGHTS = {
    "patient home": 20,
    "home dispatch": 4,
    "landing": 10,
    "login page": 6,
    "healthz": 2,
    "free slots (specialist's week)": 10,
    "my appointments": 8,
    "my treatment + progress chart": 8,
    "screen queue page 1": 8,
    "staff calendar day": 8,
    "patient chart": 8,
    "specialist dashboard": 8,
}
# The share of each kind of user among the 50.
ROLE_WEIGHTS = {"patient": 55, "staff": 15, "specialist": 15, "anonymous": 15}
# Think time of a user between two pages (seconds): a clinic's users read each page. Without
# it 50 connections are not 50 users but 50 requests always in flight: that saturation run is
# made too (wrk) and reported as the capacity, but it is not what the p95 goal is about.
THINK_SECONDS = (0.5, 1.5)


def smoke_pages(world) -> list[dict]:
    """Every GET page of the benchmark: name, role, path (with its query), weight, status."""
    from urllib.parse import urlencode

    from bench.pages import PAGES

    rows = []
    for page in PAGES:
        if not page.on_main or page.method != "GET":
            continue
        path = page.url(world)
        if page.query:
            path += "?" + urlencode(page.query(world), doseq=True)
        name = page.name if page.name != "home dispatch" else f"home ({page.role})"
        rows.append(
            {
                "name": name,
                "role": page.role,
                "path": path,
                "weight": WEIGHTS.get(page.name, 5),
                "status": list(page.status),
            }
        )
    return rows


def _start_gunicorn(port: int, workers: int | None, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings"}  # pure production
    command = [str(Path(sys.executable).parent / "gunicorn"), "clinic.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}"]  # the rest from gunicorn.conf.py
    if workers:
        command += ["--workers", str(workers)]
    with open(log_path, "w") as logfile:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT
        )
    deadline = time.time() + 30
    while True:
        try:
            status, _, _ = _http(port, "GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            if status == 200:
                return server
        except OSError:
            pass
        if time.time() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError("gunicorn did not come up:\n" + log_path.read_text()[-2000:])
        time.sleep(0.3)


def _locust(python: Path, port: int, config: dict, tmp: Path, *, users: int, seconds: int):
    """Run locust headless with ``config``; return its per-page and total rows, and the text
    of its failures file."""
    config_path = tmp / "load.json"
    config_path.write_text(json.dumps(config))
    prefix = tmp / "locust"
    out = subprocess.run(
        [
            str(python.parent / "locust"),
            "-f",
            str(LOAD_DIR / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--reset-stats",  # from when all users are running
            "--stop-timeout",
            "5",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        env={**os.environ, "CLINIC_LOAD_CONFIG": str(config_path)},
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(
            f"locust wrote no statistics:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        )
    failures = Path(f"{prefix}_failures.csv")
    return read_stats(stats), failures.read_text() if failures.exists() else ""


def read_stats(path: Path) -> list[dict]:
    """The rows of locust's ``*_stats.csv``: one per page (by request name), then
    "Aggregated" for all of them."""
    import csv

    rows = []
    with Path(path).open(newline="") as f:
        for row in csv.DictReader(f):
            rows.append(
                {
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "errors": int(row["Failure Count"]),
                    "requests_per_second": round(float(row["Requests/s"]), 1),
                    "p50_ms": float(row["50%"]),
                    "p95_ms": float(row["95%"]),
                    "p99_ms": float(row["99%"]),
                    "max_ms": float(row["Max Response Time"]),
                }
            )
    return rows


def run(
    *,
    seconds: int = 60,
    saturation_seconds: int = 20,
    users: int = 50,
    workers: int | None = None,
    log=print,
) -> dict:
    from django.conf import settings

    from bench.harness import login_session
    from bench.pages import ANONYMOUS, World
    from bench.provision import ensure_venv

    python = ensure_venv(LOAD_DIR / ".venv", LOAD_DIR / "requirements.txt", log=log)
    world = World()
    pages = smoke_pages(world)
    # Sessions made before the timed part: the pages' URLs are each role's benchmark user's
    # (their intake, their patient's chart), so each role's users share that login, in
    # separate sessions (one per user, as separate browsers).
    cookie = settings.SESSION_COOKIE_NAME
    roles = {}
    for role in dict.fromkeys(p["role"] for p in pages):
        role_pages = [p for p in pages if p["role"] == role]
        share = ROLE_WEIGHTS.get(role, 10)
        cookies = []
        if role != ANONYMOUS:
            count = max(1, round(users * share / sum(ROLE_WEIGHTS.values())) + 2)
            cookies = [f"{cookie}={login_session(world.user(role))}" for _ in range(count)]
        roles[role] = {"weight": share, "cookies": cookies, "pages": role_pages}
    config = {"think_seconds": list(THINK_SECONDS), "roles": roles}

    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
    server = _start_gunicorn(port, workers, tmp / "gunicorn.log")
    saturation = None
    try:

        def get(page):
            jar = roles[page["role"]]["cookies"][:1]
            headers = {"X-Forwarded-Proto": "https", "Cookie": jar[0] if jar else ""}
            return _http(port, "GET", page["path"], headers=headers)

        # Every page answers as expected before the timed part (no redirect to the login).
        for page in pages:
            status, headers, _ = get(page)
            location = dict((k.lower(), v) for k, v in headers).get("location", "")
            if status not in page["status"] or "/accounts/login/" in location:
                raise RuntimeError(f"{page['name']} {page['path']} answered {status} {location}")
        # Warm-up, untimed: every worker process answers every page a few times (its first
        # requests compile templates and open its database connection).
        for _round in range(2 * max(1, _worker_count(server.pid))):
            for page in pages:
                get(page)
        log(f"  http: locust, {users} users, {seconds} s")
        rows, failure_detail = _locust(python, port, config, tmp, users=users, seconds=seconds)
        if shutil.which("wrk"):
            log(f"  http: saturation (wrk, no think time), {saturation_seconds} s")
            mix = []
            for page in pages:
                jar = roles[page["role"]]["cookies"] or [""]
                mix += [(page["path"], jar[i % len(jar)]) for i in range(page["weight"])]
            saturation = {
                "name": "mix, no think time",
                **_wrk(
                    port,
                    _script(mix, tmp, "saturation"),
                    connections=users,
                    seconds=saturation_seconds,
                ),
            }
        log("  http: login POST, 20 logins one at a time")
        from bench.seed import SEED_PASSWORD, email_for
        from clinic.accounts.models import User

        logins = _logins(
            port,
            list(User.objects.filter(email__in=[email_for("patient", n) for n in range(41, 61)])),
            SEED_PASSWORD,
        )
        gunicorn_workers = _worker_count(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    shutil.rmtree(tmp, ignore_errors=True)
    paths = {p["name"]: p["path"] for p in pages}
    for row in rows:
        row["path"] = paths.get(row["name"])
        row["p95_ok"] = row["p95_ms"] < P95_GOAL_MS
    share = sum(ROLE_WEIGHTS[r] for r in roles)
    return {
        "setup": (
            f"gunicorn `clinic.wsgi` with `gunicorn.conf.py` ({gunicorn_workers} sync workers, "
            "production settings, DEBUG=false) on 127.0.0.1; locust (headless, its own "
            f"virtualenv) with {users} users for {seconds} s after all were started: "
            + ", ".join(f"{round(100 * ROLE_WEIGHTS[r] / share)}% {r}" for r in roles)
            + f", each opening its role's pages at random by weight and reading each "
            f"{THINK_SECONDS[0]}-{THINK_SECONDS[1]} s; sessions made before the timed part; "
            "`X-Forwarded-Proto: https`. Latency is the client's (queueing included); an error "
            "is any status the page does not expect (a redirect to the login counts). Same "
            "machine as the server: 2 cores shared by gunicorn, PostgreSQL and locust."
        ),
        "think_seconds": list(THINK_SECONDS),
        "users": users,
        "seconds": seconds,
        "workers": gunicorn_workers,
        "pages": rows,
        "failures": failure_detail,
        "saturation": saturation,
        "login": logins,
        "errors": sum(r["errors"] for r in rows if r["name"] != "Aggregated")
        + (saturation["errors"] if saturation else 0)
        + logins["errors"],
        "p95_ok": all(r["p95_ok"] for r in rows),
    }


def _worker_count(master_pid: int) -> int:
    """How many worker processes the gunicorn master runs (its children)."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return 0
    return len(children)
