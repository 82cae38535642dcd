"""The timing core, shared by the clinic's harness and the peer runner (stdlib only: the peer
runner imports it from django-appointment's own virtualenv).

- ``wsgi_environ`` / ``call_wsgi``: one request through a WSGI app in-process, as a server would
  make it (HTTPS as behind the production proxy; the whole body read and the response closed,
  which fires Django's request_finished).
- ``measure``: warm-up, then interleaved repetitions: every case runs a short batch in each
  round, the order rotating from round to round, so that drift of a noisy shared machine hits
  every case alike. Ratios between cases of one run are what the report compares.
"""

from __future__ import annotations

import gc
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

HOST = "clinic.bench.localhost"


def wsgi_environ(
    method: str,
    path: str,
    *,
    query: dict | str | None = None,
    cookies: dict[str, str] | None = None,
    data: dict | None = None,
    headers: dict[str, str] | None = None,
    host: str = HOST,
    https: bool = True,
) -> dict:
    """A WSGI environ for one request. ``https`` sets both ``wsgi.url_scheme`` and the proxy's
    ``X-Forwarded-Proto`` header (the app honours SECURE_PROXY_SSL_HEADER in production)."""
    body = b""
    environ = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query if isinstance(query, str) else urlencode(query or {}, doseq=True),
        "SERVER_NAME": host,
        "SERVER_PORT": "443" if https else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "HTTP_USER_AGENT": "clinic-bench/1",
        "HTTP_ACCEPT": "text/html,application/json;q=0.9,*/*;q=0.8",
        "HTTP_ACCEPT_LANGUAGE": "en",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https" if https else "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if https:
        environ["HTTP_X_FORWARDED_PROTO"] = "https"
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if data is not None:
        body = urlencode(data, doseq=True).encode()
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = io.BytesIO(body)
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def cookies(self) -> dict[str, str]:
        """Cookies the response sets (name → value)."""
        jar = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                jar[name.strip()] = rest.split(";", 1)[0]
        return jar


def call_wsgi(app: Callable, environ: dict) -> Response:
    """Run one request; read the whole body and close the response as a server does."""
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = headers
        return lambda chunk: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Response(captured["status"], captured["headers"], body)


@dataclass
class Case:
    """One thing to time. ``call`` makes one request (or one operation); ``prepare`` runs
    before each call, untimed (e.g. a fresh request body, a cleared rate-limit counter)."""

    name: str
    call: Callable[[], object]
    batch: int = 20
    prepare: Callable[[], object] | None = None
    samples: list[float] = field(default_factory=list)
    round_medians: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def measure(cases: list[Case], *, repetitions: int = 7, warmup: int = 5) -> list[Case]:
    """Warm every case up (``warmup`` calls, or fewer once two seconds went by), then run
    ``repetitions`` interleaved rounds; fills ``samples`` (seconds per call) and
    ``round_medians``."""
    clock = time.perf_counter
    for case in cases:
        started = clock()
        for _ in range(warmup):
            if case.prepare:
                case.prepare()
            case.call()
            if clock() - started > 2.0:  # a page of seconds is warm after one call
                break
    for round_no in range(repetitions):
        shift = round_no % len(cases)
        for case in cases[shift:] + cases[:shift]:
            gc.collect()
            times = []
            for _ in range(case.batch):
                if case.prepare:
                    case.prepare()
                t0 = clock()
                case.call()
                times.append(clock() - t0)
            case.samples.extend(times)
            case.round_medians.append(statistics.median(times))
    return cases


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


# --- Machine --------------------------------------------------------------------------------
def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        # Other work on a shared machine shows here (the HTTP smoke suffers most from it).
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
    }
