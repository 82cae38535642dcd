"""HTTP smoke: gunicorn with the production settings + wrk, only against 127.0.0.1, bounded.

Users are logged in before the timed part (sessions made through the session engine, as a
login makes them); the load tool sends ``X-Forwarded-Proto: https`` as the TLS proxy does, and
the app honours it (SECURE_PROXY_SSL_HEADER). One mixed run over the existing pages, then a
short run per page (wrk reports latency for a whole run only), then the login POST on its own
(a GET of the form and the POST, one at a time: each costs an Argon2 hash).
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

from bench.pages import PATIENT, SPECIALIST, STAFF

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


def run(
    *, seconds: int = 60, page_seconds: int = 10, connections: int = 50, workers: int = 3, log=print
) -> dict:
    from django.conf import settings

    from bench.harness import login_session
    from bench.seed import SEED_PASSWORD, email_for
    from clinic.accounts.models import User

    if shutil.which("wrk") is None:
        return {"error": "wrk is not installed (apt-get install wrk)"}
    # Sessions made before the timed part: 40 patients, 5 staff, 5 specialists.
    patients = list(
        User.objects.filter(email__in=[email_for("patient", n) for n in range(1, 41)]).order_by(
            "email"
        )
    )
    staff = list(
        User.objects.filter(email__in=[email_for("staff", n) for n in range(1, 6)]).order_by(
            "email"
        )
    )
    doctors = list(
        User.objects.filter(email__in=[email_for("dr", n) for n in range(1, 6)]).order_by("email")
    )
    cookie = settings.SESSION_COOKIE_NAME

    def sessions(users):
        return [f"{cookie}={login_session(u)}" for u in users]

    by_role = {PATIENT: sessions(patients), STAFF: sessions(staff), SPECIALIST: sessions(doctors)}
    # (page, role or None, path, weight in the mix)
    pages = [
        ("patient home", PATIENT, "/me/", 35),
        ("home dispatch (patient)", PATIENT, "/home/", 10),
        ("landing", None, "/", 20),
        ("login page", None, "/accounts/login/", 10),
        ("healthz", None, "/healthz", 5),
        ("home (staff)", STAFF, "/home/", 10),
        ("home (specialist)", SPECIALIST, "/home/", 10),
    ]

    def requests_for(role, path, weight):
        if role is None:
            return [(path, "")] * weight
        jar = by_role[role]
        return [(path, jar[i % len(jar)]) for i in range(weight)]

    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings"}  # pure production
    tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
    server_log = tmp / "gunicorn.log"
    with open(server_log, "w") as logfile:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "clinic.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
            ],
            cwd=ROOT,
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.time() + 30
        while True:
            try:
                status, _, _ = _http(
                    port, "GET", "/healthz", headers={"X-Forwarded-Proto": "https"}
                )
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not come up:\n" + server_log.read_text()[-2000:])
            time.sleep(0.3)
        # Every page answers as expected before the timed part (no redirect to the login).
        for name, role, path, _w in pages:
            jar = by_role[role][0] if role else ""
            status, headers, _ = _http(
                port, "GET", path, headers={"X-Forwarded-Proto": "https", "Cookie": jar}
            )
            location = dict((k.lower(), v) for k, v in headers).get("location", "")
            if status >= 400 or "/accounts/login/" in location:
                raise RuntimeError(f"{name} {path} answered {status} {location}")
        mix = []
        for _name, role, path, weight in pages:
            mix += requests_for(role, path, weight)
        runs = []
        log(f"  http: mixed run, {connections} connections, {seconds} s")
        runs.append(
            {
                "name": "mix of the pages below",
                **_wrk(port, _script(mix, tmp, "mix"), connections=connections, seconds=seconds),
            }
        )
        for name, role, path, _w in pages:
            log(f"  http: {name}, {page_seconds} s")
            runs.append(
                {
                    "name": f"{name} `{path}`",
                    **_wrk(
                        port,
                        _script(requests_for(role, path, 10), tmp, "page"),
                        connections=connections,
                        seconds=page_seconds,
                    ),
                }
            )
        log("  http: login POST, 20 logins one at a time")
        logins = _logins(
            port,
            list(User.objects.filter(email__in=[email_for("patient", n) for n in range(41, 61)])),
            SEED_PASSWORD,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    for r in runs:
        r["p95_ok"] = r["p95_ms"] < P95_GOAL_MS
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "setup": (
            f"gunicorn `clinic.wsgi` ({workers} sync workers, production settings, DEBUG=false) "
            f"on 127.0.0.1; wrk, 2 threads, {connections} connections, `X-Forwarded-Proto: "
            f"https`, pre-made sessions of {len(patients)} patients, {len(staff)} staff and "
            f"{len(doctors)} specialists. Mix: "
            + ", ".join(f"{n} {w}%" for n, _r, _p, w in pages)
            + ". Latency is wrk's, client side (queueing included); errors = non-2xx/3xx + "
            "socket errors. Same machine as the server (2 cores shared with wrk)."
        ),
        "runs": runs,
        "login": logins,
        "errors": sum(r["errors"] for r in runs) + logins["errors"],
    }
