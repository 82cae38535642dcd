"""Staff pages for eligibility screens: the review queue, one screen (answers beside the
engine's result, flags and history), the review, and a correction of one answer.

Staff and specialists may read; reviewing and correcting need ``review_screens``. Every page
that shows a patient's screen records the read in the access log."""

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from clinic.accounts.permissions import clinician_required, permission_required
from clinic.audit.services import access_record, access_record_many
from clinic.paging import page_by_keys

from ..forms.screens import CORRECTABLE_FIELDS, CorrectionForm, QueueFilterForm, ReviewForm
from ..labels import AREA_LABELS, flag_label
from ..models import Screen
from ..screen_display import PROFILE_FIELD_LABELS, profile_rows, profile_value_text, result_view
from ..selectors.screens import screen_for_staff, screen_history, screen_queue
from ..services.screens import ScreenError, screen_correct, screen_review

QUEUE_PAGE_SIZE = 25
review_required = permission_required("accounts.review_screens")


def _clinic_zone():
    return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


@require_safe
@clinician_required
def screen_queue_page(request):
    params = request.GET.copy()
    if "status" not in params:
        params["status"] = Screen.Status.SUBMITTED  # the queue proper: waiting for review
    filters = QueueFilterForm(data=params)
    if filters.is_valid():
        chosen = filters.cleaned_data
    else:
        messages.warning(request, _("Some filters were not understood and were ignored."))
        chosen = {k: v for k, v in filters.cleaned_data.items() if k not in filters.errors}
    page = page_by_keys(
        screen_queue(**chosen),
        size=QUEUE_PAGE_SIZE,
        number=request.GET.get("page"),
        load=lambda keys: Screen.objects.select_related("patient").in_bulk(keys),
    )
    rows = [
        {
            "screen": s,
            "areas": ", ".join(
                f"{AREA_LABELS.get(a, a)} {h}" for a, h in s.profile.get("areas", {}).items()
            ),
            "red_flags": len(s.profile.get("red_flags", [])),
        }
        for s in page.object_list
    ]
    access_record_many(request=request, items=[(s, s.patient) for s in page.object_list])
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/screens/queue.html",
        {
            "filters": filters,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "tz": _clinic_zone(),
        },
    )


def _detail_context(request, screen: Screen) -> dict:
    history = screen_history(screen)
    for entry in history:
        for correction in entry.corrections.all():
            correction.old_text = profile_value_text(correction.field, correction.old_value)
            correction.new_text = profile_value_text(correction.field, correction.new_value)
            correction.field_label = PROFILE_FIELD_LABELS.get(correction.field, correction.field)
    return {
        "screen": screen,
        "patient": screen.patient,
        "answers": profile_rows(screen.profile, screen.flags),
        "flags": [flag_label(f) for f in screen.flags],
        "notes": screen.notes,
        "result": result_view(screen.result),
        "history": history,
        "can_review": request.user.has_perm("accounts.review_screens"),
        "correctable": set(CORRECTABLE_FIELDS),
        "tz": _clinic_zone(),
    }


@require_safe
@clinician_required
def screen_detail_page(request, screen_id):
    screen = screen_for_staff(screen_id)
    access_record(request=request, obj=screen, patient=screen.patient)
    context = _detail_context(request, screen)
    context["review_form"] = ReviewForm()
    return render(request, "staff/screens/detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@review_required
def screen_review_page(request, screen_id):
    screen = screen_for_staff(screen_id)
    access_record(request=request, obj=screen, patient=screen.patient)
    form = ReviewForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            screen_review(
                screen_id=screen.pk,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                message_to_patient=form.cleaned_data["message_to_patient"],
                user=request.user,
            )
        except ScreenError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The screen is marked reviewed."))
            return redirect("screens:detail", screen_id=screen.pk)
    context = _detail_context(request, screen)
    context["review_form"] = form
    return render(request, "staff/screens/detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@review_required
def screen_correct_page(request, screen_id, field):
    if field not in CORRECTABLE_FIELDS:
        raise Http404
    screen = screen_for_staff(screen_id)
    access_record(request=request, obj=screen, patient=screen.patient)
    if not screen.is_current:
        messages.error(request, _("A newer screen has replaced this one. Correct the newer one."))
        return redirect("screens:detail", screen_id=screen.pk)
    form = CorrectionForm(data=request.POST or None, field=field, profile=screen.profile)
    if request.method == "POST" and form.is_valid():
        try:
            new = screen_correct(
                screen_id=screen.pk,
                field=field,
                value=form.value(),
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except ScreenError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Corrected. A new screen replaces the old one; both are kept.")
            )
            return redirect("screens:detail", screen_id=new.pk)
    return render(
        request,
        "staff/screens/correct.html",
        {
            "screen": screen,
            "patient": screen.patient,
            "field": field,
            "field_label": PROFILE_FIELD_LABELS[field],
            "current": profile_value_text(field, screen.profile.get(field)),
            "form": form,
        },
    )
