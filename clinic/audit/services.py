"""The access log: every staff, specialist or admin read of a patient's record (S12)."""

from django.db import models

from .models import AccessEvent


def patient_key(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def access_record(
    *,
    request,
    obj: models.Model,
    patient: models.Model | None = None,
) -> AccessEvent | None:
    """Record that ``request.user`` read ``obj`` (belonging to ``patient``) on this page.

    Patients reading their own record are not logged (it is theirs); every other reader is.
    """
    user = request.user
    if not user.is_authenticated or (user.is_patient and not user.requires_two_factor):
        return None
    match = getattr(request, "resolver_match", None)
    return AccessEvent.objects.create(
        actor=user,
        actor_label=user.email,
        model_label=obj._meta.label_lower,
        object_pk=str(obj.pk),
        patient_key=patient_key(patient) if patient is not None else "",
        page=request.get_full_path()[:300],
        view_name=(match.view_name if match else "")[:120],
        request_id=getattr(request, "request_id", ""),
    )


def access_record_many(
    *,
    request,
    rows: list[tuple[models.Model, models.Model | None]],
) -> int:
    """``access_record`` for a page that lists many patients' records (a calendar, search
    results): one event per (obj, patient) pair, written in one query."""
    user = request.user
    if not rows or not user.is_authenticated or (user.is_patient and not user.requires_two_factor):
        return 0
    match = getattr(request, "resolver_match", None)
    page = request.get_full_path()[:300]
    view_name = (match.view_name if match else "")[:120]
    request_id = getattr(request, "request_id", "")
    AccessEvent.objects.bulk_create(
        AccessEvent(
            actor=user,
            actor_label=user.email,
            model_label=obj._meta.label_lower,
            object_pk=str(obj.pk),
            patient_key=patient_key(patient) if patient is not None else "",
            page=page,
            view_name=view_name,
            request_id=request_id,
        )
        for obj, patient in rows
    )
    return len(rows)
