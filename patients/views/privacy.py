"""The privacy officer's pages: find a patient, see who read or changed their record, export."""

import csv

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from clinic.accounts.permissions import permission_required
from clinic.audit.selectors import actor_labels, patient_changes, patient_reads
from clinic.audit.services import access_record

from ..models import Patient

privacy_required = permission_required("accounts.view_audit_log")


@require_safe
@privacy_required
def patient_search(request):
    query = request.GET.get("q", "").strip()[:100]
    patients = Patient.objects.select_related("user").order_by("legal_name", "pk")
    if query:
        patients = patients.filter(
            Q(legal_name__icontains=query)
            | Q(preferred_name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(phone__icontains=query)
        )
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    return render(request, "privacy/search.html", {"page": page, "query": query})


def _trail(request, patient):
    reads = patient_reads(patient=patient)
    changes, unplaced = patient_changes(patient=patient)
    actors = actor_labels([c.actor_id for c in changes])
    for c in changes:
        c.actor = actors.get(
            c.actor_id, "the patient or the system" if c.actor_id is None else f"user {c.actor_id}"
        )
    return reads, changes, unplaced


@require_safe
@privacy_required
def patient_audit(request, patient_id):
    patient = get_object_or_404(Patient.objects.select_related("user"), pk=patient_id)
    access_record(request=request, obj=patient, patient=patient)
    reads, changes, unplaced = _trail(request, patient)
    return render(
        request,
        "privacy/patient_audit.html",
        {"patient": patient, "reads": reads, "changes": changes, "unplaced": unplaced},
    )


@require_safe
@privacy_required
def patient_audit_export(request, patient_id):
    patient = get_object_or_404(Patient, pk=patient_id)
    access_record(request=request, obj=patient, patient=patient)
    reads, changes, _ = _trail(request, patient)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-patient-{patient.pk}-{stamp}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        ["when (UTC)", "kind", "who", "what", "record", "action or page", "fields changed"]
    )
    rows = [
        (r.at, "read", r.actor_label, r.model_label, r.object_pk, r.page, "") for r in reads
    ] + [
        (c.at, "change", c.actor, c.what, c.object_pk, c.action, "; ".join(sorted(c.changes)))
        for c in changes
    ]
    for row in sorted(rows, key=lambda r: r[0], reverse=True):
        writer.writerow([row[0].isoformat(), *row[1:]])
    return response
