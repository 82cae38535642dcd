"""The specialist's pages: the patient list, the patient chart, assigning or changing a plan
(two steps: treatments per area, then the details of each), moving to maintenance, the
session calendar, plan versions and consultation notes.

Staff and specialists may read (``view_patient_records``); only specialists change anything
(``assign_plans``). Every page that shows a patient's data records the read."""

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from clinic.accounts.permissions import clinician_required, permission_required
from clinic.audit.services import access_record, access_record_many
from clinic.form_errors import error_links
from patients.labels import AREA_LABELS, TREATMENT_SHORT
from patients.models import Patient, Screen
from patients.screen_display import result_view
from patients.selectors.booking import clinician_hours

from .. import defaults, describe, selectors
from ..forms import (
    NONE,
    ChangeReasonForm,
    ChoiceForm,
    IontophoresisForm,
    MaintenanceForm,
    NoteForm,
    OtherTreatmentForm,
    PatientSearchForm,
    initial_for,
)
from ..models import Plan, PlannedSession, Setting
from ..services import (
    ItemSpec,
    PlanError,
    note_create,
    note_edit,
    patient_assign_specialist,
    plan_assign,
    plan_change,
    plan_move_to_maintenance,
)
from ..services.plans import GROUND_TEXT, choice_problems, latest_screen, screen_gate
from ..services.sessions import VISIT_EXTRA_MINUTES, patient_today

specialist_required = permission_required("accounts.assign_plans")
PAGE_SIZE = 25
_SENTINEL = 987654321  # a placeholder in a URL reversed once, filled in per row


def _zone():
    return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


def _patient_zone(patient):
    try:
        return zoneinfo.ZoneInfo(patient.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return _zone()


# --- The list -------------------------------------------------------------------------------
@require_safe
@clinician_required
def patient_list_page(request):
    form = PatientSearchForm(data=request.GET)
    chosen = form.cleaned_data if form.is_valid() else {}
    patients = selectors.specialist_patients(
        query=chosen.get("q", ""), scope=chosen.get("scope", ""), user=request.user
    )
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    access_record_many(request=request, items=[(p, p) for p in page.object_list])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "treatments/specialist/patient_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "tz": _zone()},
    )


# --- The chart ------------------------------------------------------------------------------
def _items_view(items) -> list[dict]:
    rows = []
    for item in items:
        rows.append(
            {
                "item": item,
                "line": describe.item_line(item),
                "label": TREATMENT_SHORT.get(item.treatment, item.treatment),
                "areas": describe.area_names(item.areas),
                "needs": defaults.NEEDS[item.treatment],
                "instructions_label": defaults.INSTRUCTIONS_LABEL.get(
                    defaults.NEEDS[item.treatment], ""
                ),
                "grounds": [GROUND_TEXT[g] for g in item.override_grounds],
                "statuses": [(AREA_LABELS.get(a, a), s) for a, s in item.option_statuses.items()],
                "weekdays": describe.weekday_names(item.weekdays) if item.weekdays else "",
                # Loaded with the items (select_related / prefetch "clinician").
                "clinician": item.clinician.display_name if item.clinician_id else "",
            }
        )
    return rows


def _session_rows(sessions, *, tz, today) -> list[dict]:
    """What ``treatments/_session_row.html`` shows of each session, worked out once here for
    the chart's upcoming list: each text translated once, each day formatted once (active
    language), times in the patient's zone; no include, |date or {% url %} per row."""
    home, clinic = _("Home session"), _("Clinic session")
    visit_with = _("visit with %(name)s")
    cancelled = ("text-bg-secondary", _("cancelled"))
    visit_cancelled = ("text-bg-warning", _("visit cancelled by the clinic"))
    visit_missing = ("text-bg-danger", _("visit not booked: the time was taken"))
    days: dict = {}
    rows = []
    for s in sessions:
        when = s.actual_start
        if when is not None:
            when = timezone.localtime(when, tz)
            day, time = dateformat.format(when, "D j M"), dateformat.time_format(when, "H:i")
        else:
            if s.day not in days:
                days[s.day] = dateformat.format(s.day, "D j M")
            day, time = days[s.day], ""
        if s.kind == PlannedSession.Kind.SESSION:
            what = home if s.setting == Setting.HOME else clinic
            if s.duration_minutes:
                what = f"{what} ({s.duration_minutes} min)"
        else:
            what = s.get_kind_display()
        status = None
        if s.status == PlannedSession.Status.CANCELLED:
            status = cancelled
        elif s.visit_cancelled:
            status = visit_cancelled
        elif s.visit_missing:
            status = visit_missing
        classes = " session-cancelled" if s.status == "cancelled" or s.visit_cancelled else ""
        rows.append(
            {
                "classes": classes + (" session-past" if s.day < today else ""),
                "day": day,
                "time": time,
                "what": what,
                "visit_url": reverse("calendar:appointment", args=[s.appointment_id])
                if s.appointment_id
                else "",
                "visit_label": mark_safe(
                    visit_with % {"name": conditional_escape(s.appointment.specialist.display_name)}
                )
                if s.appointment_id
                else "",
                "phase": s.get_phase_display() if s.phase else "",
                "phase_badge": "text-bg-primary" if s.phase == "initial" else "text-bg-info",
                "status": status,
            }
        )
    return rows


def _version_rows(versions, *, patient_id: int, zone) -> list[dict]:
    """The chart's plan history, worked out once (times in the clinic's zone)."""
    url = reverse("treatments:version", args=[patient_id, _SENTINEL])
    return [
        {
            "url": url.replace(str(_SENTINEL), str(v.number)),
            "number": v.number,
            "kind": v.get_kind_display(),
            "at": dateformat.format(timezone.localtime(v.created_at, zone), "j M Y H:i"),
            "by": v.created_by.get_full_name(),
            "reason": v.reason,
            "summary": v.summary,
        }
        for v in versions
    ]


def _note_rows(notes, *, patient_id: int) -> list[dict]:
    """The chart's consultation notes, worked out once (texts translated once)."""
    url = reverse("treatments:note", args=[patient_id, _SENTINEL])
    opened = _("open")
    days: dict = {}
    rows = []
    for note in notes:
        if note.visit_date not in days:
            days[note.visit_date] = dateformat.format(note.visit_date, "D j M Y")
        n = note.revision_count
        rows.append(
            {
                "date": days[note.visit_date],
                "by": note.updated_by.get_full_name(),
                "url": url.replace(str(_SENTINEL), str(note.pk)),
                "link": mark_safe(ngettext("%(n)s version", "%(n)s versions", n) % {"n": n})
                if n > 1
                else opened,
                "text": note.text,
            }
        )
    return rows


@require_safe
@clinician_required
def patient_chart_page(request, patient_id):
    patient = selectors.patient_for_chart(patient_id)
    access_record(request=request, obj=patient, patient=patient)
    today = patient_today(patient)
    data = selectors.chart(patient, today=today)
    screen = data.latest_screen
    return render(
        request,
        "treatments/specialist/chart.html",
        {
            "patient": patient,
            "chart": data,
            "age": patient.age_on(today),
            "today": today,
            "screen": screen,
            "result": result_view(screen.result) if screen else None,
            "gate": screen_gate(screen, workup_reason=None),
            "items": _items_view(data.items),
            "can_assign": request.user.has_perm("accounts.assign_plans"),
            "upcoming": _session_rows(data.upcoming, tz=_patient_zone(patient), today=today),
            "versions": _version_rows(data.versions, patient_id=patient.pk, zone=_zone()),
            "notes": _note_rows(data.notes, patient_id=patient.pk),
            "clinic_tz": _zone(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@specialist_required
def take_on_page(request, patient_id):
    """Become the patient's assigned specialist (GET asks to confirm, POST does it)."""
    patient = selectors.patient_for_chart(patient_id)
    access_record(request=request, obj=patient, patient=patient)
    if request.method == "POST":
        try:
            patient_assign_specialist(
                patient_id=patient.pk, specialist=request.user, user=request.user
            )
        except PlanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("You are now this patient's specialist."))
        return redirect("treatments:chart", patient_id=patient.pk)
    return render(request, "treatments/specialist/take_on.html", {"patient": patient})


# --- Assigning or changing a plan -----------------------------------------------------------
def _draft_key(patient_id: int) -> str:
    return f"plan-draft-{patient_id}"


def _current_items(plan: Plan | None) -> list:
    if plan is None or plan.current_version_id is None:
        return []
    return list(plan.current_version.items.select_related("clinician"))


def _plan_patient(patient_id: int) -> tuple[Patient, Plan | None]:
    patient = get_object_or_404(
        Patient.objects.select_related("plan__current_version", "user"), pk=patient_id
    )
    return patient, selectors._plan_of(patient)


def _options_view(result: dict) -> dict:
    return {a["area"]: a for a in result_view(result)["areas"]}


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@specialist_required
def plan_choose_page(request, patient_id):
    """Step 1: a treatment per area from the engine's ranked options (top preselected), with
    a clinical reason where the choice needs one."""
    patient, plan = _plan_patient(patient_id)
    access_record(request=request, obj=patient, patient=patient)
    screen = latest_screen(patient.pk)
    blocking = screen_gate(screen, workup_reason=None)
    context = {"patient": patient, "plan": plan, "screen": screen, "blocking": blocking}
    if blocking:
        return render(request, "treatments/specialist/plan_choose.html", context)
    workup = screen.outcome == Screen.Outcome.WORKUP
    draft = request.session.get(_draft_key(patient.pk))
    initial = _choice_initial(screen, plan, draft)
    form = ChoiceForm(
        data=request.POST or None, initial=initial, result=screen.result, workup=workup
    )
    if request.method == "POST" and form.is_valid():
        choices = form.choices()
        problems = choice_problems(screen=screen, choices=choices)
        if workup and not form.cleaned_data.get("workup_reason", "").strip():
            problems["workup_reason"] = _(
                "Staff marked the screen for work-up: write why a treatment can start."
            )
        if not choices:
            problems["__all__"] = _("Choose a treatment for at least one area.")
        if not problems:
            request.session[_draft_key(patient.pk)] = {
                "screen_id": screen.pk,
                "choices": choices,
                "workup_reason": form.cleaned_data.get("workup_reason", ""),
                "raw": {k: v for k, v in form.cleaned_data.items()},
            }
            return redirect("treatments:plan_details", patient_id=patient.pk)
        for key, message in problems.items():
            field = (
                None
                if key == "__all__"
                else key
                if key in ("together", "workup_reason")
                else f"{key}-reason"
            )
            form.add_error(field, message)
    options = _options_view(screen.result)
    # Each problem at the top, linked to its field (the area's options or its reason box).
    error_summary = error_links(
        form, anchors={f"{area}-treatment": f"area-{area}" for area in form.areas}
    )
    context.update(
        {
            "form": form,
            "areas": [
                {
                    "area": area,
                    "view": options[area],
                    "field": form[f"{area}-treatment"],
                    "reason": form[f"{area}-reason"],
                }
                for area in form.areas
            ],
            "result": result_view(screen.result),
            "workup": workup,
            "error_summary": error_summary,
        }
    )
    return render(request, "treatments/specialist/plan_choose.html", context)


def _choice_initial(screen: Screen, plan: Plan | None, draft: dict | None) -> dict:
    if draft and draft.get("screen_id") == screen.pk:
        return draft["raw"]
    initial: dict = {}
    current = _current_items(plan)
    for area, entry in screen.result["areas"].items():
        item = next((i for i in current if area in i.areas), None)
        if item is not None:
            initial[f"{area}-treatment"] = item.treatment
            initial[f"{area}-reason"] = item.reason
            if len(item.areas) > 1:
                initial["together"] = True
        elif plan is None:
            initial[f"{area}-treatment"] = entry["top"] or NONE
        else:
            initial[f"{area}-treatment"] = NONE
    if plan is not None and plan.current_version_id:
        initial["workup_reason"] = plan.current_version.workup_reason
    return initial


def _detail_forms(request, *, patient, screen, plan, draft, clinicians) -> list[dict]:
    today = patient_today(patient)
    own_profile = next((s.pk for s in clinicians if s.user_id == request.user.pk), None)
    clinician_choices = [(s.pk, s.display_name) for s in clinicians]
    age = patient.age_on(today)
    minor = (age if age is not None else screen.profile["age"]) < 18
    current = {i.series: i for i in _current_items(plan)}
    rows = []
    for i, choice in enumerate(draft["choices"]):
        treatment, areas = choice["treatment"], choice["areas"]
        needs = defaults.NEEDS[treatment]
        series = f"{treatment}:{'+'.join(sorted(areas))}"
        hdss = max(screen.result["areas"][a]["hdss"] for a in areas)
        existing = current.get(series)
        if existing is not None:
            initial = {
                f: getattr(existing, f)
                for f in (
                    "setting",
                    "session_minutes",
                    "current_ma",
                    "pulsed",
                    "sessions_per_week",
                    "initial_weeks",
                    "weekdays",
                    "maintenance_interval_weeks",
                    "start_date",
                    "water",
                    "instructions",
                    "procedure_date",
                    "review_date",
                    "clinic_time",
                )
            }
            initial["clinician"] = existing.clinician_id or own_profile
        else:
            initial = defaults.default_item(
                treatment,
                areas=areas,
                start=today,
                minor=minor,
                patient_name=patient.legal_name,
                hdss=hdss,
                language=patient.preferred_language,
            )
            initial["clinician"] = own_profile
        data = request.POST if request.method == "POST" else None
        prefix = f"item{i}"
        if needs == defaults.IONTOPHORESIS:
            form = IontophoresisForm(
                data=data,
                initial=initial_for(initial),
                prefix=prefix,
                clinicians=clinician_choices,
            )
        else:
            form = OtherTreatmentForm(
                data=data, initial=initial_for(initial), prefix=prefix, needs=needs
            )
        rows.append(
            {
                "choice": choice,
                "form": form,
                "needs": needs,
                "label": TREATMENT_SHORT.get(treatment, treatment),
                "areas": describe.area_names(areas),
                "existing": existing,
            }
        )
    return rows


def _spec(row: dict) -> ItemSpec:
    choice, data = row["choice"], row["form"].cleaned_data
    values = {
        "treatment": choice["treatment"],
        "areas": tuple(choice["areas"]),
        "reason": choice["reason"],
        "start_date": data.get("start_date"),
        "review_date": data.get("review_date"),
    }
    if row["needs"] == defaults.IONTOPHORESIS:
        values.update(
            setting=data["setting"],
            session_minutes=data["session_minutes"],
            current_ma=data["current_ma"],
            pulsed=data["pulsed"],
            sessions_per_week=data["sessions_per_week"],
            initial_weeks=data["initial_weeks"],
            weekdays=tuple(data["weekdays"]),
            maintenance_interval_weeks=data["maintenance_interval_weeks"],
            water=data["water"],
        )
        if data["setting"] == "clinic":
            values.update(clinic_time=data.get("clinic_time"), clinician_id=data.get("clinician"))
        existing = row["existing"]
        if existing is not None and existing.start_date == data.get("start_date"):
            values["maintenance_from"] = existing.maintenance_from
    else:
        values.update(instructions=data["instructions"], procedure_date=data.get("procedure_date"))
    return ItemSpec(**values)


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@specialist_required
def plan_details_page(request, patient_id):
    """Step 2: the details of each item (defaults from RULES.md §5 or the current plan);
    saving assigns the plan or makes a new version."""
    patient, plan = _plan_patient(patient_id)
    access_record(request=request, obj=patient, patient=patient)
    draft = request.session.get(_draft_key(patient.pk))
    screen = latest_screen(patient.pk)
    if not draft or screen is None or draft.get("screen_id") != screen.pk:
        messages.info(request, _("Choose the treatments first."))
        return redirect("treatments:plan_choose", patient_id=patient.pk)
    clinicians = clinician_hours()
    rows = _detail_forms(
        request, patient=patient, screen=screen, plan=plan, draft=draft, clinicians=clinicians
    )
    reason_form = ChangeReasonForm(data=request.POST or None) if plan else None
    errors: list[dict] = []
    if request.method == "POST":
        valid = all([r["form"].is_valid() for r in rows]) and (
            reason_form is None or reason_form.is_valid()
        )
        if valid:
            specs = [_spec(r) for r in rows]
            try:
                if plan is None:
                    plan_assign(
                        patient_id=patient.pk,
                        items=specs,
                        workup_reason=draft.get("workup_reason", ""),
                        user=request.user,
                    )
                else:
                    plan_change(
                        plan_id=plan.pk,
                        items=specs,
                        reason=reason_form.cleaned_data["reason"],
                        workup_reason=draft.get("workup_reason", ""),
                        user=request.user,
                    )
            except PlanError as exc:
                errors = [{"text": m, "href": ""} for m in exc.messages]
            else:
                request.session.pop(_draft_key(patient.pk), None)
                messages.success(
                    request,
                    _("The plan is assigned and its calendar is ready.")
                    if plan is None
                    else _("The plan is changed; future sessions were regenerated."),
                )
                return redirect("treatments:calendar", patient_id=patient.pk)
        else:
            # Every field's problem at the top, linked to the field that shows it too.
            for r in rows:
                errors += error_links(r["form"], prefix=f"{r['areas']} · {r['label']} · ")
            errors += error_links(reason_form)
    return render(
        request,
        "treatments/specialist/plan_details.html",
        {
            "patient": patient,
            "plan": plan,
            "rows": rows,
            "reason_form": reason_form,
            "error_summary": errors,
            "screen": screen,
            "clinicians": clinicians if any(r["needs"] == "iontophoresis" for r in rows) else [],
            "extra": VISIT_EXTRA_MINUTES,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@specialist_required
def plan_maintenance_page(request, patient_id):
    patient, plan = _plan_patient(patient_id)
    if plan is None:
        messages.info(request, _("This patient has no plan yet."))
        return redirect("treatments:chart", patient_id=patient.pk)
    access_record(request=request, obj=plan, patient=patient)
    form = MaintenanceForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan_move_to_maintenance(
                plan_id=plan.pk, reason=form.cleaned_data["reason"], user=request.user
            )
        except PlanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Moved to maintenance; the future sessions were regenerated.")
            )
            return redirect("treatments:calendar", patient_id=patient.pk)
    return render(
        request,
        "treatments/specialist/maintenance.html",
        {
            "patient": patient,
            "plan": plan,
            "form": form,
            "items": _items_view(_current_items(plan)),
        },
    )


@require_safe
@clinician_required
def plan_calendar_page(request, patient_id):
    patient, plan = _plan_patient(patient_id)
    if plan is None:
        messages.info(request, _("This patient has no plan yet."))
        return redirect("treatments:chart", patient_id=patient.pk)
    access_record(request=request, obj=plan, patient=patient)
    sessions = selectors.plan_sessions(plan)
    today = patient_today(patient)
    months: list[dict] = []
    for s in sessions:
        key = s.day.strftime("%Y-%m")
        if not months or months[-1]["key"] != key:
            months.append({"key": key, "first": s.day, "sessions": []})
        months[-1]["sessions"].append(s)
    return render(
        request,
        "treatments/specialist/calendar.html",
        {
            "patient": patient,
            "plan": plan,
            "months": months,
            "today": today,
            "tz": _patient_zone(patient),
            "can_assign": request.user.has_perm("accounts.assign_plans"),
        },
    )


@require_safe
@clinician_required
def plan_version_page(request, patient_id, number):
    patient, plan = _plan_patient(patient_id)
    if plan is None:
        messages.info(request, _("This patient has no plan yet."))
        return redirect("treatments:chart", patient_id=patient.pk)
    version = selectors.plan_version(plan, number)
    access_record(request=request, obj=version, patient=patient)
    return render(
        request,
        "treatments/specialist/version.html",
        {
            "patient": patient,
            "plan": plan,
            "version": version,
            "items": _items_view(version.items.all()),
            "tz": _zone(),
        },
    )


# --- Consultation notes ---------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
@specialist_required
def note_new_page(request, patient_id):
    patient = get_object_or_404(Patient, pk=patient_id)
    access_record(request=request, obj=patient, patient=patient)
    form = NoteForm(data=request.POST or None, initial={"visit_date": patient_today(patient)})
    if request.method == "POST" and form.is_valid():
        try:
            note_create(
                patient_id=patient.pk,
                visit_date=form.cleaned_data["visit_date"],
                text=form.cleaned_data["text"],
                user=request.user,
            )
        except PlanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The visit summary is saved."))
            return redirect(reverse("treatments:chart", args=[patient.pk]) + "#notes")
    return render(
        request, "treatments/specialist/note_form.html", {"patient": patient, "form": form}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@clinician_required
def note_page(request, patient_id, note_id):
    """A note with all its revisions; specialists can edit it here (a new revision)."""
    patient = get_object_or_404(Patient, pk=patient_id)
    note = selectors.note_with_revisions(patient, note_id)
    access_record(request=request, obj=note, patient=patient)
    can_edit = request.user.has_perm("accounts.assign_plans")
    form = None
    if can_edit:
        form = NoteForm(
            data=request.POST or None,
            initial={"visit_date": note.visit_date, "text": note.text},
            editing=True,
        )
    if request.method == "POST":
        if not can_edit:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        if form.is_valid():
            try:
                note_edit(
                    note_id=note.pk,
                    visit_date=form.cleaned_data["visit_date"],
                    text=form.cleaned_data["text"],
                    reason=form.cleaned_data.get("reason", ""),
                    user=request.user,
                )
            except PlanError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved as a new revision; earlier ones are kept."))
                return redirect("treatments:note", patient_id=patient.pk, note_id=note.pk)
    return render(
        request,
        "treatments/specialist/note.html",
        {"patient": patient, "note": note, "form": form, "tz": _zone()},
    )
