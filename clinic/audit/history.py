"""Change history of patient data (django-pghistory: database triggers, so bulk updates are
recorded too). Decorate every model that holds patient data with ``@track_patient_data()``.

Triggers exist on PostgreSQL only; on SQLite nothing is recorded (the admin says so)."""

import pghistory

TRACKED_MODELS: list[type] = []


def track_patient_data(*, exclude: tuple[str, ...] = ()):
    """Record insert, update and delete snapshots (before/after) with the request context."""
    tracker = pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        exclude=list(exclude) or None,
    )

    def decorator(model):
        TRACKED_MODELS.append(model)
        return tracker(model)

    return decorator
