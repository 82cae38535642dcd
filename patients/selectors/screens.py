"""Reads for the staff screen pages: the review queue and one screen with its history."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from ..models import Screen, ScreenCorrection

QUEUE_ORDER = ("-refer", "-needs_attention", "created_at", "pk")


def screen_queue(
    *, status: str = "", outcome: str = "", area: str = "", refer: str = ""
) -> QuerySet[Screen]:
    """Screens for the review queue: refer-first, then those with red flags or "not sure"
    answers, then oldest first. Each filter is optional; ``refer`` is "yes" or "no"."""
    screens = Screen.objects.select_related("patient")
    if status:
        screens = screens.filter(status=status)
    if outcome:
        screens = screens.filter(outcome=outcome)
    if area:
        screens = screens.filter(profile__areas__has_key=area)
    if refer in ("yes", "no"):
        screens = screens.filter(refer=refer == "yes")
    return screens.order_by(*QUEUE_ORDER)


def screen_for_staff(screen_id: int) -> Screen:
    return get_object_or_404(
        Screen.objects.select_related(
            "patient__user",
            "patient__guardian",
            "intake",
            "consent__signed_by",
            "created_by",
            "reviewed_by",
        ),
        pk=screen_id,
    )


def screen_history(screen: Screen) -> list[Screen]:
    """Every screen of the same intake, newest first, with who made and reviewed each and
    the corrections that made it (a fixed number of queries)."""
    return list(
        Screen.objects.filter(intake_id=screen.intake_id)
        .select_related("created_by", "reviewed_by")
        .prefetch_related(
            Prefetch(
                "corrections",
                queryset=ScreenCorrection.objects.select_related("corrected_by"),
            )
        )
        .order_by("-created_at", "-pk")
    )
