"""Assigning and changing treatment plans.

A plan is assigned on the patient's latest screen once staff reviewed it (outcome ``cleared``,
or ``workup`` with the specialist's reason). Each item treats one area (or hands and feet
together with one device, only where iontophoresis is ok/caution for both). Any choice the
engine did not rank ok/caution, any treatment of an HDSS-1 area and anything while the screen
says refer needs a written clinical reason. Every change makes a new version (history stays);
the session calendar is then brought in line (``sessions.plan_sessions_sync``).
"""

import datetime
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient, Screen, Specialist
from treatments.rules import AREAS, TREATMENTS

from .. import defaults, describe
from ..models import PatientSpecialist, Plan, PlanItem, PlanVersion, Setting, Water
from ..schedule import (
    IontophoresisSchedule,
    validate_current,
    validate_minutes,
    validate_schedule,
)
from .errors import PlanError
from .sessions import patient_today, plan_sessions_sync

ACCEPTABLE = ("ok", "caution")
TOGETHER = frozenset({"palmar", "plantar"})
ION_FIELDS = (
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
)
OTHER_FIELDS = ("instructions", "procedure_date", "review_date", "start_date")


@dataclass(frozen=True)
class ItemSpec:
    """One item as the specialist asked for it (a form's cleaned data)."""

    treatment: str
    areas: tuple[str, ...]
    reason: str = ""
    setting: str = ""
    session_minutes: int | None = None
    current_ma: Decimal | None = None
    pulsed: bool = False
    sessions_per_week: int | None = None
    initial_weeks: int | None = None
    weekdays: tuple[int, ...] = ()
    maintenance_interval_weeks: int | None = None
    start_date: datetime.date | None = None
    maintenance_from: datetime.date | None = None
    water: str = ""
    clinic_time: datetime.time | None = None  # in-clinic sessions: time of day (clinic zone)
    clinician_id: int | None = None  # who runs them (the assigning specialist by default)
    instructions: str = ""
    procedure_date: datetime.date | None = None
    review_date: datetime.date | None = None

    @classmethod
    def from_item(cls, item: PlanItem) -> "ItemSpec":
        values = {f.name: getattr(item, f.name) for f in fields(cls)}
        values["areas"] = tuple(item.areas)
        values["weekdays"] = tuple(item.weekdays)
        return cls(**values)


def latest_screen(patient_id: int) -> Screen | None:
    """The patient's most recent screen that has not been replaced by a correction."""
    return (
        Screen.objects.filter(patient_id=patient_id)
        .exclude(status=Screen.Status.SUPERSEDED)
        .order_by("-created_at", "-pk")
        .first()
    )


def screen_gate(screen: Screen | None, *, workup_reason: str | None) -> list[str]:
    """Why a plan cannot be made on this screen yet (empty when it can). With
    ``workup_reason=None`` a "workup" screen passes: the reason is asked for on the page."""
    if screen is None:
        return ["This patient has no eligibility screen yet: the questionnaire comes first."]
    if screen.status != Screen.Status.REVIEWED:
        return ["The latest screen has not been reviewed by staff yet."]
    if screen.outcome == Screen.Outcome.CLEARED:
        return []
    if screen.outcome == Screen.Outcome.WORKUP:
        if workup_reason is not None and not workup_reason.strip():
            return [
                "Staff marked the latest screen for physician work-up: write why a treatment "
                "can start (e.g. the work-up found no secondary cause)."
            ]
        return []
    return ["Staff asked the patient for more information; wait for the updated screen."]


def override_grounds(result: dict, treatment: str, areas) -> tuple[list[str], dict, dict]:
    """(grounds needing a written reason, status per area, rule ids per area)."""
    grounds: list[str] = []
    statuses, rules = {}, {}
    for area in areas:
        entry = result["areas"][area]
        option = next(o for o in entry["options"] if o["treatment"] == treatment)
        statuses[area], rules[area] = option["status"], list(option["rules"])
        if option["status"] not in ACCEPTABLE and option["status"] not in grounds:
            grounds.append(option["status"])
        if (entry["hdss"] == 1 or "G-HDSS-1" in entry["rules"]) and "hdss_1" not in grounds:
            grounds.append("hdss_1")
    if result["refer"]:
        grounds.append("refer")
    return grounds, statuses, rules


GROUND_TEXT = {
    "excluded": "the engine excluded it",
    "review": "it needs the specialist's sign-off (review)",
    "not_applicable": "it does not apply to this area",
    "hdss_1": "the area's HDSS is 1",
    "refer": "the screen says refer first",
}


def _age(patient: Patient, screen: Screen, today: datetime.date) -> int:
    age = patient.age_on(today)
    return age if age is not None else int(screen.profile["age"])


def _check_items(
    *,
    specs: list[ItemSpec],
    screen: Screen,
    age: int,
    today: datetime.date,
    previous: dict[str, ItemSpec],
) -> tuple[list[str], list[dict]]:
    """Every problem with the items, and for the good ones what the engine said."""
    errors: list[str] = []
    checked: list[dict] = []
    result = screen.result
    if not specs:
        return ["Choose a treatment for at least one area."], []
    seen: set[str] = set()
    for spec in specs:
        label = describe.area_names(spec.areas)
        if spec.treatment not in TREATMENTS:
            errors.append(f"{label}: choose a treatment from the list.")
            continue
        unknown = [a for a in spec.areas if a not in AREAS or a not in result["areas"]]
        if not spec.areas or unknown:
            errors.append(f"{label}: this area is not on the patient's screen.")
            continue
        twice = seen.intersection(spec.areas)
        if twice:
            errors.append(f"{describe.area_names(sorted(twice))}: only one treatment per area.")
        seen.update(spec.areas)
        if len(spec.areas) > 1:
            if spec.treatment != "iontophoresis" or set(spec.areas) != TOGETHER:
                errors.append(
                    f"{label}: only iontophoresis can treat two areas together "
                    "(hands and feet, with one device)."
                )
                continue
            blocked = [
                a
                for a in spec.areas
                if _status(result, a, "iontophoresis") not in ACCEPTABLE or result["refer"]
            ]
            if blocked:
                errors.append(
                    "Hands and feet can be treated together only where iontophoresis is ok or "
                    f"caution for both; it is not for {describe.area_names(blocked)}."
                )
                continue
        grounds, statuses, rules = override_grounds(result, spec.treatment, spec.areas)
        if grounds and not spec.reason.strip():
            why = ", ".join(GROUND_TEXT[g] for g in grounds)
            errors.append(
                f"{label}: {defaults.treatment_label(spec.treatment)} needs a written clinical "
                f"reason ({why})."
            )
        old = previous.get(_series(spec))
        errors += [f"{label}: {m}" for m in _check_details(spec, age=age, today=today, old=old)]
        checked.append({"spec": spec, "grounds": grounds, "statuses": statuses, "rules": rules})
    return errors, checked


def _status(result, area, treatment) -> str:
    entry = result["areas"][area]
    return next(o["status"] for o in entry["options"] if o["treatment"] == treatment)


def _series(spec) -> str:
    return f"{spec.treatment}:{'+'.join(sorted(spec.areas))}"


def _not_past(name: str, day, old_day, today) -> list[str]:
    if day is not None and day < today and day != old_day:
        return [f"The {name} cannot be in the past."]
    return []


def _check_details(spec: ItemSpec, *, age, today, old: ItemSpec | None) -> list[str]:
    needs = defaults.NEEDS[spec.treatment]
    errors: list[str] = []
    if needs == defaults.IONTOPHORESIS:
        missing = [
            describe.FIELD_LABELS[f]
            for f in ION_FIELDS
            if getattr(spec, f) in (None, "", ()) and f != "pulsed"
        ]
        if missing:
            return [f"fill in: {', '.join(missing)}."]
        if spec.setting not in Setting.values:
            errors.append("choose at home or in the clinic.")
        if spec.water not in Water.values:
            errors.append("choose the water advice.")
        errors += validate_minutes(spec.session_minutes)
        errors += validate_current(
            age=age, milliamps=float(spec.current_ma), pulsed=bool(spec.pulsed)
        )
        errors += validate_schedule(_schedule(spec))
        errors += _not_past("start date", spec.start_date, old and old.start_date, today)
        if spec.setting == Setting.CLINIC:
            if spec.clinic_time is None:
                errors.append("choose the time of day of the sessions in the clinic.")
            if spec.clinician_id is None:
                errors.append("choose who runs the sessions in the clinic.")
    else:
        if not spec.instructions.strip():
            errors.append(f"write the {str(defaults.INSTRUCTIONS_LABEL[needs]).lower()}.")
        if needs == defaults.PROCEDURE:
            if spec.procedure_date is None:
                errors.append("choose the procedure date.")
            errors += _not_past(
                "procedure date", spec.procedure_date, old and old.procedure_date, today
            )
    if spec.review_date is None:
        errors.append(f"choose the {str(defaults.REVIEW_LABEL[needs]).lower()} date.")
    else:
        errors += _not_past("review date", spec.review_date, old and old.review_date, today)
        after = spec.procedure_date or spec.start_date
        if after and spec.review_date <= after:
            errors.append("the review must come after the start (or the procedure).")
    return errors


def _schedule(spec) -> IontophoresisSchedule:
    return IontophoresisSchedule(
        start=spec.start_date,
        weekdays=tuple(int(d) for d in spec.weekdays),
        sessions_per_week=int(spec.sessions_per_week),
        initial_weeks=int(spec.initial_weeks),
        maintenance_interval_weeks=int(spec.maintenance_interval_weeks),
        maintenance_from=spec.maintenance_from,
    )


def _clean(spec: ItemSpec) -> dict:
    """The columns of a PlanItem for this spec (fields of other treatments left empty)."""
    needs = defaults.NEEDS[spec.treatment]
    values = {
        "treatment": spec.treatment,
        "areas": list(spec.areas),
        "reason": spec.reason.strip(),
        "review_date": spec.review_date,
        "start_date": spec.start_date,
    }
    if needs == defaults.IONTOPHORESIS:
        values.update({f: getattr(spec, f) for f in ION_FIELDS})
        values["weekdays"] = sorted(int(d) for d in spec.weekdays)
        values["maintenance_from"] = spec.maintenance_from
        if spec.setting == Setting.CLINIC:
            values["clinic_time"] = spec.clinic_time
            values["clinician_id"] = spec.clinician_id
    else:
        values["instructions"] = spec.instructions.strip()
        values["procedure_date"] = spec.procedure_date
    return values


def _write_version(
    *,
    plan: Plan,
    kind: str,
    screen: Screen,
    checked: list[dict],
    reason: str,
    summary: str,
    workup_reason: str,
    user,
) -> PlanVersion:
    number = (plan.current_version.number + 1) if plan.current_version_id else 1
    version = PlanVersion.objects.create(
        plan=plan,
        number=number,
        kind=kind,
        screen=screen,
        rules_version=screen.rules_version,
        reason=reason.strip(),
        summary=summary,
        workup_reason=workup_reason.strip(),
        created_by=user,
    )
    PlanItem.objects.bulk_create(
        PlanItem(
            version=version,
            position=i,
            option_statuses=c["statuses"],
            option_rules=c["rules"],
            override_grounds=c["grounds"],
            **_clean(c["spec"]),
        )
        for i, c in enumerate(checked)
    )
    plan.current_version = version
    plan.status = Plan.Status.ACTIVE
    plan.save(update_fields=["current_version", "status", "updated_at"])
    return version


def with_default_clinician(specs: list[ItemSpec], user) -> list[ItemSpec]:
    """In-clinic iontophoresis without a chosen clinician: the specialist making the plan runs
    the sessions, when they see patients here (have a specialist profile)."""
    own = Specialist.objects.filter(user=user).values_list("pk", flat=True).first()
    return [
        replace(s, clinician_id=own)
        if s.treatment == "iontophoresis"
        and s.setting == Setting.CLINIC
        and s.clinician_id is None
        and own is not None
        else s
        for s in specs
    ]


def _clinician_problems(specs: list[ItemSpec]) -> list[str]:
    ids = {
        s.clinician_id
        for s in specs
        if s.treatment == "iontophoresis" and s.setting == Setting.CLINIC and s.clinician_id
    }
    if not ids:
        return []
    known = dict(Specialist.objects.filter(pk__in=ids).values_list("pk", "is_active"))
    errors = []
    if any(i not in known for i in ids):
        errors.append("Choose the clinician of the in-clinic sessions from the list.")
    if not all(known.values()):
        errors.append("The chosen clinician is not taking appointments: choose another.")
    return errors


def _lock_patient(patient_id: int) -> Patient:
    try:
        return Patient.objects.select_for_update().get(pk=patient_id)
    except Patient.DoesNotExist:
        raise PlanError("There is no such patient.") from None


def _ensure_specialist(patient: Patient, user) -> None:
    PatientSpecialist.objects.get_or_create(
        patient=patient, defaults={"specialist": user, "assigned_by": user}
    )


@transaction.atomic
def plan_assign(
    *, patient_id: int, items: list[ItemSpec], workup_reason: str = "", user, now=None
) -> Plan:
    """Give a patient their first plan (version 1) and generate its session calendar.

    Refused, with every problem listed, if the latest screen is not reviewed (or is "workup"
    without a reason), if any item breaks a rule, or if the patient already has a plan. The
    assigning specialist becomes the patient's specialist if none is set."""
    if not user.has_perm("accounts.assign_plans"):
        raise PlanError("Only specialists can assign treatment plans.")
    now = now or timezone.now()
    patient = _lock_patient(patient_id)
    if Plan.objects.filter(patient=patient).exists():
        raise PlanError("This patient already has a plan: change it instead.")
    screen = latest_screen(patient.pk)
    gate = screen_gate(screen, workup_reason=workup_reason)
    if gate:
        raise PlanError(*gate)
    today = patient_today(patient, now)
    items = with_default_clinician(items, user)
    errors, checked = _check_items(
        specs=items, screen=screen, age=_age(patient, screen, today), today=today, previous={}
    )
    errors += _clinician_problems(items)
    if errors:
        raise PlanError(*errors)
    try:
        with transaction.atomic():
            plan = Plan.objects.create(patient=patient)
    except IntegrityError:
        raise PlanError("This patient already has a plan: change it instead.") from None
    summary = "\n".join(describe.item_line(c["spec"]) for c in checked)
    _write_version(
        plan=plan,
        kind=PlanVersion.Kind.ASSIGNED,
        screen=screen,
        checked=checked,
        reason="",
        summary=summary,
        workup_reason=workup_reason if screen.outcome == Screen.Outcome.WORKUP else "",
        user=user,
    )
    _ensure_specialist(patient, user)
    plan_sessions_sync(plan=plan, now=now, by=user)
    plan.refresh_from_db()
    return plan


def _current(plan_id: int) -> tuple[Plan, list[ItemSpec]]:
    try:
        plan = (
            Plan.objects.select_for_update(of=("self",))
            .select_related("patient", "current_version")
            .get(pk=plan_id)
        )
    except Plan.DoesNotExist:
        raise PlanError("There is no such plan.") from None
    items = list(plan.current_version.items.all()) if plan.current_version_id else []
    return plan, [ItemSpec.from_item(i) for i in items]


@transaction.atomic
def plan_change(
    *,
    plan_id: int,
    items: list[ItemSpec],
    reason: str,
    workup_reason: str = "",
    user,
    now=None,
) -> PlanVersion:
    """Make a new version of the plan with ``items``; past sessions and versions stay, future
    sessions are regenerated. ``reason`` (why the change) is required."""
    if not user.has_perm("accounts.assign_plans"):
        raise PlanError("Only specialists can change treatment plans.")
    now = now or timezone.now()
    plan, before = _current(plan_id)
    if not reason.strip():
        raise PlanError("Write why the plan changes.")
    screen = latest_screen(plan.patient_id)
    gate = screen_gate(screen, workup_reason=workup_reason)
    if gate:
        raise PlanError(*gate)
    today = patient_today(plan.patient, now)
    previous = {_series(s): s for s in before}
    # An iontophoresis item carried over keeps its early move to maintenance.
    items = [
        replace(s, maintenance_from=previous[_series(s)].maintenance_from)
        if s.treatment == "iontophoresis"
        and _series(s) in previous
        and s.maintenance_from is None
        and s.start_date == previous[_series(s)].start_date
        else s
        for s in items
    ]
    items = with_default_clinician(items, user)
    errors, checked = _check_items(
        specs=items,
        screen=screen,
        age=_age(plan.patient, screen, today),
        today=today,
        previous=previous,
    )
    errors += _clinician_problems(items)
    if errors:
        raise PlanError(*errors)
    lines = describe.changes(before, [c["spec"] for c in checked])
    if not lines and screen.pk == plan.current_version.screen_id:
        raise PlanError("Nothing changed: edit at least one value.")
    version = _write_version(
        plan=plan,
        kind=PlanVersion.Kind.CHANGED,
        screen=screen,
        checked=checked,
        reason=reason,
        summary="\n".join(lines) or "Re-confirmed on the newer screen.",
        workup_reason=workup_reason if screen.outcome == Screen.Outcome.WORKUP else "",
        user=user,
    )
    plan_sessions_sync(plan=plan, now=now, by=user)
    return version


@transaction.atomic
def plan_move_to_maintenance(*, plan_id: int, reason: str, user, now=None) -> PlanVersion:
    """End the initial phase of every iontophoresis item today: from tomorrow the sessions
    follow the maintenance interval. A new version records it; future sessions regenerate."""
    if not user.has_perm("accounts.assign_plans"):
        raise PlanError("Only specialists can change treatment plans.")
    now = now or timezone.now()
    plan, before = _current(plan_id)
    if not reason.strip():
        raise PlanError("Write why the patient moves to maintenance (e.g. HDSS down to 1–2).")
    today = patient_today(plan.patient, now)
    tomorrow = today + datetime.timedelta(days=1)
    from ..schedule import initial_phase_end

    moved, after = False, []
    for spec in before:
        if spec.treatment == "iontophoresis" and initial_phase_end(_schedule(spec)) > tomorrow:
            spec = replace(spec, maintenance_from=max(tomorrow, spec.start_date))
            moved = True
        after.append(spec)
    if not moved:
        raise PlanError("No iontophoresis in this plan is in its initial phase any more.")
    screen = plan.current_version.screen
    checked = []
    for spec in after:
        grounds, statuses, rules = override_grounds(screen.result, spec.treatment, spec.areas)
        checked.append({"spec": spec, "grounds": grounds, "statuses": statuses, "rules": rules})
    version = _write_version(
        plan=plan,
        kind=PlanVersion.Kind.MAINTENANCE,
        screen=screen,
        checked=checked,
        reason=reason,
        summary="\n".join(describe.changes(before, after)),
        workup_reason=plan.current_version.workup_reason,
        user=user,
    )
    plan_sessions_sync(plan=plan, now=now, by=user)
    return version


def choice_problems(*, screen: Screen, choices: list[dict]) -> dict[str, str]:
    """Step 1 of the plan pages: per area (or "together"), what is wrong with the chosen
    treatments before the details are asked for. The services check it all again."""
    problems: dict[str, str] = {}
    result = screen.result
    for choice in choices:
        areas, treatment = choice["areas"], choice["treatment"]
        if len(areas) > 1:
            blocked = [
                a
                for a in areas
                if _status(result, a, "iontophoresis") not in ACCEPTABLE or result["refer"]
            ]
            if blocked:
                problems["together"] = (
                    "Hands and feet can be treated together only where iontophoresis is ok or "
                    f"caution for both; it is not for {describe.area_names(blocked)}."
                )
                continue
        grounds, _statuses, _rules = override_grounds(result, treatment, areas)
        if grounds and not choice["reason"].strip():
            why = ", ".join(GROUND_TEXT[g] for g in grounds)
            for area in areas:
                problems[area] = f"A written clinical reason is required: {why}."
    return problems
