"""The retention settings: RETENTION_YEARS (default 7), the purge's own database alias
(PURGE_DATABASE_URL, else the app's own settings) and the daily beat entry."""

import json

from tests.clinic.test_settings import run_python

SHOW = (
    "import django, os, json; os.environ['DJANGO_SETTINGS_MODULE']='clinic.settings'; "
    "from django.conf import settings as s; p=s.DATABASES['purge']; d=s.DATABASES['default']; "
    "print(json.dumps([s.RETENTION_YEARS, p['NAME'], p.get('USER'), d.get('USER'), "
    "p['TEST'], p['CONN_MAX_AGE'], s.CELERY_BEAT_SCHEDULE['patients-retention-purge']['task']]))"
)


def test_defaults_seven_years_and_the_purge_uses_the_apps_own_database(tmp_path):
    out = run_python(SHOW, {"VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://app@h:5432/d"})
    assert out.returncode == 0, out.stderr
    years, name, user, app_user, test, max_age, task = json.loads(out.stdout)
    assert (years, name, user, app_user) == (7, "d", "app", "app")
    assert test == {"MIRROR": "default"} and max_age == 0
    assert task == "patients.tasks.retention_purge"


def test_the_purge_connects_as_its_own_role_when_configured(tmp_path):
    out = run_python(
        SHOW,
        {
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://app@h:5432/d",
            "PURGE_DATABASE_URL": "postgres://purger@h:5432/d",
            "RETENTION_YEARS": "10",
        },
    )
    assert out.returncode == 0, out.stderr
    years, name, user, app_user, *_ = json.loads(out.stdout)
    assert (years, name, user, app_user) == (10, "d", "purger", "app")


def test_the_task_is_registered_under_the_beat_name():
    from clinic.celery import app

    assert "patients.tasks.retention_purge" in app.tasks
