"""The "manage reminders" page, opened from the link in every reminder without logging in.

The link's token (``clinic.notify.tokens``) is signed for this purpose only, names one patient
and expires after 30 days; the URL carries no other identifier, so no other patient can be
reached from it. GET shows the form, only POST saves (S5). A bad or expired link gets a clear
page, never an error. Responses are never cached; the token is scrubbed from the logs."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.notify import reminders as kinds
from clinic.notify.tokens import InvalidManageToken, manage_token_verify

from ..forms.reminders import ReminderPreferencesForm
from ..models import Patient
from ..reminders import PERSON_LABEL
from ..services.profile import ProfileError
from ..services.reminders import patient_reminder_preferences_update


def _patient_for(token: str) -> tuple[Patient | None, str]:
    try:
        label, person_id = manage_token_verify(token)
    except InvalidManageToken as exc:
        if exc.expired:
            return None, _("This link has expired: links in reminders work for 30 days.")
        return None, _("This link is not valid.")
    if label != PERSON_LABEL or not person_id.isdigit():
        return None, _("This link is not valid.")
    patient = Patient.objects.select_related("user", "guardian").filter(pk=int(person_id)).first()
    if patient is None:
        return None, _("This link is not valid.")
    return patient, ""


def _speak_their_language(request, patient: Patient) -> None:
    """The link came in a reminder written in the patient's language: the page opens in it too,
    unless this browser has chosen a language with the switcher (its cookie)."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    code = patient.preferred_language
    if code in dict(settings.LANGUAGES) and code != translation.get_language():
        translation.activate(code)
        request.LANGUAGE_CODE = code


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reminder_preferences_page(request, token):
    patient, problem = _patient_for(token)
    if patient is None:
        return render(
            request, "patients/reminders/link_invalid.html", {"problem": problem}, status=400
        )
    _speak_their_language(request, patient)
    topics = kinds.topics()
    initial = {
        "reminder_channel": patient.reminder_channel,
        "topics": [key for key, _label in topics if key not in patient.reminder_opt_outs],
        "home_session_time": patient.home_session_time,
        "quiet_hours_start": patient.quiet_hours_start,
        "quiet_hours_end": patient.quiet_hours_end,
        "time_zone": patient.time_zone,
    }
    form = ReminderPreferencesForm(
        data=request.POST if request.method == "POST" else None, initial=initial, topics=topics
    )
    saved = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wanted = set(data["topics"])
        try:
            patient = patient_reminder_preferences_update(
                patient=patient,
                reminder_channel=data["reminder_channel"],
                home_session_time=data["home_session_time"],
                quiet_hours_start=data["quiet_hours_start"],
                quiet_hours_end=data["quiet_hours_end"],
                time_zone=data["time_zone"],
                opted_out=[key for key, _label in topics if key not in wanted],
            )
        except ProfileError as exc:
            form.add_error(None, str(exc))
        else:
            saved = True
    return render(
        request,
        "patients/reminders/preferences.html",
        {
            "form": form,
            "saved": saved,
            "for_dependant": patient.is_dependant,
            "first_name": (patient.preferred_name or patient.legal_name).split(" ")[0],
            "has_phone": bool(patient.phone),
        },
        status=200 if form.is_bound is False or saved or not form.errors else 400,
    )
