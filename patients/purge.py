"""How the patients app deletes a patient's rows at the end of retention (registered in
``PatientsConfig.ready``; see ``clinic/retention.py``). Runs after the apps that point at
these tables (treatments registers a lower ``order``)."""

from clinic.notify.models import Message, Reminder
from clinic.retention import Purger, PurgeRun

from .models import Appointment, Consent, Intake, Patient, Screen, ScreenCorrection
from .models.outcomes import RecordedOutcome

ORDER = 90  # after every app whose rows point at the patient's


def purge_patient(*, patient: Patient, run: PurgeRun) -> None:
    from .services.closure import login_purge

    screens = Screen.objects.filter(patient=patient)
    run.delete(ScreenCorrection.objects.filter(screen__patient=patient))
    # A correction's screen supersedes the one before it (PROTECT): unlink, then delete.
    screens.using(run.using).exclude(supersedes=None).update(supersedes=None)
    run.delete(screens)
    run.delete(Consent.objects.filter(patient=patient))
    run.delete(RecordedOutcome.objects.filter(patient=patient))
    run.delete(Intake.objects.filter(patient=patient))
    run.delete(Appointment.objects.filter(patient=patient))  # and their change rows (CASCADE)
    # Reminder rows name their person generically (notify imports no app).
    run.delete(
        Reminder.objects.filter(person_label=patient._meta.label_lower, person_id=str(patient.pk))
    )
    if patient.phone:
        run.delete(Message.objects.filter(recipient=patient.phone))
    user_id = patient.user_id
    run.delete(Patient.objects.filter(pk=patient.pk))
    if user_id is not None:
        login_purge(user_id=user_id, run=run)


PURGER = Purger(
    name="patients",
    order=ORDER,
    models=(
        "patients.patient",
        "accounts.user",  # the closed login (or an anonymous stub of it)
        "patients.appointment",
        "patients.appointmentchange",
        "patients.intake",
        "patients.consent",
        "patients.screen",
        "patients.screencorrection",
        "patients.recordedoutcome",
        "notify.reminder",
        # AccountClosure is the tombstone: it stays, its link to the patient becomes NULL.
        "patients.accountclosure",
    ),
    purge=purge_patient,
)
