"""Reads for the privacy officer: everything that happened to one patient's record."""

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection, models

from .history import TRACKED_MODELS
from .models import AccessEvent
from .services import patient_key

# pghistory's own columns, not part of the tracked row.
_PGH_FIELDS = {
    "pgh_id",
    "pgh_created_at",
    "pgh_label",
    "pgh_obj",
    "pgh_context",
    "pgh_obj_id",
    "pgh_context_id",
}


def patient_path(model: type[models.Model], patient_model: type[models.Model]) -> str | None:
    """The ORM path from ``model`` to its patient ("" for the patient itself), found by
    following foreign keys (and one-to-one links) up to three steps; None if there is none."""
    if model is patient_model:
        return ""
    seen = {model}
    queue = deque([(model, "")])
    while queue:
        current, path = queue.popleft()
        if path.count("__") >= 3:
            continue
        for f in current._meta.get_fields():
            if not (f.is_relation and (f.many_to_one or f.one_to_one)) or f.related_model is None:
                continue
            step = f"{path}__{f.name}" if path else f.name
            if f.related_model is patient_model:
                return step
            if f.related_model not in seen and f.concrete:
                seen.add(f.related_model)
                queue.append((f.related_model, step))
    return None


@dataclass
class Change:
    at: datetime
    what: str
    object_pk: str
    action: str
    actor_id: int | None
    url: str
    changes: dict = field(default_factory=dict)  # field -> (before, after)


def _fields(event) -> dict:
    return {
        f.attname: getattr(event, f.attname)
        for f in event._meta.concrete_fields
        if f.name not in _PGH_FIELDS and f.attname not in _PGH_FIELDS
    }


def patient_changes(*, patient, limit: int = 1000) -> tuple[list[Change], list[str]]:
    """Every recorded insert, update and delete of this patient's data, newest first, with the
    fields that changed. Also returns the names of tracked models it could not place."""
    if connection.vendor != "postgresql":
        return [], ["the change history is recorded on PostgreSQL only"]
    patient_model = type(patient)
    changes: list[Change] = []
    unplaced = []
    for model in TRACKED_MODELS:
        path = patient_path(model, patient_model)
        if path is None:
            unplaced.append(model._meta.verbose_name)
            continue
        ids = (
            [patient.pk]
            if path == ""
            else list(model.objects.filter(**{path: patient}).values_list("pk", flat=True))
        )
        if not ids:
            continue
        events = (
            model.pgh_event_model.objects.filter(pgh_obj_id__in=ids)
            .select_related("pgh_context")
            .order_by("pgh_obj_id", "pgh_id")
        )
        previous: dict = {}
        for event in events:
            now = _fields(event)
            before = previous.get(event.pgh_obj_id)
            diff = (
                {k: (before.get(k), v) for k, v in now.items() if before.get(k) != v}
                if before is not None
                else {}
            )
            previous[event.pgh_obj_id] = now
            meta = event.pgh_context.metadata if event.pgh_context_id else {}
            changes.append(
                Change(
                    at=event.pgh_created_at,
                    what=str(model._meta.verbose_name),
                    object_pk=str(event.pgh_obj_id),
                    action=event.pgh_label,
                    actor_id=meta.get("user"),
                    url=meta.get("url", ""),
                    changes=diff,
                )
            )
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes[:limit], unplaced


def patient_reads(*, patient, limit: int = 1000) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(patient_key=patient_key(patient)).order_by("-at")[:limit]
    )


def actor_labels(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "email"))
