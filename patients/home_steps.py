"""The "next steps" on the patient's home once a treatment plan exists.

Before a plan, the home leads to booking, the questionnaire and the consultation. After it, what
a patient needs next lives in another app (log today's session, check in, see the plan), so
that app registers a provider here in its AppConfig.ready() and this app imports none of it::

    register(provider)   # provider(patient, *, now) -> list[Step] | None

The first provider that returns a list wins; None means "no plan: keep the usual steps". A
provider runs a fixed number of queries (the home's query count must not grow with the data).
"""

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
    urgent: bool = False  # shown as the thing to do now


Provider = Callable[..., "list[Step] | None"]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def steps_for(patient, *, now: datetime.datetime) -> list[Step] | None:
    if patient is None or patient.pk is None:
        return None
    for provider in _providers:
        steps = provider(patient, now=now)
        if steps is not None:
            return steps
    return None
