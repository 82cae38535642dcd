"""Staff and specialists: the clinic calendar (day/week, per specialist or whole clinic),
booking, rescheduling, cancelling and recording outcomes on behalf of patients, phone-only
patients, working hours and time off. Every page that shows patients' appointments records
the read in the access log (S12). Needs ``manage_calendar`` (staff and specialists)."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from clinic.accounts.permissions import permission_required
from clinic.audit.services import access_record, access_record_keys, access_record_many
from clinic.paging import window

from ..forms.booking import (
    CancelForm,
    InviteForm,
    OutcomeForm,
    PatientSearchForm,
    SlotForm,
    StaffPatientForm,
    StaffRescheduleForm,
    TimeOffForm,
    WorkingHoursFormSet,
    format_start,
    parse_day,
)
from ..models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ConsultationType,
    Patient,
    Specialist,
    TimeOff,
)
from ..notifications import patient_email_address
from ..selectors.booking import (
    appointments_outside_availability,
    availability_load,
    calendar_appointments,
    clinic_today,
    clinic_tz,
    local_to_utc,
    nearest_free_slots,
    patient_reminder_history,
    slot_lookup,
)
from ..services.booking import (
    BookingError,
    PatientBusy,
    SlotTaken,
    appointment_book,
    appointment_cancel,
    appointment_record_outcome,
    appointment_reschedule,
    time_off_add,
    time_off_delete,
    working_hours_replace,
)
from ..services.profile import ProfileError, patient_claim_invite, patient_register_by_staff
from ._common import clinic_time, slot_picker

calendar_required = permission_required("accounts.manage_calendar")
SEARCH_LIMIT = 25
CARD_APPOINTMENTS_PAGE = 20  # a patient's appointments on their card, newest first


def _specialist_param(request):
    value = request.GET.get("specialist", "")
    if value.isdigit():
        return Specialist.objects.filter(pk=int(value)).first()
    if not value and hasattr(request.user, "specialist_profile"):
        # A specialist opens their own calendar by default.
        return Specialist.objects.filter(user=request.user).first()
    return None


CALENDAR_FIELDS = (
    "pk",
    "patient_id",
    "start",
    "end",
    "status",
    "kind",
    "patient__legal_name",
    "consultation_type__name",
    "specialist__display_name",
)


# One appointment line of the calendar (the markup of a list-group item). Built with
# format_html, which escapes every value: a day of the whole clinic lists hundreds of lines,
# and rendering each through the template engine cost more than the query that found them.
CALENDAR_LINE = (
    '<a class="list-group-item list-group-item-action cal-appt status-border-{status}" '
    'href="{href}"><div class="d-flex justify-content-between gap-2"><strong>{time}</strong> '
    '<span class="badge status-{status}">{status_label}</span></div><div>{patient}</div>'
    '<div class="small text-body-secondary">{badge}{what}{specialist}</div></a>'
)


def calendar_rows(appts, tz, *, show_specialist: bool) -> list[dict]:
    """Each appointment line of the calendar from plain values (no model instance, template
    filter or {% url %} per line): its day, the keys the access log needs, and its markup."""
    # /staff/calendar/appointments/0/ -> the prefix every appointment's page shares.
    prefix = reverse("calendar:appointment", args=[0]).removesuffix("0/")
    statuses = {value: str(label) for value, label in AppointmentStatus.choices}
    kinds = {value: str(label) for value, label in AppointmentKind.choices}
    badge = format_html('<span class="badge text-bg-light border">{}</span> ', _("Treatment"))
    rows = []
    for pk, patient_pk, start, end, status, kind, patient, ctype, specialist in appts:
        start = start.astimezone(tz)
        rows.append(
            {
                "pk": pk,
                "patient_pk": patient_pk,
                "date": start.date(),
                "status": status,
                "html": format_html(
                    CALENDAR_LINE,
                    status=status,
                    href=f"{prefix}{pk}/",
                    time=f"{start:%H:%M}\u2013{end.astimezone(tz):%H:%M}",
                    status_label=statuses.get(status, status),
                    patient=patient,
                    badge=badge if kind == AppointmentKind.TREATMENT_VISIT else "",
                    what=ctype or kinds.get(kind, kind),
                    specialist=f" \u00b7 {specialist}" if show_specialist else "",
                ),
            }
        )
    return rows


def _calendar(request, *, days: int, template: str, url_name: str):
    day = parse_day(request.GET.get("date"))
    specialist = _specialist_param(request)
    asked_for = request.GET.get("specialist", "")
    if (request.GET.get("date") and day is None) or (
        asked_for not in ("", "all") and specialist is None
    ):
        # As the screen queue does: say so, and show today / the whole clinic.
        messages.warning(request, _("Some filters were not understood and were ignored."))
    day = day or clinic_today()
    if days == 7:
        day = day - datetime.timedelta(days=day.weekday())
    tz = clinic_tz()
    start = local_to_utc(day, datetime.time.min, tz)
    end = local_to_utc(day + datetime.timedelta(days=days), datetime.time.min, tz)
    rows = calendar_rows(
        calendar_appointments(start=start, end=end, specialist=specialist).values_list(
            *CALENDAR_FIELDS
        ),
        tz,
        show_specialist=specialist is None,
    )
    access_record_keys(
        request=request,
        model=Appointment,
        patient_model=Patient,
        pairs=[(r["pk"], r["patient_pk"]) for r in rows],
    )
    specialists = list(Specialist.objects.all())
    today = clinic_today()
    columns = []
    for n in range(days):
        d = day + datetime.timedelta(days=n)
        columns.append(
            {
                "date": d,
                "appointments": [r for r in rows if r["date"] == d],
                "is_today": d == today,
            }
        )
    spec_q = {"specialist": specialist.pk if specialist else "all"}

    def href(name, d):
        return f"{reverse(name)}?{urlencode({'date': d.isoformat(), **spec_q})}"

    return render(
        request,
        template,
        {
            "day": day,
            "columns": columns,
            "specialist": specialist,
            "specialists": specialists,
            "count": sum(1 for r in rows if r["status"] == AppointmentStatus.BOOKED),
            "prev_href": href(url_name, day - datetime.timedelta(days=days)),
            "next_href": href(url_name, day + datetime.timedelta(days=days)),
            "today_href": href(url_name, clinic_today()),
            "day_href": href("calendar:day", day),
            "week_href": href("calendar:week", day),
            "spec_value": spec_q["specialist"],
            "url_name": url_name,
        },
    )


@require_safe
@calendar_required
@clinic_time
def calendar_day(request):
    return _calendar(request, days=1, template="staff/calendar_day.html", url_name="calendar:day")


@require_safe
@calendar_required
@clinic_time
def calendar_week(request):
    return _calendar(request, days=7, template="staff/calendar_week.html", url_name="calendar:week")


def _appointment(pk) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related(
            "patient",
            "patient__user",
            "patient__guardian",
            "specialist",
            "consultation_type",
            "booked_by",
            "cancelled_by",
        ),
        pk=pk,
    )


@require_safe
@calendar_required
@clinic_time
def appointment_detail(request, pk):
    appt = _appointment(pk)
    access_record(request=request, obj=appt, patient=appt.patient)
    changes = list(appt.changes.select_related("by", "old_specialist", "new_specialist"))
    return render(
        request,
        "staff/appointment.html",
        {
            "appt": appt,
            "changes": changes,
            "email": patient_email_address(appt.patient),
            "outcome_form": OutcomeForm(),
            "started": appt.start <= datetime.datetime.now(datetime.UTC),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@calendar_required
@clinic_time
def appointment_cancel_view(request, pk):
    appt = _appointment(pk)
    access_record(request=request, obj=appt, patient=appt.patient)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_cancel(
                appointment=appt,
                by=request.user,
                reason=form.cleaned_data["reason"],
                for_staff=True,
            )
        except BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Cancelled; the patient is notified."))
        return redirect(_back(request, appt))
    return render(
        request,
        "staff/appointment_cancel.html",
        {"appt": appt, "form": form, "back": _back(request, appt)},
    )


def _back(request, appt) -> str:
    target = request.POST.get("back") or request.GET.get("back") or ""
    if target.startswith("/staff/") and "//" not in target:
        return target
    return reverse("calendar:appointment", args=[appt.pk])


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@calendar_required
@clinic_time
def appointment_outcome(request, pk):
    appt = _appointment(pk)
    access_record(request=request, obj=appt, patient=appt.patient)
    form = OutcomeForm(request.POST or request.GET or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                appointment_record_outcome(
                    appointment=appt, status=form.cleaned_data["status"], by=request.user
                )
            except BookingError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Outcome recorded."))
        else:
            messages.error(request, _("Choose completed or no-show."))
        return redirect("calendar:appointment", pk=appt.pk)
    return render(request, "staff/appointment_outcome.html", {"appt": appt, "form": form})


@require_safe
@calendar_required
@clinic_time
def appointment_reschedule_pick(request, pk):
    appt = _appointment(pk)
    access_record(request=request, obj=appt, patient=appt.patient)
    if appt.status != AppointmentStatus.BOOKED:
        messages.error(request, _("Only a booked appointment can be moved."))
        return redirect("calendar:appointment", pk=appt.pk)
    specialists = list(Specialist.objects.filter(is_active=True))
    target = appt.specialist
    chosen = request.GET.get("who", "")
    if chosen.isdigit():
        target = next((s for s in specialists if s.pk == int(chosen)), target)
    avail = availability_load(
        duration=appt.end - appt.start,
        buffer=appt.blocked_until - appt.end,
        specialist=target,
        exclude_appointment=appt,
        for_staff=True,
    )
    base = reverse("calendar:reschedule", args=[appt.pk])
    confirm = reverse("calendar:reschedule_confirm", args=[appt.pk])
    picker = slot_picker(
        avail,
        day_param=request.GET.get("day"),
        slot_href=lambda s: (
            f"{confirm}?{urlencode({'start': format_start(s.start), 'who': target.pk})}"
        ),
        day_href=lambda d: f"{base}?{urlencode({'day': d.isoformat(), 'who': target.pk})}",
    )
    return render(
        request,
        "staff/reschedule.html",
        {"appt": appt, "specialists": specialists, "target": target, **picker},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@calendar_required
@clinic_time
def appointment_reschedule_confirm(request, pk):
    appt = _appointment(pk)
    access_record(request=request, obj=appt, patient=appt.patient)
    form = StaffRescheduleForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose a new time from the list."))
        return redirect("calendar:reschedule", pk=appt.pk)
    start, target = form.cleaned_data["start"], form.cleaned_data["who"] or appt.specialist
    if request.method == "POST":
        try:
            appointment_reschedule(
                appointment=appt, start=start, specialist=target, by=request.user, for_staff=True
            )
        except SlotTaken as exc:
            messages.error(request, str(exc))
            day = start.astimezone(clinic_tz()).date().isoformat()
            return redirect(
                f"{reverse('calendar:reschedule', args=[appt.pk])}?"
                + urlencode({"day": day, "who": target.pk})
            )
        except BookingError as exc:
            messages.error(request, str(exc))
            return redirect("calendar:appointment", pk=appt.pk)
        messages.success(request, _("Moved; the patient is notified."))
        return redirect("calendar:appointment", pk=appt.pk)
    return render(
        request,
        "staff/reschedule_confirm.html",
        {
            "appt": appt,
            "start": start,
            "end": start + (appt.end - appt.start),
            "target": target,
            "start_value": format_start(start),
        },
    )


# --- Patients: search, register by phone, invite to claim, book for them --------------------
@require_safe
@calendar_required
def patient_search(request):
    form = PatientSearchForm(request.GET or None)
    results = []
    query = ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        query = form.cleaned_data["q"].strip()
        digits = "".join(c for c in query if c.isdigit())
        condition = Q(legal_name__icontains=query) | Q(preferred_name__icontains=query)
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits)
        if "@" in query:
            condition |= Q(user__email__iexact=query) | Q(contact_email__iexact=query)
        results = list(
            Patient.objects.filter(condition).select_related("user", "guardian")[:SEARCH_LIMIT]
        )
        access_record_many(request=request, items=[(p, p) for p in results])
    return render(
        request,
        "staff/patient_search.html",
        {"form": form, "results": results, "query": query, "limit": SEARCH_LIMIT},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@calendar_required
def patient_new(request):
    form = StaffPatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_register_by_staff(registered_by=request.user, **form.cleaned_data)
        except ProfileError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Patient registered. Book their appointment below."))
            return redirect("calendar:patient", pk=patient.pk)
    return render(request, "staff/patient_new.html", {"form": form})


@require_safe
@calendar_required
@clinic_time
def patient_card(request, pk):
    patient = get_object_or_404(
        Patient.objects.select_related("user", "guardian", "closure"), pk=pk
    )
    access_record(request=request, obj=patient, patient=patient)
    appointments = window(
        patient.appointments.select_related("specialist", "consultation_type").order_by(
            "-start", "-pk"
        ),
        number=request.GET.get("appts"),
        size=CARD_APPOINTMENTS_PAGE,
        param="appts",
    )
    types = list(ConsultationType.objects.filter(is_active=True))
    return render(
        request,
        "staff/patient.html",
        {
            "patient": patient,
            "appointments": appointments.rows,
            "appointments_pager": appointments,
            "types": types,
            "email": patient_email_address(patient),
            "invite_form": InviteForm(initial={"email": patient.contact_email}),
            "age": patient.age_on(clinic_today()),
            "reminders": patient_reminder_history(patient),
            "reminder_channel": patient.get_reminder_channel_display(),
        },
    )


@require_http_methods(["POST"])
@calendar_required
def patient_invite(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid email address."))
    else:
        try:
            patient_claim_invite(patient=patient, email=form.cleaned_data["email"])
        except ProfileError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Invitation sent. The link works once and for three days."))
    return redirect("calendar:patient", pk=patient.pk)


@require_safe
@calendar_required
@clinic_time
def book_for_patient(request, pk):
    """Type, specialist and a free time for a patient on the phone (no minimum notice)."""
    patient = get_object_or_404(Patient, pk=pk)
    access_record(request=request, obj=patient, patient=patient)
    types = list(ConsultationType.objects.filter(is_active=True))
    specialists = list(Specialist.objects.filter(is_active=True))
    type_value = request.GET.get("type", "")
    ctype = next((t for t in types if type_value.isdigit() and t.pk == int(type_value)), None)
    who = request.GET.get("who", "any")
    specialist = None
    if who != "any":
        specialist = next((s for s in specialists if who.isdigit() and s.pk == int(who)), None)
        who = str(specialist.pk) if specialist else "any"
    context = {
        "patient": patient,
        "types": types,
        "specialists": specialists,
        "ctype": ctype,
        "who": who,
        "specialist": specialist,
    }
    if ctype is not None:
        avail = availability_load(consultation_type=ctype, specialist=specialist, for_staff=True)
        base = reverse("calendar:book", args=[patient.pk])
        confirm = reverse("calendar:book_confirm", args=[patient.pk])
        context.update(
            slot_picker(
                avail,
                day_param=request.GET.get("day"),
                slot_href=lambda s: (
                    f"{confirm}?"
                    + urlencode({"type": ctype.pk, "who": who, "start": format_start(s.start)})
                ),
                day_href=lambda d: (
                    f"{base}?" + urlencode({"type": ctype.pk, "who": who, "day": d.isoformat()})
                ),
            )
        )
    return render(request, "staff/book.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@calendar_required
@clinic_time
def book_for_patient_confirm(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    access_record(request=request, obj=patient, patient=patient)
    form = SlotForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose a time from the list."))
        return redirect("calendar:book", pk=patient.pk)
    ctype, specialist, start = (form.cleaned_data[k] for k in ("type", "who", "start"))
    who = str(specialist.pk) if specialist else "any"
    back = f"{reverse('calendar:book', args=[patient.pk])}?" + urlencode(
        {"type": ctype.pk, "who": who, "day": start.astimezone(clinic_tz()).date().isoformat()}
    )
    if request.method == "POST":
        try:
            appt = appointment_book(
                patient=patient,
                consultation_type=ctype,
                specialist=specialist,
                start=start,
                booked_by=request.user,
                for_staff=True,
            )
        except SlotTaken as exc:
            nearest = nearest_free_slots(exc.avail, exc.start)
            messages.error(
                request,
                str(exc)
                + " "
                + ", ".join(
                    s.start.astimezone(clinic_tz()).strftime("%a %d %b %H:%M") for s in nearest
                ),
            )
            return redirect(back)
        except (PatientBusy, BookingError) as exc:
            messages.error(request, str(exc))
            return redirect(back)
        messages.success(request, _("Booked. The patient is notified if they have an email."))
        return redirect("calendar:appointment", pk=appt.pk)
    avail = availability_load(consultation_type=ctype, specialist=specialist, for_staff=True)
    slot, _free = slot_lookup(avail, start)
    if slot is None:
        messages.error(request, _("That time is no longer free; choose another."))
        return redirect(back)
    return render(
        request,
        "staff/book_confirm.html",
        {
            "patient": patient,
            "ctype": ctype,
            "specialist": specialist,
            "who": who,
            "slot": slot,
            "start_value": format_start(start),
            "back": back,
            "email": patient_email_address(patient),
        },
    )


# --- Availability ---------------------------------------------------------------------------
@require_safe
@calendar_required
def specialist_list(request):
    specialists = list(Specialist.objects.prefetch_related("working_hours"))
    return render(request, "staff/specialists.html", {"specialists": specialists})


def _affected_context(request, specialist):
    affected = appointments_outside_availability(specialist=specialist)
    access_record_many(request=request, items=[(a, a.patient) for a in affected])
    return affected


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@calendar_required
@clinic_time
def working_hours_edit(request, pk):
    specialist = get_object_or_404(Specialist, pk=pk)
    initial = [
        {"weekday": h.weekday, "start": h.start, "end": h.end}
        for h in specialist.working_hours.all()
    ]
    formset = WorkingHoursFormSet(request.POST or None, initial=initial, prefix="hours")
    if request.method == "POST" and formset.is_valid():
        ranges = [
            (f.cleaned_data["weekday"], f.cleaned_data["start"], f.cleaned_data["end"])
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            working_hours_replace(specialist=specialist, ranges=ranges)
        except BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Working hours saved."))
            return redirect("calendar:affected", pk=specialist.pk)
    return render(
        request, "staff/working_hours.html", {"specialist": specialist, "formset": formset}
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@calendar_required
@clinic_time
def time_off(request, pk):
    specialist = get_object_or_404(Specialist, pk=pk)
    form = TimeOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            time_off_add(
                specialist=specialist,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
                created_by=request.user,
            )
        except BookingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Time off added."))
            return redirect("calendar:affected", pk=specialist.pk)
    now = datetime.datetime.now(datetime.UTC)
    entries = list(specialist.time_off.filter(end__gt=now).order_by("start"))
    return render(
        request,
        "staff/time_off.html",
        {"specialist": specialist, "form": form, "entries": entries},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@calendar_required
@clinic_time
def time_off_remove(request, pk, time_off_pk):
    entry = get_object_or_404(
        TimeOff.objects.select_related("specialist"), pk=time_off_pk, specialist_id=pk
    )
    if request.method == "POST":
        time_off_delete(time_off=entry)
        messages.success(request, _("Time off removed."))
        return redirect("calendar:time_off", pk=pk)
    return render(request, "staff/time_off_delete.html", {"entry": entry})


@require_safe
@calendar_required
@clinic_time
def affected_appointments(request, pk):
    """Booked appointments now outside the specialist's hours or inside their time off:
    move or cancel each (the patient is notified either way)."""
    specialist = get_object_or_404(Specialist, pk=pk)
    affected = _affected_context(request, specialist)
    return render(
        request,
        "staff/affected.html",
        {"specialist": specialist, "affected": affected, "back": request.get_full_path()},
    )
