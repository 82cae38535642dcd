"""The patient's record: "download my data" (a FHIR R4B Bundle of one's own record or a
dependant's), closing the account (GET explains, POST acts with the password), and for staff
the same export on request (audited) and the list of closed accounts with their retention."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from clinic.accounts.permissions import clinician_required, patient_required
from clinic.audit.services import access_record, access_record_many

from ..fhir import bundle_filename, patient_bundle
from ..forms.closure import CloseAccountForm
from ..models import AccountClosure, Patient
from ..selectors.booking import clinic_today, patients_actable_by
from ..services.closure import ClosureError, account_close, dependants_of, retention_end


def _bundle_response(patient: Patient) -> HttpResponse:
    now = timezone.now()
    body = json.dumps(patient_bundle(patient=patient, now=now), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{bundle_filename(patient, now)}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _with_export_relations(queryset):
    return queryset.select_related("user", "guardian", "closure")


@require_safe
@patient_required
def my_data_page(request):
    people = sorted(
        patients_actable_by(request.user),
        key=lambda p: (p.user_id != request.user.pk, p.legal_name),
    )
    return render(request, "patients/records/my_data.html", {"people": people})


@require_safe
@patient_required
def my_data_download(request, patient_id):
    patient = get_object_or_404(
        _with_export_relations(patients_actable_by(request.user)), pk=patient_id
    )
    return _bundle_response(patient)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def account_close_page(request):
    user = request.user
    if not user.is_patient or user.requires_two_factor:
        # Staff and admin logins are closed by the clinic admin, not here.
        raise PermissionDenied
    own = Patient.objects.filter(user=user).first()
    dependants = dependants_of(user)
    form = CloseAccountForm(
        request.POST if request.method == "POST" else None, dependants=dependants
    )
    if request.method == "POST" and form.is_valid():
        try:
            closures = account_close(
                user=user,
                password=form.cleaned_data["password"],
                close_dependants=form.cleaned_data.get("close_dependants", False),
            )
        except ClosureError as exc:
            form.add_error(None, str(exc))
        else:
            logout(request)
            if closures:
                messages.success(
                    request,
                    _(
                        "Your account is closed and you are logged out. We keep your records "
                        "until %(date)s and then delete them. We have emailed you."
                    )
                    % {"date": closures[0].retain_until.isoformat()},
                )
            else:
                messages.success(request, _("Your account is closed and you are logged out."))
            return redirect("landing")
    return render(
        request,
        "patients/records/close.html",
        {
            "form": form,
            "own": own,
            "dependants": dependants,
            "retain_until": retention_end(clinic_today()),
        },
    )


# --- Staff ----------------------------------------------------------------------------------
@require_safe
@clinician_required
def staff_export(request, patient_id):
    patient = get_object_or_404(_with_export_relations(Patient.objects.all()), pk=patient_id)
    access_record(request=request, obj=patient, patient=patient)
    return _bundle_response(patient)


@require_safe
@clinician_required
def closure_list(request):
    closures = AccountClosure.objects.select_related("patient", "patient__guardian").order_by(
        "purged_at", "retain_until", "pk"
    )
    page = Paginator(closures, 50).get_page(request.GET.get("page"))
    access_record_many(
        request=request, items=[(c, c.patient) for c in page.object_list if c.patient_id]
    )
    return render(request, "staff/closures.html", {"page": page})
