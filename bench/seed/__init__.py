"""A large, deterministic clinic for the benchmark, built with COPY and bulk inserts.

The seeder is a list of steps run in order (``STEPS``). Each step gets a ``SeedContext``: the
sizes, the anchor date ("today" of the seeded clinic), its OWN random generator (seeded from the
seed and the step's name, so adding a step never changes the rows of another), the one
password hash all seeded accounts share, and ``ctx.ids`` where earlier steps leave the primary
keys later steps need (e.g. ``ctx.ids["patient_users"]``).

To add a step (a feature's models), write a function in a module of this package and register
it, then import the module at the bottom of this file:

    from bench.seed import SeedContext, copy_rows, seed_step

    @seed_step(40, "appointments")
    def appointments(ctx: SeedContext) -> int:
        rng = ctx.rng
        rows = (... for ...)                     # a generator: nothing held in memory
        return copy_rows(Appointment, ["patient", "specialist", "starts_at", ...], rows)

A step returns how many rows it wrote (for the log). Steps must only use ``ctx.rng`` (never
``random`` or the clock) so that the same seed and anchor give the same rows.
"""

from __future__ import annotations

import datetime
import random
import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, models, transaction

# The password of every seeded account (hashed once with the production hasher).
SEED_PASSWORD = "bench-sweat-less-2026"
SEED_DOMAIN = "bench.clinic.example"


@dataclass(frozen=True)
class Sizes:
    """How big the clinic is, all derived from the number of patients (QUALITY.md P: Data)."""

    patients: int
    # Fixed head counts instead of the derived ones (the peer-shaped clinic: 3 specialists).
    fixed_specialists: int | None = None
    fixed_staff: int | None = None
    # The peer-shaped clinic of the comparison (``peer_shape`` step): its appointments.
    peer_appointments: int = 0

    @property
    def specialists(self) -> int:  # 50 at 10,000 patients
        if self.fixed_specialists is not None:
            return self.fixed_specialists
        return max(2, round(self.patients / 200))

    @property
    def staff(self) -> int:  # 20 at 10,000 patients
        if self.fixed_staff is not None:
            return self.fixed_staff
        return max(2, round(self.patients / 500))

    @property
    def children(self) -> int:  # patients under 18 without their own login (a guardian's)
        return self.patients // 50

    @property
    def access_events(self) -> int:  # 1,000,000 audit rows at 10,000 patients
        return self.patients * 100

    @property
    def consultations(self) -> int:  # 35,000 at 10,000 patients (past and future)
        return self.patients * 7 // 2

    @property
    def plans(self) -> int:  # 7,000 treatment plans at 10,000 patients
        return max(2, self.patients * 7 // 10)

    @property
    def pending_screens(self) -> int:  # 1,500 waiting for review: 60 queue pages of 25
        return max(2, self.patients * 3 // 20)

    @property
    def logs_and_checkins(self) -> int:
        # The cap of session logs + check-ins: the tracking step writes ~90% of it (adherence
        # varies), so ~100,000 at 10,000 patients.
        return self.patients * 11

    @property
    def reminders(self) -> int:  # 200,000 reminder rows at 10,000 patients
        return self.patients * 20

    def as_dict(self) -> dict:
        return {
            "patients": self.patients,
            "specialists": self.specialists,
            "staff": self.staff,
            "children": self.children,
            "access_events": self.access_events,
            "consultations": self.consultations,
            "plans": self.plans,
            "pending_screens": self.pending_screens,
            "logs_and_checkins": self.logs_and_checkins,
            "reminders": self.reminders,
        }


@dataclass
class SeedContext:
    seed: int
    sizes: Sizes
    anchor: datetime.date
    password_hash: str
    log: Callable[[str], None] = print
    ids: dict[str, list[int]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    # What a step leaves for later steps besides primary keys (e.g. the specialists' booked
    # time, the plans and their sessions); steps document what they put here.
    shared: dict = field(default_factory=dict)

    @property
    def now(self) -> datetime.datetime:
        """Noon UTC on the anchor day: the seeded clinic's "now"."""
        return datetime.datetime.combine(self.anchor, datetime.time(12, 0), tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Step:
    order: int
    name: str
    run: Callable[[SeedContext], int]
    default: bool = True  # run when no steps are named (False: only when asked for by name)


STEPS: list[Step] = []


def seed_step(order: int, name: str, *, default: bool = True):
    """Register a seeding step (run in ``order``; the name seeds the step's generator).
    ``default=False``: a step run only when named (``seed_clinic(steps=...)``)."""

    def decorator(func: Callable[[SeedContext], int]):
        if any(s.name == name for s in STEPS):
            raise ValueError(f"seed step {name!r} is registered twice")
        STEPS.append(Step(order, name, func, default))
        STEPS.sort(key=lambda s: s.order)
        return func

    return decorator


# --- Bulk helpers ---------------------------------------------------------------------------
def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take ``count`` primary keys from the table's sequence (so rows can reference each other
    before they are written)."""
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """Write ``rows`` (tuples in the order of ``fields``, model field names) with COPY.

    Values are Python values (str, int, bool, None, date, datetime, time); JSON fields take
    their JSON text. Returns the number of rows written."""
    meta = model._meta
    given = {meta.get_field(name).column for name in fields}
    # Fields the step does not name take their model default, so a new field with a default
    # never breaks the seeder.
    extra = [
        f
        for f in meta.concrete_fields
        if f.column not in given
        and not f.primary_key
        and (f.has_default() or (not f.null and f.empty_strings_allowed))
    ]
    columns = [meta.get_field(name).column for name in fields] + [f.column for f in extra]
    defaults = tuple(_copy_value(f, f.get_default()) for f in extra)
    statement = 'COPY "{}" ({}) FROM STDIN'.format(
        meta.db_table, ", ".join(f'"{c}"' for c in columns)
    )
    connection.ensure_connection()
    written = 0
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((*row, *defaults) if defaults else row)
            written += 1
    return written


def _copy_value(field, value):
    import json
    import uuid

    if isinstance(field, models.JSONField):
        return json.dumps(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def email_for(kind: str, number: int) -> str:
    return f"{kind}{number:05d}@{SEED_DOMAIN}"


# --- Change history -------------------------------------------------------------------------
# The change-history triggers (pghistory) run two PL/pgSQL exception blocks per row, i.e. two
# subtransactions: a few hundred thousand of them in the seeder's one transaction overflow
# PostgreSQL's subtransaction cache and every later row check slows down (the plan sessions took
# minutes). So the seeder turns those triggers off for its transaction and writes the same
# "insert" events itself at the end, one INSERT ... SELECT per table (FK checks stay on).
def _history_triggers_off() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE tgname LIKE 'pgtrigger_insert_insert_%%' AND NOT tgisinternal"
        )
        found = cursor.fetchall()
        for table, trigger in found:
            cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')
    return [(table, trigger) for table, trigger in found]


def _history_backfill(tables) -> int:
    """The "insert" event of every row written while the triggers were off; triggers back on."""
    import pghistory.models
    from django.apps import apps

    by_table = {}
    for event in apps.get_models():
        tracked = getattr(event, "pgh_tracked_model", None)
        if tracked is None or not issubclass(event, pghistory.models.Event):
            continue
        labels = {getattr(t, "label", None) for t in getattr(event, "pgh_trackers", None) or ()}
        if labels and "insert" not in labels:
            continue
        by_table.setdefault(tracked._meta.db_table, []).append(event)
    written = 0
    with connection.cursor() as cursor:
        # Run the deferred foreign-key checks now: a table with pending trigger events cannot
        # have its triggers switched back on.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in tables:
            for event in by_table.get(table.strip('"'), []):
                columns = [
                    f.column for f in event._meta.concrete_fields if not f.name.startswith("pgh_")
                ]
                names = ", ".join(f'"{c}"' for c in columns)
                pk = event.pgh_tracked_model._meta.pk.column
                cursor.execute(
                    f'INSERT INTO "{event._meta.db_table}" ({names}, pgh_created_at, pgh_label, '
                    f'pgh_obj_id, pgh_context_id) SELECT {names}, NOW(), %s, "{pk}", NULL '
                    f'FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM "{event._meta.db_table}" e '
                    f'WHERE e.pgh_obj_id = t."{pk}" AND e.pgh_label = %s)',
                    ["insert", "insert"],
                )
                written += cursor.rowcount
            cursor.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return written


# --- Running --------------------------------------------------------------------------------
class AlreadySeeded(RuntimeError):
    pass


def seed_clinic(
    *,
    patients: int,
    seed: int = 42,
    anchor: datetime.date | None = None,
    password_hash: str | None = None,
    analyze: bool = True,
    log: Callable[[str], None] = print,
    sizes: Sizes | None = None,
    steps: Iterable[str] | None = None,
) -> dict:
    """Build the clinic on the current (PostgreSQL) database; return the timings per step.

    ``sizes`` replaces the sizes derived from ``patients``; ``steps`` runs only the steps of
    those names (in their registered order), e.g. the peer-shaped clinic of the comparison."""
    from django.contrib.auth.hashers import make_password

    from clinic.accounts.models import User

    if connection.vendor != "postgresql":
        raise RuntimeError("The seeder writes with COPY: it needs PostgreSQL.")
    if User.objects.filter(email__endswith="@" + SEED_DOMAIN).exists():
        raise AlreadySeeded(
            "This database already holds a seeded clinic: flush it first (seed_clinic --flush)."
        )
    started = time.perf_counter()
    ctx = SeedContext(
        seed=seed,
        sizes=sizes or Sizes(patients),
        anchor=anchor or datetime.date.today(),
        # One Argon2 hash for every account: hashing 10,000 passwords would take ~20 minutes.
        password_hash=password_hash or make_password(SEED_PASSWORD),
        log=log,
    )
    timings: dict[str, dict] = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The app bounds every statement (30 s); a COPY of a million rows may take longer.
            cursor.execute("SET LOCAL statement_timeout = 0")
        history_tables = _history_triggers_off()
        chosen = None if steps is None else set(steps)
        unknown = (chosen or set()) - {s.name for s in STEPS}
        if unknown:
            raise ValueError(f"no seed step named {sorted(unknown)}")
        for step in STEPS:
            if (step.name not in chosen) if chosen is not None else not step.default:
                continue
            ctx.rng = random.Random(f"{seed}:{step.name}")
            t0 = time.perf_counter()
            rows = step.run(ctx)
            seconds = time.perf_counter() - t0
            timings[step.name] = {"rows": rows, "seconds": round(seconds, 2)}
            log(f"  {step.name:<24} {rows:>10,} rows  {seconds:7.1f} s")
        t0 = time.perf_counter()
        rows = _history_backfill(history_tables)
        timings["history"] = {"rows": rows, "seconds": round(time.perf_counter() - t0, 2)}
        log(f"  {'history':<24} {rows:>10,} rows  {timings['history']['seconds']:7.1f} s")
    if analyze:
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        timings["analyze"] = {"rows": 0, "seconds": round(time.perf_counter() - t0, 2)}
        log(f"  {'ANALYZE':<24} {'':>10}       {timings['analyze']['seconds']:7.1f} s")
    total = time.perf_counter() - started
    log(f"  {'total':<24} {'':>10}       {total:7.1f} s")
    # Peak resident memory of this process so far (rows are streamed, never held in lists).
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    log(f"  peak memory of the seeding process: {peak_mb} MB")
    return {
        "peak_rss_mb": peak_mb,
        "seed": seed,
        "anchor": ctx.anchor.isoformat(),
        "sizes": ctx.sizes.as_dict(),
        "steps": timings,
        "seconds": round(total, 2),
    }


# Steps of the features on main (each module registers its steps when imported).
from . import (  # noqa: E402,F401
    accounts,
    audit,
    calendar,
    intake,
    patient_profiles,
    peer_shape,
    plans,
    reminders,
    specialists,
    tracking,
)
