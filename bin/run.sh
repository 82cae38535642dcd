#!/usr/bin/env bash
# The README's run command: set up, migrate, load the demo clinic, then run the web server,
# a Celery worker and beat together in the foreground (Ctrl-C stops all three).
# Works on the embedded defaults (SQLite, filesystem broker) or with DATABASE_URL and
# CELERY_BROKER_URL set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bin/bootstrap.sh
PY=.venv/bin/python
printf '\033[1m==> %s\033[0m\n' "Migrating the database"
$PY manage.py migrate --noinput
printf '\033[1m==> %s\033[0m\n' "Loading the demo clinic"
$PY manage.py demo_data
exec $PY -m clinic.devrun "$@"
