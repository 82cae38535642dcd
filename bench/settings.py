"""Production-like settings for the benchmark: the clinic's own settings with DEBUG=false.

Production mode refuses to start without its secrets and services, so the variables it needs
are given local values here (only if the environment has none; DEBUG is always false). The
only differences from production: the bench URLconf (``bench.urls`` adds the bare views) and
the ``bench`` app (its management commands). Use with
``DJANGO_SETTINGS_MODULE=bench.settings`` or through ``python -m bench``.
"""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent

os.environ["DEBUG"] = "false"
for _name, _value in {
    # Local values only: the benchmark never runs against a real deployment.
    "SECRET_KEY": "bench-only-local-secret-key-" + "0123456789abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "clinic.bench.localhost,localhost,127.0.0.1",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/clinic_bench",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/7",
    "EMAIL_URL": "smtp://127.0.0.1:2525",
    "DEFAULT_FROM_EMAIL": "Dry Hands Clinic <noreply@clinic.bench.localhost>",
    "VAR_DIR": str(_ROOT / "bench" / "var"),
    "LOG_LEVEL": "WARNING",
}.items():
    os.environ.setdefault(_name, _value)

from clinic.settings import *  # noqa: E402,F403
from clinic.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"

# The security log's successful-login lines would flood the benchmark's output (the login POST
# is timed hundreds of times); warnings and failures still show.
LOGGING["loggers"]["clinic.security"]["level"] = "WARNING"  # noqa: F405
