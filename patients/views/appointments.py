"""The patient's own pages: My appointments, one appointment, its calendar file, reschedule
and cancel (GET shows a confirmation, only POST acts: S5), profile and dependants.
Another patient's appointment is a 404 (S3)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from clinic.accounts.permissions import patient_required
from clinic.language import remember_language

from ..calendar import appointment_ics, ics_filename
from ..forms.booking import CancelForm, DependantForm, ProfileForm, RescheduleForm, format_start
from ..models import BookingPolicy, Patient
from ..selectors.booking import (
    appointments_of,
    availability_load,
    my_appointments,
    nearest_free_slots,
    patients_actable_by,
    slot_lookup,
)
from ..services import patient_create_for_user
from ..services.booking import (
    BookingError,
    ChangeNotAllowed,
    PatientBusy,
    SlotTaken,
    appointment_can_change,
    appointment_cancel,
    appointment_reschedule,
)
from ..services.profile import ProfileError, patient_add_dependant, patient_profile_update
from ._common import clinic_time, slot_picker


def _mine(request, pk):
    return get_object_or_404(appointments_of(request.user), pk=pk)


@require_safe
@patient_required
@clinic_time
def appointment_list(request):
    policy = BookingPolicy.load()
    groups = my_appointments(request.user, past_page=request.GET.get("past"))
    for appt in groups["upcoming"]:
        appt.can_change = appointment_can_change(appt, policy=policy)
    return render(request, "patients/appointments/list.html", {**groups, "policy": policy})


@require_safe
@patient_required
@clinic_time
def appointment_detail(request, pk):
    appt = _mine(request, pk)
    policy = BookingPolicy.load()
    return render(
        request,
        "patients/appointments/detail.html",
        {
            "appt": appt,
            "just_booked": request.GET.get("booked") == "1",
            "can_change": appointment_can_change(appt, policy=policy),
            "policy": policy,
        },
    )


@require_safe
@patient_required
def appointment_ics_download(request, pk):
    appt = _mine(request, pk)
    response = HttpResponse(appointment_ics(appt), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(appt)}"'
    return response


def _too_late(request, appt, policy):
    return render(
        request,
        "patients/appointments/too_late.html",
        {"appt": appt, "policy": policy},
        status=200,
    )


@require_safe
@patient_required
@clinic_time
def appointment_reschedule_pick(request, pk):
    appt = _mine(request, pk)
    policy = BookingPolicy.load()
    if not appointment_can_change(appt, policy=policy):
        return _too_late(request, appt, policy)
    avail = availability_load(
        duration=appt.end - appt.start,
        buffer=appt.blocked_until - appt.end,
        specialist=appt.specialist,
        exclude_appointment=appt,
        policy=policy,
    )
    base = reverse("patients:appointment_reschedule", args=[appt.pk])
    confirm = reverse("patients:appointment_reschedule_confirm", args=[appt.pk])
    picker = slot_picker(
        avail,
        day_param=request.GET.get("day"),
        slot_href=lambda s: f"{confirm}?{urlencode({'start': format_start(s.start)})}",
        day_href=lambda d: f"{base}?day={d.isoformat()}",
    )
    return render(request, "patients/appointments/reschedule.html", {"appt": appt, **picker})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
@clinic_time
def appointment_reschedule_confirm(request, pk):
    appt = _mine(request, pk)
    policy = BookingPolicy.load()
    if not appointment_can_change(appt, policy=policy):
        return _too_late(request, appt, policy)
    form = RescheduleForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose a new time from the list."))
        return redirect("patients:appointment_reschedule", pk=appt.pk)
    start = form.cleaned_data["start"]
    avail = availability_load(
        duration=appt.end - appt.start,
        buffer=appt.blocked_until - appt.end,
        specialist=appt.specialist,
        exclude_appointment=appt,
        policy=policy,
    )
    error = None
    if request.method == "POST":
        try:
            appointment_reschedule(appointment=appt, start=start, by=request.user)
        except SlotTaken as exc:
            error = exc
        except (PatientBusy, ChangeNotAllowed, BookingError) as exc:
            messages.error(request, str(exc))
            return redirect("patients:appointment", pk=appt.pk)
        else:
            messages.success(request, _("Your appointment has moved. We have emailed you."))
            return redirect("patients:appointment", pk=appt.pk)
    else:
        slot, would_be_free = slot_lookup(avail, start)
        if slot is None:
            error = SlotTaken(
                _("That time was just taken — here are the nearest free times.")
                if would_be_free
                else _("That time cannot be booked — here are the nearest free times."),
                avail=avail,
                start=start,
                taken=would_be_free,
            )
    if error is not None:
        confirm = reverse("patients:appointment_reschedule_confirm", args=[appt.pk])
        nearest = nearest_free_slots(error.avail, error.start)
        return render(
            request,
            "patients/appointments/reschedule_taken.html",
            {
                "appt": appt,
                "message": str(error),
                "nearest": [
                    {"slot": s, "href": f"{confirm}?{urlencode({'start': format_start(s.start)})}"}
                    for s in nearest
                ],
            },
            status=409 if request.method == "POST" else 200,
        )
    return render(
        request,
        "patients/appointments/reschedule_confirm.html",
        {
            "appt": appt,
            "start": start,
            "end": start + (appt.end - appt.start),
            "start_value": format_start(start),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
@clinic_time
def appointment_cancel_view(request, pk):
    appt = _mine(request, pk)
    policy = BookingPolicy.load()
    if not appointment_can_change(appt, policy=policy):
        return _too_late(request, appt, policy)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_cancel(
                appointment=appt, by=request.user, reason=form.cleaned_data["reason"]
            )
        except BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your appointment is cancelled. We have emailed you."))
        return redirect("patients:appointments")
    return render(request, "patients/appointments/cancel.html", {"appt": appt, "form": form})


# --- Profile and dependants -----------------------------------------------------------------
def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def profile_edit(request):
    # A GET never writes (S5): an account without a profile yet sees an unsaved one.
    patient = Patient.objects.filter(user=request.user).first()
    shown = (
        Patient.objects.get(pk=patient.pk)
        if patient
        else Patient(user=request.user, legal_name=request.user.get_full_name())
    )
    form = ProfileForm(request.POST or None, instance=shown)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if patient is None:
                patient = patient_create_for_user(user=request.user)
            patient_profile_update(patient=patient, **fields)
        except ProfileError as exc:
            form.add_error(None, str(exc))
        else:
            remember_language(request, patient.preferred_language)
            messages.success(request, _("Your profile is saved."))
            return redirect(_safe_next(request) or "patients:home")
    return render(
        request,
        "patients/profile.html",
        {"form": form, "patient": patient or shown, "next": _safe_next(request) or ""},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def dependants(request):
    form = DependantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = patient_add_dependant(guardian=request.user, **form.cleaned_data)
        except ProfileError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s is added. You can now book for them.") % {"name": child.display_name},
            )
            return redirect("patients:dependants")
    children = [p for p in patients_actable_by(request.user) if p.user_id != request.user.pk]
    return render(request, "patients/dependants.html", {"form": form, "children": children})
