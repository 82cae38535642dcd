"""The clinic's Celery app plus the test-only reminder kind, for the worker subprocess of the
integration tests: ``python -m celery -A tests.support.worker_app worker``."""

from clinic.celery import app
from tests.support import reminder_kinds

reminder_kinds.register()

__all__ = ["app"]
