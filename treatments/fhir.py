"""The treatment plan in the patient's FHIR export (registered in ``TreatmentsConfig.ready``
with ``patients.fhir.register_builder``): one R4B CarePlan per plan version, each item an
activity with what, where, how often and how long. A newer version ``replaces`` the one
before; only the current version of an active plan is ``active``.

Observation builders for HDSS check-ins and logged home sessions belong here too, registered
the same way, once those tables exist."""

from patients.fhir import ExportContext, ResourceBuilder, clean, fhir_date, fhir_datetime

from . import defaults
from .describe import area_names, item_line
from .models import Plan, PlanVersion

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
