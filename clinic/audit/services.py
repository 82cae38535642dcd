"""The access log: every staff, specialist or admin read of a patient's record (S12)."""

from django.db import models

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


def access_record_many(*, request, items) -> list[AccessEvent]:
    """Like ``access_record`` for a list page: one event per (obj, patient) shown, written in
    one INSERT so the page's query count does not grow with its rows."""
    if not _is_logged(request.user):
        return []
    events = [AccessEvent(**_event_fields(request, obj, patient)) for obj, patient in items]
    return AccessEvent.objects.bulk_create(events) if events else []


def _event_fields(request, obj, patient) -> dict:
    user = request.user
    match = getattr(request, "resolver_match", None)
    return dict(
        actor=user,
        actor_label=user.email,
        model_label=obj._meta.label_lower,
        object_pk=str(obj.pk),
        patient_key=patient_key(patient) if patient is not None else "",
        page=request.get_full_path()[:300],
        view_name=(match.view_name if match else "")[:120],
        request_id=getattr(request, "request_id", ""),
    )
