"""Anonymising the audit after a retention purge, so purged health data does not survive in
the history. Runs on the purge's own connection (``using``): the app's database role may not
UPDATE these tables (see ``grants.py``), the purge role may.

What stays is the skeleton: when (``pgh_created_at``), what happened (``pgh_label``), to which
row (``pgh_obj_id`` and the row's own ``id``), in which request and by whom (``pgh_context``:
user id, URL, request id), and links that cannot be emptied (NOT NULL foreign keys: ids of rows
that no longer exist, or of the staff member who made the row). Every other snapshot column is
blanked: NULL where allowed, else the field's default or an empty value of its type; dates and
times become the event's own timestamp (which the skeleton keeps anyway).
"""

import json
import uuid

from django.db import connections, models

from .history import TRACKED_MODELS
from .models import AccessEvent

_SKELETON = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context"}
PURGED_PAGE = ""


def history_context_start(*, using: str, metadata: dict) -> str | None:
    """Make every change in the current transaction on ``using`` share one pghistory context
    (so its delete events are found afterwards, and say "retention purge"). PostgreSQL only;
    returns the context id."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    context_id = str(uuid.uuid4())
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        # Which database role did it: the skeleton's "who" for a purge.
        metadata = {**metadata, "db_user": cursor.fetchone()[0]}
        cursor.execute(
            "SELECT set_config('pghistory.context_id', %s, true), "
            "set_config('pghistory.context_metadata', %s, true)",
            [context_id, json.dumps(metadata)],
        )
    return context_id


def _blank(field: models.Field, connection) -> tuple[str, list]:
    """SQL for the blanked value of one snapshot column: (expression, params)."""
    if field.null:
        return "NULL", []
    if field.is_relation:
        return connection.ops.quote_name(field.column), []  # NOT NULL link: kept (see above)
    if field.has_default():
        value = field.get_default()
        return "%s", [field.get_db_prep_save(value, connection)]
    if isinstance(field, models.DateTimeField):
        return '"pgh_created_at"', []
    if isinstance(field, models.DateField):
        return '("pgh_created_at")::date', []
    if isinstance(field, models.TimeField):
        return "'00:00'::time", []
    if isinstance(field, models.JSONField):
        return "'{}'::jsonb", []
    if isinstance(field, models.BooleanField):
        return "false", []
    if isinstance(field, models.UUIDField):
        return "%s", [uuid.UUID(int=0)]
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        return "0", []
    if isinstance(field, (models.CharField, models.TextField)):
        return "''", []
    return connection.ops.quote_name(field.column), []  # an exotic type: left as it was


def _set_clause(event_model, connection) -> tuple[str, list]:
    tracked_pk = event_model.pgh_tracked_model._meta.pk.attname
    parts, params = [], []
    for field in event_model._meta.concrete_fields:
        if field.name in _SKELETON or field.attname == tracked_pk:
            continue
        sql, field_params = _blank(field, connection)
        parts.append(f"{connection.ops.quote_name(field.column)} = {sql}")
        params += field_params
    return ", ".join(parts), params


def _patient_columns(event_model, patient_model) -> list[str]:
    """Snapshot columns that hold the patient's id directly (e.g. ``patient_id``)."""
    columns = []
    for field in event_model._meta.concrete_fields:
        if field.name in _SKELETON:
            continue
        if field.is_relation and field.related_model is patient_model:
            columns.append(field.column)
    tracked = event_model.pgh_tracked_model
    if tracked is patient_model:
        columns.append("pgh_obj_id")
    return columns


def history_anonymise(
    *,
    using: str,
    context_id: str | None,
    patient_model: type,
    patient_ids: list[int],
    emptied: dict[type, set] | None = None,
) -> int:
    """Blank the snapshot columns of every change-history row of the objects deleted in
    context ``context_id`` (their insert, update and delete events), of every row that names
    one of ``patient_ids`` directly, and of the ``emptied`` objects (kept as anonymous stubs).
    Returns the number of event rows anonymised."""
    emptied = emptied or {}
    connection = connections[using]
    if connection.vendor != "postgresql" or context_id is None:
        return 0
    q = connection.ops.quote_name
    total = 0
    with connection.cursor() as cursor:
        for model in TRACKED_MODELS:
            event_model = model.pgh_event_model
            table = q(event_model._meta.db_table)
            set_sql, params = _set_clause(event_model, connection)
            if not set_sql:
                continue
            where = [
                f'"pgh_obj_id" IN (SELECT "pgh_obj_id" FROM {table} '
                'WHERE "pgh_context_id" = %s AND "pgh_label" = \'delete\')'
            ]
            where_params: list = [context_id]
            for column in _patient_columns(event_model, patient_model):
                where.append(f"{q(column)} = ANY(%s)")
                where_params.append(list(patient_ids))
            if emptied.get(model):
                where.append('"pgh_obj_id" = ANY(%s)')
                where_params.append(sorted(emptied[model]))
            cursor.execute(
                f"UPDATE {table} SET {set_sql} WHERE {' OR '.join(where)}",
                [*params, *where_params],
            )
            total += cursor.rowcount
    return total


def access_log_anonymise(*, using: str, patient_keys: list[str], actor_ids: list[int]) -> int:
    """The access log of purged patients keeps who read which record and when, not the page
    address (a search query in it could name the patient). Rows where a purged login was the
    reader lose its email."""
    rows = (
        AccessEvent.objects.using(using)
        .filter(patient_key__in=patient_keys)
        .exclude(page=PURGED_PAGE)
        .update(page=PURGED_PAGE)
    )
    if actor_ids:
        rows += (
            AccessEvent.objects.using(using)
            .filter(actor_id__in=actor_ids)
            .update(actor_label="(purged account)", page=PURGED_PAGE)
        )
    return rows
