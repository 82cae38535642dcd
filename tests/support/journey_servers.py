"""The real parts behind the browser journeys: a private Redis on a spare port and a real
Celery worker subprocess on it, pointed at the test database and at a real SMTP server.

The web app itself is pytest-django's ``live_server`` (in-process, threaded); with
``transaction=True`` its writes are committed, so the worker sees them. The test process
publishes its tasks (the outbox's ``send_message``) to the private Redis instead of running
them inline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kombu import pools as kombu_pools

from clinic.celery import app

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


class Redis:
    """``redis-server`` on a spare port, no persistence: nothing shared with other runs."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(lambda: _port_open(self.port), timeout=10, what="redis")
        return self

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


class Worker:
    """``celery -A clinic worker`` in its own process group, on the given environment."""

    def __init__(self, *, database_url: str, broker_url: str, smtp_port: int, site_url: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "clinic.settings",
                "PYTHONPATH": str(BASE_DIR),
                "DEBUG": "true",
                "DATABASE_URL": database_url,
                "CELERY_BROKER_URL": broker_url,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "EMAIL_TIMEOUT": "5",
                "SITE_URL": site_url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env = env
        self.log = Path(tempfile.mkstemp(prefix="journey-worker-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self, *, wait: bool = True, timeout: float = 60) -> Worker:
        """Start the worker; with ``wait=False`` return at once (tasks wait in the broker
        until it is ready, so its start overlaps the test's first steps)."""
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "clinic", "worker",
                    "--loglevel", "INFO", "--pool", "solo",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "--hostname", f"journey-{os.getpid()}@%h",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

        if wait:
            _wait(self.ready, timeout=timeout, what="the Celery worker")
        return self

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited:\n{self.log_tail()}")
        return " ready." in self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.log.unlink(missing_ok=True)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _reset_producer_pools() -> None:
    kombu_pools.reset()
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.__dict__["amqp"]._producer_pool = None


@contextlib.contextmanager
def publishing_to(broker_url: str):
    """This process (the live server's threads included) publishes real tasks to
    ``broker_url`` instead of running them inline."""
    previous = app.conf.broker_url, app.conf.task_always_eager, os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = broker_url  # Celery reads it before its configuration
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = False
    _reset_producer_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager, env_before = previous
        if env_before is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = env_before
        _reset_producer_pools()
