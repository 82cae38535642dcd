"""Settings come from the environment: SQLite by default, PostgreSQL by URL, and production
mode refuses to start half-configured (S1)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "production-secret-key-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "clinic.example.org",
    "DATABASE_URL": "postgres://app@db.example.org:5432/clinic",
    "CELERY_BROKER_URL": "redis://redis.example.org:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "DEFAULT_FROM_EMAIL": "Clinic <noreply@clinic.example.org>",
}


def run_python(code: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    dropped = {*PROD_ENV, "VAR_DIR", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW_DB = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='clinic.settings'; "
    "from django.conf import settings as s; d=s.DATABASES['default']; "
    "print(d['ENGINE'], d.get('CONN_MAX_AGE'), d.get('CONN_HEALTH_CHECKS'), s.DEBUG, "
    "s.CELERY_BROKER_URL, s.EMAIL_BACKEND, s.TIME_ZONE, s.CLINIC_TIME_ZONE)"
)


def test_defaults_are_sqlite_console_email_and_embedded_broker(tmp_path):
    out = run_python(SHOW_DB, {"VAR_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    engine, _, _, debug, broker, email, tz, clinic_tz = out.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert debug == "True"
    assert broker == "filesystem://"
    assert email == "django.core.mail.backends.console.EmailBackend"
    assert (tz, clinic_tz) == ("UTC", "America/Los_Angeles")


def test_database_url_switches_to_postgresql_with_persistent_checked_connections(tmp_path):
    out = run_python(SHOW_DB, {"VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@h:5432/d"})
    assert out.returncode == 0, out.stderr
    engine, max_age, health, *_ = out.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert int(max_age) > 0
    assert health == "True"


@pytest.mark.parametrize("missing", sorted(PROD_ENV.keys() - {"DEBUG"}))
def test_production_refuses_to_start_without(missing, tmp_path):
    env = {**PROD_ENV, "VAR_DIR": str(tmp_path)}
    del env[missing]
    out = run_python(SHOW_DB, env)
    assert out.returncode != 0
    assert missing in out.stderr
    assert "Production mode" in out.stderr


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("DATABASE_URL", "sqlite:///x.db", "PostgreSQL"),
        ("CELERY_BROKER_URL", "filesystem://", "real broker"),
        ("EMAIL_URL", "consolemail://", "SMTP"),
        ("SECRET_KEY", "short", "50"),
    ],
)
def test_production_refuses_unsafe_values(key, value, message, tmp_path):
    out = run_python(SHOW_DB, {**PROD_ENV, key: value, "VAR_DIR": str(tmp_path)})
    assert out.returncode != 0
    assert message in out.stderr


def test_S1_check_deploy_passes_in_production_mode(tmp_path):
    out = run_python(
        "",
        {**PROD_ENV, "VAR_DIR": str(tmp_path)},
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
