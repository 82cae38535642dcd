"""The patient's "My treatment" page, the .ics download, the private calendar feed and its
management. A patient (or guardian) reaches only their own and their dependants' plans;
anything else is a 404."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from clinic.accounts.permissions import patient_required
from patients.services.intake import clinic_today

from .. import progress_data, selectors
from ..ics import calendar_bytes
from ..patient_text import plain_item
from ..services import calendar_feed_create, calendar_feed_revoke
from ..services.sessions import patient_today

# How far back a calendar file reaches (recent sessions stay visible in the calendar app).
CALENDAR_PAST_DAYS = 30


@require_safe
@patient_required
def my_treatment_page(request):
    rows = selectors.my_treatment(request.user, today=clinic_today())
    progress_data.to_log(rows, today_of=patient_today)  # issue 7: logging and check-ins
    for row in rows:
        row["plain"] = [plain_item(i) for i in row["items"]]
        if row["feed"] is not None:
            row["feed_url"] = request.build_absolute_uri(
                reverse("treatments:feed", args=[row["feed"].token])
            )
    return render(request, "treatments/patient/my_treatment.html", {"rows": rows})


def _own_patient(request, patient_id):
    return get_object_or_404(selectors.patients_for_user(request.user), pk=patient_id)


def _ics_response(patient, *, link: str, attachment: bool) -> HttpResponse:
    since = patient_today(patient) - datetime.timedelta(days=CALENDAR_PAST_DAYS)
    sessions = selectors.sessions_for_calendar(patient, since=since)
    name = _("%(clinic)s sessions") % {"clinic": settings.CLINIC_NAME}
    body = calendar_bytes(sessions, link=link, name=name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    if attachment:
        response["Content-Disposition"] = 'attachment; filename="treatment-sessions.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@patient_required
def my_sessions_ics(request, patient_id):
    patient = _own_patient(request, patient_id)
    link = request.build_absolute_uri(reverse("treatments:my_treatment"))
    return _ics_response(patient, link=link, attachment=True)


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def feed_manage_page(request, patient_id, action):
    """Turn the calendar feed on, renew it (a new secret URL) or turn it off. GET asks to
    confirm; only POST acts."""
    patient = _own_patient(request, patient_id)
    if action not in ("create", "revoke"):
        from django.http import Http404

        raise Http404
    if request.method == "POST":
        if action == "create":
            calendar_feed_create(patient=patient, user=request.user)
            messages.success(
                request,
                _("Your calendar link is ready. Any earlier link no longer works."),
            )
        else:
            calendar_feed_revoke(patient=patient, user=request.user)
            messages.success(request, _("Your calendar link is turned off."))
        return redirect(reverse("treatments:my_treatment") + "#calendar")
    active = patient.calendar_feeds.filter(revoked_at__isnull=True).exists()
    return render(
        request,
        "treatments/patient/feed_confirm.html",
        {"patient": patient, "action": action, "active": active},
    )


@login_not_required
@never_cache
@require_safe
def calendar_feed(request, token):
    """The private feed calendar apps subscribe to (no login: the secret token is the key;
    revoked or unknown tokens are a 404, and the token is scrubbed from the logs)."""
    feed = selectors.feed_by_token(token)
    link = request.build_absolute_uri(reverse("treatments:my_treatment"))
    # A calendar app sends no language of its own: use the one the patient chose.
    with translation.override(feed.patient.preferred_language):
        return _ics_response(feed.patient, link=link, attachment=False)
