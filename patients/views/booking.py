"""Booking for patients on their phones: type → specialist (or any) → day → slot → confirm.

A visitor may go all the way to the confirm page; confirming needs a login. The chosen slot
is remembered in the session (not held: someone else may take it meanwhile; the confirm
step re-checks and offers the nearest free times)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from ..forms.booking import BookForm, ClaimForm, SlotForm, format_start
from ..models import ConsultationType, Specialist
from ..selectors.booking import (
    availability_load,
    bookable_specialists,
    consultation_types_for,
    consultation_types_for_user,
    nearest_free_slots,
    patient_for_user,
    patients_actable_by,
    slot_lookup,
    with_hours,
    with_policy,
)
from ..services.booking import (
    BookingError,
    PatientBusy,
    SlotTaken,
    appointment_book_locked,
    contention_outcome,
    is_contention,
)
from ..services.profile import ProfileError, patient_claim, patient_for_claim_token
from ._common import clinic_time, slot_picker

PENDING_KEY = "booking_pending"


def _is_patient(user) -> bool:
    return user.is_authenticated and user.has_perm("accounts.act_as_patient")


def _who(specialist) -> str:
    return str(specialist.pk) if specialist is not None else "any"


def confirm_url(ctype_id: int, who: str, start) -> str:
    query = urlencode({"type": ctype_id, "who": who, "start": format_start(start)})
    return f"{reverse('booking:confirm')}?{query}"


@login_not_required
@require_safe
def booking_start(request):
    """Step 1: what kind of consultation."""
    patient = patient_for_user(request.user) if _is_patient(request.user) else None
    types = list(consultation_types_for(patient=patient))
    return render(request, "patients/booking/start.html", {"types": types})


def _type_or_404(request, type_id) -> ConsultationType:
    """A type this user may book online, with the booking policy: one query."""
    user = request.user if _is_patient(request.user) else None
    return get_object_or_404(with_policy(consultation_types_for_user(user)), pk=type_id)


@login_not_required
@require_safe
def booking_specialist(request, type_id):
    """Step 2: which specialist, or any."""
    ctype = _type_or_404(request, type_id)
    specialists = list(bookable_specialists())
    return render(
        request,
        "patients/booking/specialist.html",
        {"ctype": ctype, "specialists": specialists},
    )


@login_not_required
@require_safe
@clinic_time
def booking_slots(request, type_id, who):
    """Steps 3 and 4: a day, then a free time on it."""
    ctype = _type_or_404(request, type_id)
    specialist = None
    if who != "any":
        if not who.isdigit():
            return render(request, "404.html", status=404)
        specialist = get_object_or_404(
            with_hours(Specialist.objects.filter(is_active=True)), pk=int(who)
        )
    avail = availability_load(consultation_type=ctype, specialist=specialist)
    base = reverse("booking:slots", args=[ctype.pk, who])
    picker = slot_picker(
        avail,
        day_param=request.GET.get("day"),
        slot_href=lambda s: confirm_url(ctype.pk, who, s.start),
        day_href=lambda d: f"{base}?day={d.isoformat()}",
    )
    return render(
        request,
        "patients/booking/slots.html",
        {"ctype": ctype, "specialist": specialist, "who": who, **picker},
    )


def _taken_page(request, exc: SlotTaken, ctype, who, status=409):
    nearest = nearest_free_slots(exc.avail, exc.start)
    return render(
        request,
        "patients/booking/taken.html",
        {
            "message": str(exc),
            "ctype": ctype,
            "who": who,
            "nearest": [{"slot": s, "href": confirm_url(ctype.pk, who, s.start)} for s in nearest],
            "slots_href": reverse("booking:slots", args=[ctype.pk, who]),
        },
        status=status,
    )


def _bad_link(request, message=None):
    return render(
        request,
        "patients/booking/bad_request.html",
        {"message": message or _("That link is not valid. Please choose a time again.")},
        status=400,
    )


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
@clinic_time
def booking_confirm(request):
    """Step 5. GET shows the summary (and, for a visitor, sign up / log in); POST books."""
    if request.method == "POST":
        return _booking_confirm_post(request)
    form = SlotForm(request.GET)
    if not form.is_valid():
        return _bad_link(request)
    ctype, specialist, start = (form.cleaned_data[k] for k in ("type", "who", "start"))
    who = _who(specialist)
    avail = availability_load(consultation_type=ctype, specialist=specialist)
    slot, would_be_free = slot_lookup(avail, start)
    if slot is None:
        exc = SlotTaken(
            _("That time was just taken — here are the nearest free times.")
            if would_be_free
            else _("That time cannot be booked — here are the nearest free times."),
            avail=avail,
            start=start,
            taken=would_be_free,
        )
        return _taken_page(request, exc, ctype, who, status=200)
    here = confirm_url(ctype.pk, who, start)
    context = {
        "ctype": ctype,
        "specialist": specialist,
        "who": who,
        "slot": slot,
        "within_cutoff": slot.start - timezone.now() < avail.policy.change_cutoff,
    }
    if not _is_patient(request.user):
        if request.user.is_authenticated:
            return render(request, "403.html", status=403)
        # Remembered, not held: after sign-up or log-in the patient's home offers it again.
        request.session[PENDING_KEY] = {"type": ctype.pk, "who": who, "start": format_start(start)}
        context["next_query"] = urlencode({"next": here})
        return render(request, "patients/booking/confirm_visitor.html", context)
    patients = patients_actable_by(request.user)
    own = next((p for p in patients if p.user_id == request.user.pk), None)
    context.update(
        {
            "form": BookForm(
                initial={
                    "type": ctype.pk,
                    "who": who,
                    "start": format_start(start),
                    "patient": own.pk if own else None,
                },
                patients=patients,
            ),
            "patients": patients,
            "own": own,
            "profile_href": f"{reverse('patients:profile')}?{urlencode({'next': here})}",
        }
    )
    return render(request, "patients/booking/confirm.html", context)


def _booking_confirm_post(request):
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('account_login')}?{urlencode({'next': reverse('booking:start')})}"
        )
    if not _is_patient(request.user):
        return render(request, "403.html", status=403)
    form = None
    try:
        with transaction.atomic():
            # The patient is read locked (FOR UPDATE): one booking at a time per patient (two
            # with two specialists could otherwise deadlock on the two exclusion constraints).
            # Its login and guardian come along for the email.
            patients = (
                patients_actable_by(request.user)
                .select_related("user", "guardian")
                .select_for_update(of=("self",))
            )
            form = BookForm(request.POST, patients=patients)
            if not form.is_valid():
                errors = [e for errs in form.errors.values() for e in errs]
                return _bad_link(request, " ".join(errors))
            ctype, specialist, start, patient = (
                form.cleaned_data[k] for k in ("type", "who", "start", "patient")
            )
            # The type must be one this patient may book online (e.g. follow-ups: seen
            # before). A type open to new patients is, and the form read it active.
            if (
                not ctype.new_patients_online
                and not consultation_types_for(patient=patient).filter(pk=ctype.pk).exists()
            ):
                return _bad_link(request, _("That type of consultation cannot be booked online."))
            if patient.user_id == request.user.pk and not patient.is_profile_complete:
                messages.info(
                    request, _("Please complete your profile first; your time is remembered.")
                )
                here = confirm_url(ctype.pk, _who(specialist), start)
                return redirect(f"{reverse('patients:profile')}?{urlencode({'next': here})}")
            appointment = appointment_book_locked(
                patient=patient,
                consultation_type=ctype,
                specialist=specialist,
                start=start,
                booked_by=request.user,
            )
    except SlotTaken as exc:
        return _taken_page(request, exc, form.cleaned_data["type"], _who(form.cleaned_data["who"]))
    except PatientBusy as exc:
        messages.error(request, str(exc))
        return redirect("patients:appointments")
    except BookingError as exc:
        return _bad_link(request, str(exc))
    except DatabaseError as exc:
        if not is_contention(exc):
            raise
        return _contention_page(request, form, exc)
    request.session.pop(PENDING_KEY, None)
    return redirect(reverse("patients:appointment", args=[appointment.pk]) + "?booked=1")


def _contention_page(request, form, exc: DatabaseError):
    """The database gave up on this booking because of the crowd (a lock or statement timeout,
    a deadlock, a serialization failure, no free connection): nothing was booked. Said kindly:
    if the time has been taken meanwhile, the "just taken" page; otherwise "please try again"
    (503, Retry-After)."""
    data = form.cleaned_data if form is not None and hasattr(form, "cleaned_data") else {}
    ctype, start = data.get("type"), data.get("start")
    who = _who(data.get("who"))
    outcome = contention_outcome(
        exc, ctype=ctype, specialist=data.get("who"), start=start, patient=data.get("patient")
    )
    if isinstance(outcome, SlotTaken):
        return _taken_page(request, outcome, ctype, who)
    if isinstance(outcome, PatientBusy):
        messages.error(request, str(outcome))
        return redirect("patients:appointments")
    retry_href = confirm_url(ctype.pk, who, start) if ctype and start else reverse("booking:start")
    response = render(
        request,
        "patients/booking/busy.html",
        {"retry_href": retry_href},
        status=503,
    )
    response["Retry-After"] = "5"
    return response


def pending_booking(request) -> dict | None:
    """The slot a visitor chose before signing up, for the patient's home page."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    form = SlotForm(pending)
    if not form.is_valid():
        request.session.pop(PENDING_KEY, None)
        return None
    ctype, specialist, start = (form.cleaned_data[k] for k in ("type", "who", "start"))
    return {
        "ctype": ctype,
        "specialist": specialist,
        "start": start,
        "href": confirm_url(ctype.pk, _who(specialist), start),
    }


# --- Claiming an account (phone-only patient registered by staff) ---------------------------
@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_account(request, token):
    patient = patient_for_claim_token(token)
    if patient is None:
        return render(request, "patients/claim_invalid.html", status=400)
    if request.user.is_authenticated:
        messages.info(request, _("Log out first to set up this account."))
        return redirect("home")
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient_claim(token=token, password=form.cleaned_data["password1"])
        except ProfileError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Your account is ready. Log in with your email and new password.")
            )
            return redirect("account_login")
    return render(
        request,
        "patients/claim.html",
        {"form": form, "patient": patient, "email": patient.contact_email},
    )
