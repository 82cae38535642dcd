"""Session logs, HDSS check-ins and progress: the patient's pages (/treatment/…) and the
specialist's dashboard, progress page, flags and consultation check-in (/specialist/…).

Patients and guardians reach only their own and their dependants' records (anything else is
a 404). Staff and specialists read; only specialists acknowledge flags or record a check-in.
Every page that shows a patient's data to a clinician records the read."""

import csv
import io
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from clinic.accounts.permissions import clinician_required, patient_required, permission_required
from clinic.audit.services import access_record, access_record_keys
from patients.labels import AREA_LABELS
from patients.models import Patient

from .. import progress_data, progress_markup, selectors
from ..forms_tracking import AcknowledgeForm, CheckInForm, DashboardForm, DoneForm, SkipForm
from ..models import CheckIn, Flag, PlannedSession, Progress, SessionLog, Setting, SideEffect
from ..progress_data import home_ion_items, treated_areas
from ..services.sessions import patient_today
from ..services.tracking import (
    EDIT_WINDOW,
    TrackingError,
    checkin_record,
    editable,
    flag_acknowledge,
    session_log_create,
    session_log_edit,
)

specialist_required = permission_required("accounts.assign_plans")


def _clinic_zone():
    return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


PAGE_SIZE = 25


# --- Patients ---------------------------------------------------------------------------------
def _own_patient(request, patient_id, related: str = "plan__current_version") -> Patient:
    return get_object_or_404(
        selectors.patients_for_user(request.user).select_related(related), pk=patient_id
    )


def _show_errors(request, form, exc: TrackingError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _log_areas(patient) -> list[str]:
    plan = selectors._plan_of(patient)
    if plan is None or plan.current_version_id is None:
        return []
    return treated_areas(home_ion_items(plan.current_version.items.all()))


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def session_log_page(request, session_id):
    """Log one planned home session: "Done as planned" (the second tap), done with details,
    or skipped with a reason."""
    session = get_object_or_404(
        PlannedSession.objects.select_related("item", "plan__patient").filter(
            plan__patient__in=selectors.patients_for_user(request.user),
            kind=PlannedSession.Kind.SESSION,
            setting=Setting.HOME,
            status=PlannedSession.Status.PLANNED,
        ),
        pk=session_id,
    )
    patient = session.plan.patient
    existing = SessionLog.objects.filter(planned_session=session).first()
    if existing is not None:
        return redirect("treatments:log", log_id=existing.pk)
    item = session.item
    action = request.POST.get("action") if request.method == "POST" else None
    done_initial = {
        "minutes": session.duration_minutes or item.session_minutes,
        "current_ma": item.current_ma,
        "areas": list(item.areas),
        "side_effects": [SideEffect.NONE],
    }
    done_form = DoneForm(
        data=request.POST if action == "done" else None,
        initial=done_initial,
        areas=list(item.areas),
        ask_day=False,
        prefix="done",
    )
    skip_form = SkipForm(data=request.POST if action == "skipped" else None, prefix="skip")
    errors: list[str] = []
    concerning = False
    if request.method == "POST":
        try:
            if action == "as_planned":
                session_log_create(
                    user=request.user,
                    patient_id=patient.pk,
                    planned_session_id=session.pk,
                    as_planned=True,
                )
            elif action == "done" and done_form.is_valid():
                log = session_log_create(
                    user=request.user,
                    patient_id=patient.pk,
                    planned_session_id=session.pk,
                    entry=done_form.entry(),
                )
                concerning = bool(log.concerning)
            elif action == "skipped" and skip_form.is_valid():
                session_log_create(
                    user=request.user,
                    patient_id=patient.pk,
                    planned_session_id=session.pk,
                    entry=skip_form.entry(),
                )
            else:
                raise TrackingError(_("Please check the answers marked below."))
        except TrackingError as exc:
            errors = exc.messages
        else:
            if concerning:  # what happens next, not "well done"
                messages.warning(
                    request,
                    _(
                        "Session logged. You reported blisters or pain, so your specialist "
                        "is told. Please stop the sessions until we have spoken: call us at "
                        "%(phone)s."
                    )
                    % {"phone": settings.CLINIC_PHONE},
                )
            else:
                messages.success(
                    request,
                    _("Skipped session saved. Thank you for telling us.")
                    if action == "skipped"
                    else _("Session logged. Well done!"),
                )
            return redirect(reverse("treatments:my_treatment") + f"#log-{patient.pk}")
    return render(
        request,
        "treatments/patient/log_session.html",
        {
            "patient": patient,
            "session": session,
            "item": item,
            "done_form": done_form,
            "skip_form": skip_form,
            "errors": errors,
            "open": action,
            "areas": ", ".join(str(AREA_LABELS[a]).lower() for a in item.areas),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def extra_log_page(request, patient_id):
    """Log a session that was not on the calendar (or done on another day)."""
    patient = _own_patient(request, patient_id)
    areas = _log_areas(patient)
    if not areas:
        messages.info(request, _("Your plan has no home sessions to log."))
        return redirect("treatments:my_treatment")
    items = home_ion_items(patient.plan.current_version.items.all())
    today = patient_today(patient)
    form = DoneForm(
        data=request.POST if request.method == "POST" else None,
        initial={
            "day": today,
            "minutes": items[0].session_minutes,
            "current_ma": items[0].current_ma,
            "areas": list(items[0].areas),
            "side_effects": [SideEffect.NONE],
        },
        areas=areas,
    )
    if request.method == "POST" and form.is_valid():
        try:
            session_log_create(user=request.user, patient_id=patient.pk, entry=form.entry())
        except TrackingError as exc:
            _show_errors(request, form, exc)
        else:
            messages.success(request, _("Extra session logged."))
            return redirect("treatments:progress", patient_id=patient.pk)
    return render(
        request,
        "treatments/patient/log_extra.html",
        {"patient": patient, "form": form, "today": today},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def log_page(request, log_id):
    """A logged session: editable for 48 hours after logging it, then read-only."""
    log = progress_data.log_for_user(request.user, log_id)
    can_edit = editable(log)
    action = request.POST.get("action") if request.method == "POST" else None
    done_form = skip_form = None
    errors: list[str] = []
    if can_edit:
        areas = list(log.item.areas)
        done_initial = {
            "day": log.day,
            "minutes": log.minutes or log.item.session_minutes,
            "current_ma": log.current_ma if log.current_ma is not None else log.item.current_ma,
            "areas": log.areas if log.status == "done" else areas,
            "side_effects": log.side_effects or [SideEffect.NONE],
            "side_effect_other": log.side_effect_other,
            "notes": log.notes if log.status == "done" else "",
        }
        done_form = DoneForm(
            data=request.POST if action == "done" else None,
            initial=done_initial,
            areas=areas,
            ask_day=log.is_extra,
            prefix="done",
        )
        skip_form = SkipForm(
            data=request.POST if action == "skipped" else None,
            initial={"skip_reason": log.skip_reason, "notes": log.notes}
            if log.status == "skipped"
            else None,
            prefix="skip",
        )
    if request.method == "POST":
        if not can_edit:
            messages.error(request, _("This log can no longer be changed (48 hours have passed)."))
            return redirect("treatments:log", log_id=log.pk)
        try:
            if action == "done" and done_form.is_valid():
                entry = done_form.entry()
            elif action == "skipped" and skip_form.is_valid():
                entry = skip_form.entry(log.day)
            else:
                raise TrackingError(_("Please check the answers marked below."))
            session_log_edit(user=request.user, log_id=log.pk, entry=entry)
        except TrackingError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("treatments:progress", patient_id=log.patient_id)
    return render(
        request,
        "treatments/patient/log.html",
        {
            "log": log,
            "patient": log.patient,
            "can_edit": can_edit,
            "editable_until": log.created_at + EDIT_WINDOW,
            "done_form": done_form,
            "skip_form": skip_form,
            "errors": errors,
            "open": action,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def checkin_page(request, patient_id):
    """The two-weekly HDSS check-in: one of the four sentences per treated area."""
    patient = _own_patient(request, patient_id)
    plan = selectors._plan_of(patient)
    if plan is None or plan.current_version_id is None:
        messages.info(request, _("There is no treatment plan to check in for yet."))
        return redirect("treatments:my_treatment")
    areas = treated_areas(plan.current_version.items.all())
    today = patient_today(patient)
    earlier = CheckIn.objects.filter(
        patient=patient, day=today, source=CheckIn.Source.PATIENT
    ).first()
    initial = {}
    if earlier is not None:
        initial = {f"{a}-hdss": v for a, v in earlier.scores.items()}
        initial.update({f"{a}-dryness": v for a, v in earlier.dryness.items()})
    form = CheckInForm(
        data=request.POST if request.method == "POST" else None, initial=initial, areas=areas
    )
    if request.method == "POST" and form.is_valid():
        try:
            checkin_record(
                user=request.user,
                patient_id=patient.pk,
                scores=form.scores(),
                dryness=form.dryness(),
            )
        except TrackingError as exc:
            _show_errors(request, form, exc)
        else:
            messages.success(request, _("Thank you: your check-in is saved."))
            return redirect("treatments:progress", patient_id=patient.pk)
    elif request.method == "POST":
        form.add_error(None, _("Please choose a sentence for each area."))
    return render(
        request,
        "treatments/patient/checkin.html",
        {"patient": patient, "form": form, "earlier": earlier},
    )


@require_safe
@patient_required
def progress_page(request, patient_id):
    patient = _own_patient(request, patient_id, "plan")  # the summary needs no version
    today = patient_today(patient)
    data = progress_data.summary(patient, today=today, with_charts=True)
    return render(
        request,
        "treatments/patient/progress.html",
        {
            "patient": patient,
            "data": data,
            "today": today,
            "recent_logs": progress_markup.recent_logs(data.logs),
        },
    )


SIDE_EFFECT_NAMES = dict(SideEffect.choices)


@require_safe
@patient_required
def export_csv(request, patient_id):
    """The patient's own sessions and check-ins as one CSV file (a "record" column tells
    them apart)."""
    patient = _own_patient(request, patient_id)
    logs, checkins = progress_data.export_rows(patient)
    out = io.StringIO()
    writer = csv.writer(out)
    areas = list(AREA_LABELS)
    writer.writerow(
        [
            "record",
            "date",
            "planned",
            "status",
            "minutes",
            "current_ma",
            "areas",
            "side_effects",
            "side_effect_other",
            "skip_reason",
            "notes",
            *[f"hdss_{a}" for a in areas],
            *[f"dryness_{a}" for a in areas],
            "checkin_source",
        ]
    )
    blank = [""] * (2 * len(areas) + 1)
    for log in logs:
        writer.writerow(
            [
                "session",
                log.day.isoformat(),
                "no" if log.is_extra else "yes",
                log.status,
                log.minutes or "",
                log.current_ma if log.current_ma is not None else "",
                " ".join(log.areas),
                " ".join(log.side_effects),
                _csv_text(log.side_effect_other),
                log.skip_reason,
                _csv_text(log.notes),
                *blank,
            ]
        )
    for c in checkins:
        writer.writerow(
            [
                "checkin",
                c.day.isoformat(),
                *[""] * 9,
                *[c.scores.get(a, "") for a in areas],
                *[c.dryness.get(a, "") for a in areas],
                c.source,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-sessions-and-check-ins.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _csv_text(text: str) -> str:
    """Free text as a spreadsheet shows it, never as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- Specialists ------------------------------------------------------------------------------
# The dashboard's rows are plain values worked out once here (a page of 25 patients and their
# open flags): no model instance, {% url %}, |date or {% blocktranslate %} per row in the
# template. The texts are the template's own msgids, so the catalog translates them the same.
_DASHBOARD_FIELDS = (
    "pk",
    "legal_name",
    "progress__done_recent",
    "progress__planned_recent",
    "progress__last_log_day",
    "progress__baseline",
    "progress__latest",
    "assigned_specialist__pk",
    "assigned_specialist__specialist__first_name",
    "assigned_specialist__specialist__last_name",
)
_BADGE = {3: "text-bg-danger", 2: "text-bg-warning"}
_SENTINEL = 987654321  # a placeholder pk: each URL is reversed once, then filled in per row


def _fill(translated: str, **values) -> str:
    """What ``{% blocktranslate with k=v %}msgid{% endblocktranslate %}`` renders, given the
    msgid's translation: the translated text as is, the values escaped."""
    return mark_safe(translated % {k: conditional_escape(v) for k, v in values.items()})


def _dashboard_rows(rows: list[dict], *, scope: str, is_specialist: bool) -> list[dict]:
    ids = [r["pk"] for r in rows]
    flags: dict[int, list[dict]] = {}
    if ids:  # as the prefetch did: no query for an empty page
        for flag in (
            Flag.objects.filter(closed_at__isnull=True, patient_id__in=ids)
            .order_by("-severity", "raised_at", "pk")
            .values("pk", "patient_id", "kind", "severity", "detail", "raised_at")
        ):
            flags.setdefault(flag["patient_id"], []).append(flag)
    zone = _clinic_zone()
    kinds = {value: str(label) for value, label in Flag.Kind.choices}
    areas = {value: str(label) for value, label in AREA_LABELS.items()}
    chart_url = reverse("treatments:progress_specialist", args=[_SENTINEL])
    ack_url = reverse("treatments:flag_ack", args=[_SENTINEL, _SENTINEL + 1])
    sentinel, sentinel_flag = str(_SENTINEL), str(_SENTINEL + 1)
    # Each text translated once per page, each distinct date formatted once (active language).
    recent, last_log, no_log = _("last 2 weeks %(a)s%%"), _("last log %(d)s"), _("no log yet")
    specialist_is, acknowledge = _("Specialist: %(name)s"), _("Acknowledge: %(k)s (%(n)s)")
    days: dict = {}
    times: dict = {}
    out = []
    for r in rows:
        pk, name = r["pk"], r["legal_name"]
        meta = []
        adherence = Progress._percent(r["progress__done_recent"], r["progress__planned_recent"])
        if adherence is not None:
            meta += [_fill(recent, a=adherence), " · "]
        last = r["progress__last_log_day"]
        if last:
            if last not in days:
                days[last] = dateformat.format(last, "j M")
            meta.append(_fill(last_log, d=days[last]))
        else:
            meta.append(no_log)
        latest = r["progress__latest"] or {}
        for area, start in (r["progress__baseline"] or {}).items():
            now = latest.get(area)
            step = f" → {now}" if now and now != start else ""
            meta.append(format_html(" · {}: HDSS {}{}", areas.get(area, area), start, step))
        specialist = ""
        if scope == "all" and r["assigned_specialist__pk"] is not None:
            full = (
                f"{r['assigned_specialist__specialist__first_name']} "
                f"{r['assigned_specialist__specialist__last_name']}"
            ).strip()
            specialist = _fill(specialist_is, name=full)
        rows_flags = []
        for f in flags.get(pk, ()):
            at = f["raised_at"]
            if at not in times:
                times[at] = dateformat.format(timezone.localtime(at, zone), "j M H:i")
            kind = kinds.get(f["kind"], f["kind"])
            rows_flags.append(
                {
                    "kind": f["kind"],
                    "label": kind,
                    "badge": _BADGE.get(f["severity"], "text-bg-info"),
                    "raised": times[at],
                    "detail": f["detail"],
                    "ack_url": ack_url.replace(sentinel_flag, str(f["pk"])).replace(
                        sentinel, str(pk)
                    )
                    if is_specialist
                    else "",
                    "ack_label": _fill(acknowledge, k=kind, n=name) if is_specialist else "",
                }
            )
        out.append(
            {
                "pk": pk,
                "name": name,
                "url": chart_url.replace(sentinel, str(pk)),
                "meta": mark_safe("".join(conditional_escape(m) for m in meta)),
                "specialist": specialist,
                "flags": rows_flags,
            }
        )
    return out


@require_safe
@clinician_required
def dashboard_page(request):
    """Patients needing attention: the user's own by default, everyone's on the switch."""
    form = DashboardForm(data=request.GET)
    scope = form.cleaned_data.get("scope", "") if form.is_valid() else ""
    is_specialist = request.user.has_perm("accounts.assign_plans")
    if not is_specialist:
        scope = "all"  # staff have no patients of their own
    patients = (
        progress_data.dashboard_patients(user=request.user, scope=scope)
        .prefetch_related(None)  # the open flags: one query of plain values below
        .values(*_DASHBOARD_FIELDS)
    )
    paginator = Paginator(patients, PAGE_SIZE)
    counts = progress_data.dashboard_counts(user=request.user) if is_specialist else {}
    if scope != "all":
        # The user's own patients needing attention: that count is the paginator's too.
        paginator.count = counts["attention"]
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    access_record_keys(
        request=request,
        model=Patient,
        patient_model=Patient,
        pairs=[(r["pk"], r["pk"]) for r in rows],
    )
    return render(
        request,
        "treatments/specialist/dashboard.html",
        {
            "form": form,
            "scope": scope,
            "page": page,
            "rows": _dashboard_rows(rows, scope=scope, is_specialist=is_specialist),
            "is_specialist": is_specialist,
            "counts": counts,
        },
    )


@require_safe
@clinician_required
def progress_specialist_page(request, patient_id):
    patient = get_object_or_404(
        Patient.objects.select_related("plan__current_version", "user"), pk=patient_id
    )
    access_record(request=request, obj=patient, patient=patient)
    today = patient_today(patient)
    data = progress_data.summary(patient, today=today, with_charts=True)
    return render(
        request,
        "treatments/specialist/progress.html",
        {
            "patient": patient,
            "data": data,
            "today": today,
            "flags": progress_data.flags_for(patient),
            "can_act": request.user.has_perm("accounts.assign_plans"),
            "clinic_tz": _clinic_zone(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@specialist_required
def flag_ack_page(request, patient_id, flag_id):
    """Acknowledge a flag with a note (GET shows it and asks; only POST closes it)."""
    flag = get_object_or_404(
        Flag.objects.select_related("patient", "session_log", "closed_by"),
        patient_id=patient_id,
        pk=flag_id,
    )
    patient = flag.patient
    access_record(request=request, obj=flag, patient=patient)
    form = AcknowledgeForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and flag.is_open and form.is_valid():
        try:
            flag_acknowledge(user=request.user, flag_id=flag.pk, note=form.cleaned_data["note"])
        except TrackingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Flag acknowledged."))
            back = request.POST.get("back")
            if back == "progress":
                return redirect("treatments:progress_specialist", patient_id=patient.pk)
            return redirect("treatments:dashboard")
    return render(
        request,
        "treatments/specialist/flag_ack.html",
        {
            "patient": patient,
            "flag": flag,
            "form": form,
            "back": request.GET.get("back") or request.POST.get("back", ""),
            "suggest_maintenance": flag.kind == Flag.Kind.RESPONSE,
            "suggest_review": flag.kind == Flag.Kind.FAILURE,
            "clinic_tz": _clinic_zone(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@specialist_required
def consultation_checkin_page(request, patient_id):
    """The specialist records the HDSS of each treated area at a consultation."""
    patient = get_object_or_404(
        Patient.objects.select_related("plan__current_version"), pk=patient_id
    )
    access_record(request=request, obj=patient, patient=patient)
    plan = selectors._plan_of(patient)
    if plan is None or plan.current_version_id is None:
        messages.info(request, _("This patient has no plan yet."))
        return redirect("treatments:chart", patient_id=patient.pk)
    areas = treated_areas(plan.current_version.items.all())
    today = patient_today(patient)
    form = CheckInForm(
        data=request.POST if request.method == "POST" else None,
        initial={"day": today},
        areas=areas,
        ask_day=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            checkin_record(
                user=request.user,
                patient_id=patient.pk,
                scores=form.scores(),
                dryness=form.dryness(),
                source=CheckIn.Source.CONSULTATION,
                day=form.cleaned_data["day"],
            )
        except TrackingError as exc:
            _show_errors(request, form, exc)
        else:
            messages.success(request, _("The HDSS check-in is saved."))
            return redirect("treatments:progress_specialist", patient_id=patient.pk)
    return render(
        request,
        "treatments/specialist/checkin.html",
        {"patient": patient, "form": form},
    )
