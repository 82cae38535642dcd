"""Consultation notes: a visit summary per consultation, versioned on every edit."""

import datetime

from django.db import transaction

from patients.models import Patient

from ..models import ConsultationNote, ConsultationNoteRevision
from .errors import PlanError

MAX_NOTE = 20_000


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise PlanError("Write the visit summary.")
    if len(text) > MAX_NOTE:
        raise PlanError(f"A note can be at most {MAX_NOTE} characters.")
    return text


@transaction.atomic
def note_create(*, patient_id: int, visit_date: datetime.date, text: str, user) -> ConsultationNote:
    """Write a visit summary (revision 1)."""
    if not user.has_perm("accounts.assign_plans"):
        raise PlanError("Only specialists write consultation notes.")
    text = _clean_text(text)
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise PlanError("There is no such patient.")
    note = ConsultationNote.objects.create(
        patient=patient, visit_date=visit_date, text=text, created_by=user, updated_by=user
    )
    ConsultationNoteRevision.objects.create(
        note=note, number=1, visit_date=visit_date, text=text, author=user
    )
    return note


@transaction.atomic
def note_edit(
    *, note_id: int, visit_date: datetime.date, text: str, reason: str, user
) -> ConsultationNote:
    """Edit a note: a new revision; the earlier ones stay readable."""
    if not user.has_perm("accounts.assign_plans"):
        raise PlanError("Only specialists edit consultation notes.")
    text = _clean_text(text)
    note = ConsultationNote.objects.select_for_update().filter(pk=note_id).first()
    if note is None:
        raise PlanError("There is no such note.")
    if text == note.text and visit_date == note.visit_date:
        raise PlanError("Nothing changed.")
    note.revision_count += 1
    note.text, note.visit_date, note.updated_by = text, visit_date, user
    note.save(update_fields=["revision_count", "text", "visit_date", "updated_by", "updated_at"])
    ConsultationNoteRevision.objects.create(
        note=note,
        number=note.revision_count,
        visit_date=visit_date,
        text=text,
        reason=(reason or "").strip()[:300],
        author=user,
    )
    return note
