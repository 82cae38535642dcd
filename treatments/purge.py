"""How the treatments app deletes a patient's rows at the end of retention (registered in
``TreatmentsConfig.ready``; see ``clinic/retention.py``). Runs before the patients app's
purger: plans point at screens and at the patient."""

from clinic.retention import Purger, PurgeRun

from .models import (
    CalendarFeed,
    ConsultationNote,
    ConsultationNoteRevision,
    PatientSpecialist,
    Plan,
    PlanItem,
    PlannedSession,
    PlanVersion,
)

ORDER = 20


def purge_patient(*, patient, run: PurgeRun) -> None:
    run.delete(PlannedSession.objects.filter(plan__patient=patient))
    # The plan points at its current version and the versions at the plan (both PROTECT).
    Plan.objects.using(run.using).filter(patient=patient).update(current_version=None)
    run.delete(PlanItem.objects.filter(version__plan__patient=patient))
    run.delete(PlanVersion.objects.filter(plan__patient=patient))
    run.delete(Plan.objects.filter(patient=patient))
    run.delete(PatientSpecialist.objects.filter(patient=patient))
    run.delete(ConsultationNoteRevision.objects.filter(note__patient=patient))
    run.delete(ConsultationNote.objects.filter(patient=patient))
    run.delete(CalendarFeed.objects.filter(patient=patient))


PURGER = Purger(
    name="treatments",
    order=ORDER,
    models=(
        "treatments.plannedsession",
        "treatments.planitem",
        "treatments.planversion",
        "treatments.plan",
        "treatments.patientspecialist",
        "treatments.consultationnoterevision",
        "treatments.consultationnote",
        "treatments.calendarfeed",
    ),
    purge=purge_patient,
)
