"""The patient's questionnaire pages: overview, one page per step, review and consent, and the
plain-language summary after sending. A patient or guardian only reaches their own and their
dependants' questionnaires (anything else is a 404)."""

import zoneinfo

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.accounts.permissions import patient_required

from ..consent import INTAKE_CONSENT_PARAGRAPHS, INTAKE_CONSENT_TITLE, INTAKE_CONSENT_VERSION
from ..forms.intake import ConsentForm
from ..models import Intake
from ..questionnaire import (
    STEP_NAMES,
    STEPS,
    answer_rows,
    incomplete_steps,
    next_step,
    previous_step,
    step_form,
)
from ..screen_display import patient_summary_view
from ..selectors.intake import (
    intake_current_screen,
    intake_for_user,
    intake_overview,
    patients_for_user,
)
from ..services.intake import (
    IntakeError,
    clinic_today,
    intake_save_step,
    intake_start,
    intake_submit,
)


def _zone(patient):
    try:
        return zoneinfo.ZoneInfo(patient.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@require_safe
@patient_required
def intake_overview_page(request):
    rows = intake_overview(request.user)
    today = clinic_today()
    for row in rows:
        row["total"] = len(STEP_NAMES)
        if row["intake"] is not None and row["intake"].is_editable:
            age = row["patient"].age_on(today)
            row["done"] = len(STEP_NAMES) - len(incomplete_steps(row["intake"].answers, age=age))
    return render(request, "patients/intake/overview.html", {"rows": rows})


@require_POST
@patient_required
def intake_start_page(request, patient_id):
    patient = get_object_or_404(patients_for_user(request.user), pk=patient_id)
    intake = intake_start(patient=patient, user=request.user)
    if not intake.is_editable:
        return redirect("patients:intake_result", intake_id=intake.pk)
    age = patient.age_on(clinic_today())
    missing = incomplete_steps(intake.answers, age=age)
    if not missing:
        return redirect("patients:intake_review", intake_id=intake.pk)
    return redirect("patients:intake_step", intake_id=intake.pk, step=missing[0])


def _progress(step: str) -> dict:
    number = STEP_NAMES.index(step) + 1
    total = len(STEP_NAMES) + 1  # the last page is the review and consent
    return {"number": number, "total": total, "percent": round(100 * number / total)}


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def intake_step_page(request, intake_id, step):
    intake = intake_for_user(request.user, intake_id)
    if step not in STEPS:
        raise Http404
    if not intake.is_editable:
        messages.info(request, _("This questionnaire has been sent, so it can't be changed."))
        return redirect("patients:intake_result", intake_id=intake.pk)
    patient = intake.patient
    age = patient.age_on(clinic_today())
    if request.method == "POST":
        form = step_form(step, intake.answers, age=age, data=request.POST)
        if form.is_valid():
            try:
                intake_save_step(
                    intake_id=intake.pk, step=step, answers=form.answers(), user=request.user
                )
            except IntakeError as exc:
                messages.error(request, exc.message)
                return redirect("patients:intake")
            if "save_exit" in request.POST:
                messages.success(
                    request, _("Your answers are saved. You can come back and finish any time.")
                )
                return redirect("patients:intake")
            following = next_step(step)
            if following is None or request.POST.get("back_to_review"):
                return redirect("patients:intake_review", intake_id=intake.pk)
            return redirect("patients:intake_step", intake_id=intake.pk, step=following)
        messages.error(request, _("Please check the answers marked below."))
    else:
        form = step_form(step, intake.answers, age=age)
        if step == "about" and "about" not in intake.answers and patient.date_of_birth:
            form.initial = {"date_of_birth": patient.date_of_birth}
    previous = previous_step(step)
    return render(
        request,
        "patients/intake/step.html",
        {
            "intake": intake,
            "patient": patient,
            "is_self": patient.user_id == request.user.pk,
            "form": form,
            "step": step,
            "progress": _progress(step),
            "previous": previous,
            "back_to_review": request.GET.get("review") == "1"
            or request.POST.get("back_to_review") == "1",
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def intake_review_page(request, intake_id):
    intake = intake_for_user(request.user, intake_id)
    if not intake.is_editable:
        return redirect("patients:intake_result", intake_id=intake.pk)
    patient = intake.patient
    age = patient.age_on(clinic_today())
    missing = incomplete_steps(intake.answers, age=age)
    form = ConsentForm(data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                intake_submit(
                    intake_id=intake.pk,
                    user=request.user,
                    signed_name=form.cleaned_data["signed_name"],
                )
            except IntakeError as exc:
                messages.error(request, exc.message)
                missing = exc.steps or missing
            else:
                messages.success(
                    request, _("Thank you. Your answers have been sent to the clinic.")
                )
                return redirect("patients:intake_result", intake_id=intake.pk)
        else:
            messages.error(request, _("Please check the answers marked below."))
    sections = [
        {
            "step": step,
            "title": STEPS[step].title,
            "rows": answer_rows(step, intake.answers, age=age),
            "complete": step not in missing,
        }
        for step in STEP_NAMES
    ]
    return render(
        request,
        "patients/intake/review.html",
        {
            "intake": intake,
            "patient": patient,
            "is_self": patient.user_id == request.user.pk,
            "sections": sections,
            "missing": [{"step": s, "title": STEPS[s].title} for s in missing],
            "form": form,
            "consent_title": INTAKE_CONSENT_TITLE,
            "consent_paragraphs": INTAKE_CONSENT_PARAGRAPHS,
            "consent_version": INTAKE_CONSENT_VERSION,
            "progress": {
                "number": len(STEP_NAMES) + 1,
                "total": len(STEP_NAMES) + 1,
                "percent": 100,
            },
        },
    )


@require_safe
@patient_required
def intake_result_page(request, intake_id):
    intake = intake_for_user(request.user, intake_id)
    if intake.status == Intake.Status.DRAFT:
        return redirect("patients:intake")
    screen = intake_current_screen(intake)
    if screen is None:
        raise Http404
    return render(
        request,
        "patients/intake/result.html",
        {
            "intake": intake,
            "patient": intake.patient,
            "is_self": intake.patient.user_id == request.user.pk,
            "screen": screen,
            "summary": patient_summary_view(screen.result),
            "tz": _zone(intake.patient),
        },
    )
