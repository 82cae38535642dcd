"""The access log: every staff, specialist or admin read of a patient's record (S12)."""

from django.db import connection, models
from django.utils import timezone

from .models import AccessEvent


def patient_key(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _is_logged(user) -> bool:
    return user.is_authenticated and not (user.is_patient and not user.requires_two_factor)


def access_record(
    *,
    request,
    obj: models.Model,
    patient: models.Model | None = None,
) -> AccessEvent | None:
    """Record that ``request.user`` read ``obj`` (belonging to ``patient``) on this page.

    Patients reading their own record are not logged (it is theirs); every other reader is.
    """
    if not _is_logged(request.user):
        return None
    return AccessEvent.objects.create(**_event_fields(request, obj, patient))


def access_record_many(*, request, items) -> int:
    """Like ``access_record`` for a list page: one event per (obj, patient) shown, written in
    one INSERT so the page's query count does not grow with its rows. Returns how many."""
    return _insert_events(
        request,
        [
            (obj._meta.label_lower, str(obj.pk), patient_key(patient) if patient else "")
            for obj, patient in items
        ],
    )


def access_record_keys(*, request, model, patient_model, pairs) -> int:
    """``access_record_many`` for a page that read plain values, not model instances (a
    calendar of hundreds of rows): ``pairs`` are (object pk, patient pk) of ``model``."""
    label = model._meta.label_lower
    owner = patient_model._meta.label_lower
    return _insert_events(request, [(label, str(pk), f"{owner}:{ppk}") for pk, ppk in pairs])


def _insert_events(request, targets: list[tuple[str, str, str]]) -> int:
    """One INSERT of an event per (model label, object pk, patient key), the request's fields
    shared: no model instance per row (a list page may show hundreds)."""
    if not targets or not _is_logged(request.user):
        return 0
    fields = _event_fields(request, None, None)
    if connection.vendor != "postgresql":  # the SQLite of `make run`: no arrays
        AccessEvent.objects.bulk_create(
            AccessEvent(**{**fields, "model_label": m, "object_pk": o, "patient_key": k})
            for m, o, k in targets
        )
        return len(targets)
    meta = AccessEvent._meta
    column = {f.name: f.column for f in meta.concrete_fields}
    shared = ("at", "actor", "actor_label", "page", "view_name", "request_id")
    per_row = ("model_label", "object_pk", "patient_key")
    sql = 'INSERT INTO "{table}" ({columns}) SELECT {shared}, {per_row}'.format(
        table=meta.db_table,
        columns=", ".join(f'"{column[name]}"' for name in shared + per_row),
        shared=", ".join(["%s"] * len(shared)),
        per_row=", ".join(["unnest(%s::text[])"] * len(per_row)),
    )
    labels, pks, keys = (list(column_values) for column_values in zip(*targets, strict=True))
    params = [timezone.now(), fields["actor"].pk, *(fields[n] for n in shared[2:])]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, labels, pks, keys])
    return len(targets)


def _event_fields(request, obj, patient) -> dict:
    user = request.user
    match = getattr(request, "resolver_match", None)
    return dict(
        actor=user,
        actor_label=user.email,
        model_label=obj._meta.label_lower if obj is not None else "",
        object_pk=str(obj.pk) if obj is not None else "",
        patient_key=patient_key(patient) if patient is not None else "",
        page=request.get_full_path()[:300],
        view_name=(match.view_name if match else "")[:120],
        request_id=getattr(request, "request_id", ""),
    )
