"""The "next steps" on the patient's home once a treatment plan exists.

Before a plan, the home leads to booking, the questionnaire and the consultation. After it, what
a patient needs next lives in another app (log today's session, check in, see the plan), so
that app registers a provider here in its AppConfig.ready() and this app imports none of it::

    register(Provider(annotate=..., steps=...))

The home stays within its query budget (QUALITY.md: patient home ≤ 4): a provider adds no query
of its own. ``annotate(queryset, today=)`` adds what it needs to the home's query of the people
the user answers for (subqueries keyed on the patient), and ``steps(patient, today=)`` reads those
attributes: a list of steps, or None when there is no plan (the usual steps then)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    text: str  # translated, plain language
    url: str = ""  # where the link goes, if any
    link: str = ""  # the link's text
    done: bool = False  # already done (shown with a tick)
    urgent: bool = False  # the thing to do now


@dataclass(frozen=True)
class Provider:
    annotate: Callable  # (queryset, *, today) -> queryset
    steps: Callable  # (patient, *, today) -> list[Step] | None


_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def annotate(queryset, *, today: datetime.date):
    for provider in _providers:
        queryset = provider.annotate(queryset, today=today)
    return queryset


def steps_for(patient, *, today: datetime.date) -> list[Step] | None:
    if patient is None or patient.pk is None:
        return None
    for provider in _providers:
        steps = provider.steps(patient, today=today)
        if steps is not None:
            return steps
    return None
