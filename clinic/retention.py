"""The purge registry: how each app deletes a patient's rows when their retention ends.

Models that hold patient data point at each other with ``on_delete=PROTECT``, so a patient can
only be deleted leaves first. No app knows every other app's tables (``clinic`` and
``patients`` never import ``treatments``), so each app registers a purger in its
``AppConfig.ready()``::

    register_purger(Purger(name="treatments", order=20, models=(...), purge=purge_patient))

The purge (``patients.services.closure.closure_purge``) calls every purger in ``order``
(lowest first: the tables that point at others go first) inside one transaction on the
``purge`` database alias. ``models`` lists the model labels a purger deletes: a guard test
checks that every model with a path to the patient is covered by some purger, so a new table
cannot silently block (or survive) the purge.

A purger's ``purge(patient=..., run=...)`` deletes its rows with ``run.delete(queryset)`` (on
the purge connection, counted) and may name rows it kept but emptied with
``run.history_of(model, pks)`` so their change history is anonymised too.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models


@dataclass(frozen=True)
class Purger:
    name: str
    order: int
    models: tuple[str, ...]
    purge: Callable[..., None]


@dataclass
class PurgeRun:
    """One patient's purge in progress: the connection, rows deleted per model label, and
    rows that were emptied rather than deleted (their history is anonymised as well)."""

    using: str
    counts: dict[str, int] = field(default_factory=dict)
    emptied: dict[type, set] = field(default_factory=dict)

    def delete(self, queryset: models.QuerySet) -> int:
        """Delete ``queryset`` on the purge connection (cascaded rows included in the counts).
        PROTECT still holds: a row that something else points at is refused."""
        total, per_model = queryset.using(self.using).delete()
        for label, n in per_model.items():
            if n:
                self.counts[label.lower()] = self.counts.get(label.lower(), 0) + n
        return total

    def history_of(self, model: type, pks) -> None:
        self.emptied.setdefault(model, set()).update(pks)


_PURGERS: dict[str, Purger] = {}
# What an app does the moment a record is closed (before retention), e.g. stop a plan so no
# more sessions or reminders are generated: ``hook(patient=..., by=..., now=...)``.
_CLOSURE_HOOKS: dict[str, Callable[..., None]] = {}


def register_purger(purger: Purger) -> None:
    """Register (or replace, by name) how an app deletes a patient's rows."""
    _PURGERS[purger.name] = purger


def purgers() -> list[Purger]:
    return sorted(_PURGERS.values(), key=lambda p: (p.order, p.name))


def covered_models() -> set[str]:
    return {label.lower() for p in _PURGERS.values() for label in p.models}


def register_closure_hook(name: str, hook: Callable[..., None]) -> None:
    _CLOSURE_HOOKS[name] = hook


def closure_hooks() -> list[Callable[..., None]]:
    return [_CLOSURE_HOOKS[name] for name in sorted(_CLOSURE_HOOKS)]
