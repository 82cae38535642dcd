"""Reads for the patient's questionnaire pages. A patient (or guardian) only ever gets their
own and their dependants' intakes: anything else is a 404."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from ..models import Intake, Patient, Screen


def patients_for_user(user) -> QuerySet[Patient]:
    """The people this login may answer for: themselves and their dependants."""
    return Patient.objects.filter(Q(user=user) | Q(guardian=user))


def intake_overview(user, *, annotate=None) -> list[dict]:
    """One row per person the user answers for: the patient, their latest intake and its
    current screen (three queries whatever the number of people). ``annotate`` may add
    columns to the people's query (the home's next steps, see ``home_steps``)."""
    people = patients_for_user(user)
    if annotate is not None:
        people = annotate(people)
    patients = people.prefetch_related(
        Prefetch("intakes", queryset=Intake.objects.order_by("-created_at", "-pk")),
        Prefetch(
            "screens",
            queryset=Screen.objects.exclude(status=Screen.Status.SUPERSEDED).order_by(
                "-created_at", "-pk"
            ),
        ),
    )
    rows = []
    for patient in sorted(patients, key=lambda p: (p.user_id != user.pk, p.legal_name)):
        intakes = list(patient.intakes.all())
        intake = intakes[0] if intakes else None
        screen = next(
            (s for s in patient.screens.all() if intake and s.intake_id == intake.pk), None
        )
        rows.append(
            {
                "patient": patient,
                "is_self": patient.user_id == user.pk,
                "intake": intake,
                "screen": screen,
            }
        )
    return rows


def intake_for_user(user, intake_id: int) -> Intake:
    return get_object_or_404(
        Intake.objects.select_related("patient").filter(patient__in=patients_for_user(user)),
        pk=intake_id,
    )


def intake_current_screen(intake: Intake) -> Screen | None:
    return (
        Screen.objects.filter(intake=intake)
        .exclude(status=Screen.Status.SUPERSEDED)
        .order_by("-created_at", "-pk")
        .first()
    )
