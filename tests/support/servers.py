"""Real servers for the integration tests, private to the test and on spare ports.

- ``PrivatePostgres``: a throw-away cluster (initdb + pg_ctl, fsync off), run as the postgres
  user when the tests run as root (PostgreSQL refuses root). Can be stopped and restarted.
- ``PrivateRedis``: ``redis-server`` on a spare port, no persistence. Can be stopped and
  started again on the same port.
- ``CeleryWorker``: a real ``celery worker`` subprocess in its own process group, so
  ``kill()`` can SIGKILL the whole worker (parent and pool children) like a crash.
- ``GunicornServer``: the WSGI app served by one sync worker (persistent DB connections).

These never touch the machine's shared PostgreSQL or Redis.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


_LOGS: list[Path] = []


def _log_file(prefix: str) -> Path:
    """A log file for a subprocess, removed when the test run ends (KEEP_SERVER_LOGS=1 keeps
    them for a post-mortem)."""
    path = Path(tempfile.mkstemp(prefix=prefix, suffix=".log")[1])
    _LOGS.append(path)
    return path


@atexit.register
def _remove_logs() -> None:
    if not os.environ.get("KEEP_SERVER_LOGS"):
        for path in _LOGS:
            path.unlink(missing_ok=True)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- PostgreSQL -----------------------------------------------------------------------------
class PrivatePostgres:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="clinic-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "postgres.log"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr}\n{_tail(self.log)}")
        return result

    def init(self) -> PrivatePostgres:
        self.socket_dir.mkdir()
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        return self

    def start(self) -> PrivatePostgres:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log),
            "-w", "-t", "30", "start",
        )  # fmt: skip
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        result = self._run(
            str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", dbname, "-At", "-c", sql,
        )  # fmt: skip
        return result.stdout.strip()

    def cleanup(self) -> None:
        try:
            self.stop(mode="immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# --- Redis ----------------------------------------------------------------------------------
class PrivateRedis:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: port_open(self.port), timeout=timeout, what=f"redis on {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
        wait_until(lambda: not port_open(self.port), timeout=10, what="redis to stop")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


# --- Celery worker --------------------------------------------------------------------------
def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for a subprocess, from Django's connection settings (the test DB)."""
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


def worker_env(*, database_url: str, broker_url: str, smtp_port: int | None = None, **extra):
    """Environment for a worker subprocess: the given database, broker and SMTP server, and
    short NOTIFY_* timings so the tests run in seconds."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "PYTHONPATH": str(BASE_DIR),
            "DEBUG": "true",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_TIMEOUT": "2",
            "NOTIFY_RETRY_BACKOFF_SECONDS": "0.3",
            "NOTIFY_RETRY_BACKOFF_MAX_SECONDS": "1",
            "NOTIFY_STUCK_AFTER_SECONDS": "3",
            "NOTIFY_SWEEP_PENDING_AFTER_SECONDS": "2",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if smtp_port is not None:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    env.update({key: str(value) for key, value in extra.items()})
    return env


class CeleryWorker:
    def __init__(
        self,
        *,
        env: dict,
        concurrency: int = 2,
        app: str = "tests.support.worker_app",
        name: str = "it",
    ):
        self.env = env
        self.concurrency = concurrency
        self.app = app
        self.name = f"{name}-{os.getpid()}-{time.monotonic_ns()}"
        self.log = _log_file("clinic-worker-")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> CeleryWorker:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", self.app, "worker",
                    "--loglevel", "INFO", "--pool", "prefork",
                    "--concurrency", str(self.concurrency),
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "--hostname", f"{self.name}@%h",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() takes the pool too
            )  # fmt: skip
        try:
            wait_until(self._ready, timeout=timeout, interval=0.2, what="the worker to be ready")
        except TimeoutError:
            self.kill()
            raise RuntimeError(f"Celery worker did not start:\n{self.log_tail()}") from None
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"Celery worker exited:\n{self.log_tail()}")
        return " ready." in self.log.read_text(errors="replace")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: a crash, no cleanup."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """Warm shutdown (SIGTERM): finish the current tasks, then exit."""
        if self.process is None or self.process.poll() is not None:
            return
        # The parent only: it lets its pool processes finish their tasks and exit.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.kill()  # any pool process left behind

    def log_tail(self, lines: int = 80) -> str:
        return _tail(self.log, lines)


# --- Gunicorn -------------------------------------------------------------------------------
class GunicornServer:
    """The clinic's WSGI app in one sync gunicorn worker: one thread, so one persistent
    database connection reused across requests (CONN_MAX_AGE)."""

    def __init__(self, *, env: dict, port: int | None = None):
        self.env = env
        self.port = port or free_port()
        self.log = _log_file("clinic-gunicorn-")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> GunicornServer:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "clinic.wsgi:application",
                    "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                    "--worker-class", "sync", "--timeout", "30",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_until(lambda: port_open(self.port), timeout=timeout, what="gunicorn to listen")
        return self

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}{path}", timeout=timeout
            ) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log, lines)
