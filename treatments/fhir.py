"""The treatment plan in the patient's FHIR export (registered in ``TreatmentsConfig.ready``
with ``patients.fhir.register_builder``): one R4B CarePlan per plan version, each item an
activity with what, where, how often and how long. A newer version ``replaces`` the one
before; only the current version of an active plan is ``active``.

Observations: each HDSS check-in (one per area, the score with its statement and the dryness
rating) and each logged home session (done or skipped, with minutes, current and side
effects)."""

from patients.fhir import ExportContext, ResourceBuilder, clean, fhir_date, fhir_datetime
from patients.labels import AREA_LABELS, HDSS_STATEMENTS
from treatments.rules import AREAS

from . import defaults
from .describe import area_names, item_line
from .models import CheckIn, Plan, PlanVersion, SessionLog, SideEffect, SkipReason

AREA_ORDER = {a: n for n, a in enumerate(AREAS)}

FHIR_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _timing(item) -> dict | None:
    if item.is_iontophoresis and item.sessions_per_week:
        return {
            "repeat": {
                "boundsPeriod": {"start": fhir_date(item.start_date)},
                "frequency": item.sessions_per_week,
                "period": 1,
                "periodUnit": "wk",
                "duration": item.session_minutes,
                "durationUnit": "min" if item.session_minutes else None,
                "dayOfWeek": [FHIR_DAYS[int(d)] for d in sorted(int(d) for d in item.weekdays)],
            }
        }
    return None


def _activity(item, *, current: bool) -> dict:
    name = defaults.treatment_label(item.treatment)
    scheduled = {"scheduledTiming": _timing(item)}
    if scheduled["scheduledTiming"] is None:
        first = item.procedure_date or item.start_date
        scheduled = {"scheduledPeriod": {"start": fhir_date(first)}} if first else {}
    location = {"home": "At home", "clinic": "In the clinic"}.get(item.setting, "")
    return {
        "detail": {
            "code": {"text": f"{name} ({area_names(item.areas)})"},
            "status": "in-progress" if current else "stopped",
            "description": item_line(item),
            "location": {"display": location} if location else None,
            **scheduled,
        }
    }


def build_care_plans(patient, ctx: ExportContext) -> list[dict]:
    versions = list(
        PlanVersion.objects.filter(plan__patient=patient)
        .select_related("plan", "created_by")
        .prefetch_related("items")
        .order_by("number")
    )
    resources = []
    previous = None
    for version in versions:
        plan = version.plan
        current = plan.current_version_id == version.pk and plan.status == Plan.Status.ACTIVE
        items = list(version.items.all())
        starts = [d for i in items for d in (i.start_date, i.procedure_date) if d]
        notes = [{"text": f"Why this version: {version.reason}"} if version.reason else None]
        notes += [
            {"text": f"{defaults.treatment_label(i.treatment)}: {i.instructions}"}
            for i in items
            if i.instructions
        ]
        author = version.created_by
        resources.append(
            clean(
                {
                    "resourceType": "CarePlan",
                    "id": str(version.pk),
                    "identifier": [
                        {
                            "system": ctx.system("plan-version"),
                            "value": f"{plan.pk}-{version.number}",
                        }
                    ],
                    "status": "active" if current else "revoked",
                    "intent": "plan",
                    "title": f"Treatment plan, version {version.number}",
                    "description": version.summary,
                    "subject": ctx.patient_ref,
                    "created": fhir_datetime(version.created_at),
                    "period": {"start": fhir_date(min(starts))} if starts else None,
                    "author": {"display": author.get_full_name() or author.email},
                    "replaces": [ctx.ref("CarePlan", previous.pk)] if previous else None,
                    "activity": [_activity(i, current=current) for i in items],
                    "note": notes,
                }
            )
        )
        previous = version
    return resources


BUILDER = ResourceBuilder("treatments.care_plans", 40, ("CarePlan",), build_care_plans)


# --- Observations: HDSS check-ins and logged home sessions ----------------------------------
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
HDSS_CODE = {"text": "Hyperhidrosis Disease Severity Scale (HDSS), 1 to 4"}
DRYNESS_CODE = {"text": "Dryness, 0 (as sweaty as ever) to 10 (completely dry)"}


def _category(code: str, display: str) -> list[dict]:
    return [{"coding": [{"system": CATEGORY, "code": code, "display": display}]}]


def _performer(user, patient, ctx: ExportContext) -> dict:
    if user.pk == patient.user_id:
        return ctx.patient_ref
    return {"display": user.get_full_name() or user.email}


def build_hdss_observations(patient, ctx: ExportContext) -> list[dict]:
    """One Observation per area of each check-in: the HDSS score with its statement, and the
    dryness rating as a component when the patient gave one."""
    checkins = CheckIn.objects.filter(patient=patient).select_related("recorded_by")
    resources = []
    for checkin in checkins.order_by("day", "pk"):
        for area in sorted(checkin.scores, key=lambda a: AREA_ORDER.get(a, 99)):
            score = int(checkin.scores[area])
            dryness = checkin.dryness.get(area)
            resources.append(
                clean(
                    {
                        "resourceType": "Observation",
                        "id": f"hdss-{checkin.pk}-{area}",
                        "identifier": [
                            {"system": ctx.system("hdss"), "value": f"{checkin.pk}-{area}"}
                        ],
                        "status": "final",
                        "category": _category("survey", "Survey"),
                        "code": HDSS_CODE,
                        "subject": ctx.patient_ref,
                        "effectiveDateTime": fhir_date(checkin.day),
                        "issued": fhir_datetime(checkin.updated_at),
                        "performer": [_performer(checkin.recorded_by, patient, ctx)],
                        "method": {"text": str(checkin.get_source_display())},
                        "bodySite": {"text": str(AREA_LABELS.get(area, area))},
                        "valueInteger": score,
                        "note": [{"text": str(HDSS_STATEMENTS.get(score, ""))}],
                        "component": [{"code": DRYNESS_CODE, "valueInteger": int(dryness)}]
                        if dryness is not None
                        else None,
                    }
                )
            )
    return resources


def build_session_observations(patient, ctx: ExportContext) -> list[dict]:
    """One Observation per logged home session: done or skipped, with minutes, current
    reached, areas, side effects (or why it was skipped) as components."""
    side_effects = dict(SideEffect.choices)
    skip_reasons = dict(SkipReason.choices)
    logs = SessionLog.objects.filter(patient=patient).select_related("logged_by")
    resources = []
    for log in logs.order_by("day", "pk"):
        done = log.status == SessionLog.Status.DONE
        effects = [str(side_effects.get(e, e)) for e in log.side_effects if e != "none"]
        if log.side_effect_other:
            effects.append(log.side_effect_other)
        components = [
            {
                "code": {"text": "Session length"},
                "valueQuantity": {
                    "value": log.minutes,
                    "unit": "min",
                    "system": UCUM,
                    "code": "min",
                },
            }
            if log.minutes
            else None,
            {
                "code": {"text": "Current reached"},
                "valueQuantity": {
                    "value": float(log.current_ma),
                    "unit": "mA",
                    "system": UCUM,
                    "code": "mA",
                },
            }
            if log.current_ma is not None
            else None,
            {"code": {"text": "Areas treated"}, "valueString": area_names(log.areas)}
            if log.areas
            else None,
            {"code": {"text": "Side effects"}, "valueString": "; ".join(effects) or "None"}
            if done
            else None,
            {
                "code": {"text": "Why it was skipped"},
                "valueString": str(skip_reasons.get(log.skip_reason, log.skip_reason)),
            }
            if not done and log.skip_reason
            else None,
        ]
        resources.append(
            clean(
                {
                    "resourceType": "Observation",
                    "id": f"session-{log.pk}",
                    "identifier": [{"system": ctx.system("session-log"), "value": str(log.pk)}],
                    "status": "final",
                    "category": _category("therapy", "Therapy"),
                    "code": {"text": "Home iontophoresis session"},
                    "subject": ctx.patient_ref,
                    "effectiveDateTime": fhir_date(log.day),
                    "issued": fhir_datetime(log.created_at),
                    "performer": [_performer(log.logged_by, patient, ctx)],
                    "valueCodeableConcept": {"text": "Done" if done else "Skipped"},
                    "component": components,
                    "note": [{"text": log.notes}] if log.notes else None,
                }
            )
        )
    return resources


HDSS_BUILDER = ResourceBuilder("treatments.hdss", 50, ("Observation",), build_hdss_observations)
SESSIONS_BUILDER = ResourceBuilder(
    "treatments.session_logs", 60, ("Observation",), build_session_observations
)
