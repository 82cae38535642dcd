"""A patient's record as a FHIR R4B JSON Bundle: the patient's "download my data" and the
staff export on request.

FHIR R4B (4.3.0), validated in the tests with ``fhir.resources.R4B``: its CarePlan keeps
``activity.detail`` (what, how often, how long), which R5 dropped, so a plan version reads as
one CarePlan with one activity per treated area; R4-family is also what most clinic systems
import today.

The Bundle is built by per-resource builders kept in a small registry, so other apps add their
resources without this app importing them (treatments registers the CarePlan builder and the
Observation builders for HDSS check-ins and logged home sessions)::

    register_builder(ResourceBuilder(name="...", order=40, resource_types=("CarePlan",),
                                     build=build_care_plans))

``build(patient, ctx)`` returns a list of resources as plain dicts (use ``clean`` to drop the
empty values FHIR forbids, ``ctx.ref``/``ctx.patient_ref`` for references, ``fhir_datetime``
for times). Ids are the rows' own primary keys, stable across exports; full URLs are under
``SITE_URL/fhir/``. No tokens, hashes or internal notes are exported.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Appointment, AppointmentStatus, Intake, Patient

FHIR_VERSION = "4.3.0"  # R4B
PATIENT_ID_SYSTEM_PATH = "/fhir/sid/patient"

# Our appointment status → FHIR R4B Appointment.status
APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
}


@dataclass
class ExportContext:
    patient: Patient
    base: str  # e.g. https://clinic.example.org/fhir
    now: datetime.datetime
    extra: dict = field(default_factory=dict)

    def ref(self, resource_type: str, pk, display: str = "") -> dict:
        return clean({"reference": f"{resource_type}/{pk}", "display": display})

    @property
    def patient_ref(self) -> dict:
        return self.ref("Patient", self.patient.pk, self.patient.legal_name)

    def system(self, name: str) -> str:
        """An identifier system of this clinic, e.g. ``…/fhir/sid/appointment``."""
        return f"{self.base}/sid/{name}"


@dataclass(frozen=True)
class ResourceBuilder:
    name: str
    order: int
    resource_types: tuple[str, ...]
    build: Callable[[Patient, ExportContext], list[dict]]


_BUILDERS: dict[str, ResourceBuilder] = {}


def register_builder(builder: ResourceBuilder) -> None:
    """Add (or replace, by name) a builder of the export's resources."""
    _BUILDERS[builder.name] = builder


def builders() -> list[ResourceBuilder]:
    return sorted(_BUILDERS.values(), key=lambda b: (b.order, b.name))


def exported_resource_types() -> set[str]:
    return {t for b in _BUILDERS.values() for t in b.resource_types}


# --- Helpers for every builder --------------------------------------------------------------
def clean(value):
    """Drop None, empty strings, lists and dicts (FHIR forbids empty elements), recursively."""
    if isinstance(value, dict):
        out = {k: clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        out = [clean(v) for v in value]
        return [v for v in out if v not in (None, "", [], {})]
    if isinstance(value, str):
        return value.strip()
    return value


def fhir_datetime(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value, datetime.UTC).replace(microsecond=0).isoformat()


def fhir_date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


# --- The patients app's resources -----------------------------------------------------------
def build_patient(patient: Patient, ctx: ExportContext) -> list[dict]:
    email = patient.user.email if patient.user_id else patient.contact_email
    names = [{"use": "official", "text": patient.legal_name}]
    if patient.preferred_name:
        names.append({"use": "usual", "text": patient.preferred_name})
    contact = []
    if patient.guardian_id:
        guardian = patient.guardian
        contact.append(
            {
                "relationship": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                "code": "GUARD",
                                "display": "guardian",
                            }
                        ]
                    }
                ],
                "name": {"text": guardian.get_full_name() or guardian.email},
                "telecom": [{"system": "email", "value": guardian.email}],
            }
        )
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [{"system": ctx.system("patient"), "value": str(patient.pk)}],
        # A closed record (kept for the retention period) is no longer in use.
        "active": not hasattr(patient, "closure"),
        "name": names,
        "birthDate": fhir_date(patient.date_of_birth),
        "telecom": [
            {"system": "phone", "value": patient.phone, "use": "mobile"} if patient.phone else None,
            {"system": "email", "value": email} if email else None,
        ],
        "contact": contact,
        "communication": [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": patient.preferred_language}],
                    "text": str(patient.get_preferred_language_display()),
                },
                "preferred": True,
            }
        ],
    }
    return [clean(resource)]


def build_appointments(patient: Patient, ctx: ExportContext) -> list[dict]:
    rows = Appointment.objects.filter(patient=patient).select_related(
        "specialist", "consultation_type"
    )
    resources = []
    for appt in rows.order_by("start", "pk"):
        service = appt.consultation_type.name if appt.consultation_type_id else ""
        resources.append(
            clean(
                {
                    "resourceType": "Appointment",
                    "id": str(appt.pk),
                    "identifier": [
                        {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{appt.uid}"}
                    ],
                    "status": APPOINTMENT_STATUS.get(appt.status, "booked"),
                    "cancelationReason": (
                        {"text": appt.cancel_reason}
                        if appt.status == AppointmentStatus.CANCELLED
                        else None
                    ),
                    "serviceType": [{"text": service or str(appt.get_kind_display())}],
                    "description": str(appt.get_kind_display()),
                    "start": fhir_datetime(appt.start),
                    "end": fhir_datetime(appt.end),
                    "minutesDuration": max(1, int((appt.end - appt.start).total_seconds() // 60)),
                    "created": fhir_datetime(appt.created_at),
                    "participant": [
                        {"actor": ctx.patient_ref, "status": "accepted"},
                        {
                            "type": [
                                {
                                    "coding": [
                                        {
                                            "system": "http://terminology.hl7.org/CodeSystem/"
                                            "v3-ParticipationType",
                                            "code": "PPRF",
                                            "display": "primary performer",
                                        }
                                    ]
                                }
                            ],
                            "actor": {"display": appt.specialist.display_name},
                            "status": "accepted",
                        },
                    ],
                }
            )
        )
    return resources


def build_questionnaire_responses(patient: Patient, ctx: ExportContext) -> list[dict]:
    from .questionnaire import STEP_NAMES, STEPS, answer_rows

    intakes = (
        Intake.objects.filter(patient=patient)
        .select_related("started_by")
        .prefetch_related("consents")
        .order_by("created_at", "pk")
    )
    resources = []
    for intake in intakes:
        day = (intake.submitted_at or intake.updated_at or ctx.now).date()
        age = patient.age_on(day)
        groups = []
        for step in STEP_NAMES:
            items = [
                {
                    "linkId": f"{step}.{row['name']}",
                    "text": str(row["label"]),
                    "answer": [{"valueString": str(row["text"])}] if row["text"] != "—" else [],
                }
                for row in answer_rows(step, intake.answers or {}, age=age)
            ]
            items = [i for i in items if i["answer"]]
            if items:
                groups.append({"linkId": step, "text": str(STEPS[step].title), "item": items})
        for consent in intake.consents.all():
            groups.append(
                {
                    "linkId": f"consent.{consent.pk}",
                    "text": _("Consent"),
                    "item": [
                        _item("consent.version", _("Consent version"), consent.version),
                        _item(
                            "consent.signed_name",
                            _("Name typed as signature"),
                            consent.signed_name,
                        ),
                        {
                            "linkId": "consent.signed_at",
                            "text": _("Signed on"),
                            "answer": [{"valueDateTime": fhir_datetime(consent.signed_at)}],
                        },
                        {
                            "linkId": "consent.signed_as_guardian",
                            "text": _("Signed by a parent or guardian"),
                            "answer": [{"valueBoolean": consent.signed_as_guardian}],
                        },
                    ],
                }
            )
        author = intake.started_by
        by_patient = author.pk == patient.user_id
        resources.append(
            clean(
                {
                    "resourceType": "QuestionnaireResponse",
                    "id": str(intake.pk),
                    "identifier": {"system": ctx.system("intake"), "value": str(intake.pk)},
                    "questionnaire": f"{ctx.base}/Questionnaire/hyperhidrosis-intake",
                    "status": "completed"
                    if intake.status == Intake.Status.SUBMITTED
                    else "in-progress",
                    "subject": ctx.patient_ref,
                    "source": ctx.patient_ref,
                    "authored": fhir_datetime(intake.submitted_at or intake.updated_at),
                    "author": ctx.patient_ref
                    if by_patient
                    else {"display": author.get_full_name() or author.email},
                    "item": groups,
                }
            )
        )
    return resources


def _item(link_id: str, text: str, value: str) -> dict:
    return {"linkId": link_id, "text": text, "answer": [{"valueString": value}]}


def register_defaults() -> None:
    register_builder(ResourceBuilder("patients.patient", 10, ("Patient",), build_patient))
    register_builder(
        ResourceBuilder("patients.appointments", 20, ("Appointment",), build_appointments)
    )
    register_builder(
        ResourceBuilder(
            "patients.intakes", 30, ("QuestionnaireResponse",), build_questionnaire_responses
        )
    )


# --- The Bundle -----------------------------------------------------------------------------
def patient_bundle(*, patient: Patient, now: datetime.datetime | None = None) -> dict:
    """Every registered resource of ``patient`` in one ``collection`` Bundle (a dict ready
    for ``json.dumps``). Text is in the patient's preferred language."""
    now = now or timezone.now()
    ctx = ExportContext(patient=patient, base=f"{settings.SITE_URL}/fhir", now=now)
    entries = []
    with translation.override(patient.preferred_language or settings.LANGUAGE_CODE):
        for builder in builders():
            for resource in builder.build(patient, ctx):
                entries.append(
                    {
                        "fullUrl": f"{ctx.base}/{resource['resourceType']}/{resource['id']}",
                        "resource": resource,
                    }
                )
    export_id = uuid.uuid4()
    return {
        "resourceType": "Bundle",
        "id": str(export_id),
        "meta": {"lastUpdated": fhir_datetime(now)},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{export_id}"},
        "type": "collection",
        "timestamp": fhir_datetime(now),
        "entry": entries,
    }


def bundle_filename(patient: Patient, now: datetime.datetime) -> str:
    """No name or birth date in it (S14): the record number and the date."""
    return f"health-record-{patient.pk}-{timezone.localtime(now).date().isoformat()}.fhir.json"
