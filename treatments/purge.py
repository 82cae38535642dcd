"""How the treatments app deletes a patient's rows at the end of retention, and what it does
when the record is closed (registered in ``TreatmentsConfig.ready``; see
``clinic/retention.py``). The purger runs before the patients app's: plans point at screens
and at the patient."""

from django.utils import timezone

from clinic.retention import Purger, PurgeRun

from .models import (
    CalendarFeed,
    CheckIn,
    ConsultationNote,
    ConsultationNoteRevision,
    Flag,
    PatientSpecialist,
    Plan,
    PlanItem,
    PlannedSession,
    PlanVersion,
    Progress,
    SessionLog,
)

ORDER = 20


def close_patient(*, patient, by, now=None) -> None:
    """A closed record's plan stops: its future sessions are cancelled (their revision moves,
    so their reminders no longer hold) and the daily horizon task adds none."""
    from .services import plan_sessions_sync

    plan = Plan.objects.filter(patient=patient, status=Plan.Status.ACTIVE).first()
    if plan is None:
        return
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.STOPPED, updated_at=timezone.now())
    plan_sessions_sync(plan=plan, now=now)


def purge_patient(*, patient, run: PurgeRun) -> None:
    # Tracking first: flags point at session logs, logs at planned sessions and plan items.
    run.delete(Flag.objects.filter(patient=patient))
    run.delete(Progress.objects.filter(patient=patient))
    run.delete(CheckIn.objects.filter(patient=patient))
    run.delete(SessionLog.objects.filter(patient=patient))
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
        "treatments.flag",
        "treatments.progress",
        "treatments.checkin",
        "treatments.sessionlog",
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
