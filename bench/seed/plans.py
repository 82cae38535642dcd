"""Seeded treatment plans, as ``plan_assign`` / ``plan_change`` and ``plan_sessions_sync``
write them: a plan per patient for a share of the patients whose screen was cleared (or
worked up), version 1 (and for some a version 2 that raised the current), one item per plan
(iontophoresis at home for most, in the clinic for some, a topical treatment with a review
for the rest), the assigned specialist, and the session calendar from the app's own pure
scheduler (``treatments.schedule.generate``) up to the horizon (today + 8 weeks): home
sessions at the patient's preferred time in their zone; in-clinic sessions at the item's
clinic time with their treatment-visit appointment (booked through the seeder's grid, so they
never overlap).

Leaves in ``ctx.shared``: ``plans`` (one dict per plan, see ``_plan``), ``assigned``
(patient → specialist user) and appends to ``reminder_targets``."""

import datetime
import json
import zoneinfo
from decimal import Decimal

from django.conf import settings

from patients.models import Appointment
from treatments import defaults, describe
from treatments.models import (
    PatientSpecialist,
    Plan,
    PlanItem,
    PlannedSession,
    PlanVersion,
)
from treatments.rules import recommend
from treatments.schedule import IontophoresisSchedule, generate, local_start
from treatments.services.plans import ItemSpec, override_grounds
from treatments.services.sessions import HORIZON_WEEKS, VISIT_EXTRA_MINUTES

from . import SeedContext, copy_rows, reserve_ids, seed_step
from .appointments import appointment, write
from .grid import cell_of
from .patient_profiles import patient_rows

ACCEPTABLE = ("ok", "caution")
TOPICAL_TEXT = (
    "Apply a thin layer at bedtime to completely dry skin, every night until the sweating "
    "settles, then once or twice a week as needed."
)


def _choose(result: dict, areas: list[str]):
    """(treatment, areas) the specialist would pick: iontophoresis where the engine allows it
    (hands and feet together when both are treated), else the top acceptable option."""

    def ok(treatment, area):
        option = next(o for o in result["areas"][area]["options"] if o["treatment"] == treatment)
        return option["status"] in ACCEPTABLE

    main = max(areas, key=lambda a: result["areas"][a]["hdss"])
    if ok("iontophoresis", main) and main in ("palmar", "plantar"):
        other = "plantar" if main == "palmar" else "palmar"
        if other in areas and ok("iontophoresis", other):
            return "iontophoresis", sorted([main, other])
        return "iontophoresis", [main]
    for option in result["areas"][main]["options"]:
        if option["status"] in ACCEPTABLE and option["treatment"] in (
            "aluminium_chloride",
            "topical_anticholinergic",
        ):
            return option["treatment"], [main]
    return None, None


def _zone(name: str) -> str:
    return name or settings.CLINIC_TIME_ZONE


@seed_step(50, "plans")
def plans(ctx: SeedContext) -> int:
    rng = ctx.rng
    grid = ctx.shared["grid"]
    now = ctx.now
    horizon = ctx.anchor + datetime.timedelta(weeks=HORIZON_WEEKS)
    info = {r[0]: r for r in patient_rows(ctx)}
    screens = ctx.shared["screens"]
    specialist_users = ctx.ids["specialist_users"]
    profile_of = ctx.shared["specialist_of_user"]
    principal = next(r[0] for r in info.values() if r[1] == ctx.ids["patient_users"][0])
    candidates = sorted(screens)
    rng.shuffle(candidates)
    if principal in candidates:
        candidates.remove(principal)
        candidates.insert(0, principal)
    chosen = []
    for pk in candidates:
        if len(chosen) >= ctx.sizes.plans:
            break
        screen_pk, outcome, profile, age, reviewed_at = screens[pk]
        result = recommend(profile)
        treatment, areas = _choose(result, list(profile["areas"]))
        if treatment is not None:
            chosen.append((pk, result, treatment, areas))

    plan_pks = reserve_ids(Plan, len(chosen))
    # At most two versions (and two items) per plan.
    version_pks = iter(reserve_ids(PlanVersion, 2 * len(chosen)))
    item_pks = iter(reserve_ids(PlanItem, 2 * len(chosen)))
    plan_rows, version_rows, item_rows, assigned_rows = [], [], [], []
    session_rows, visit_rows, change_rows = [], [], []
    ctx.shared["plans"] = []
    ctx.shared["assigned"] = {}
    targets = ctx.shared.setdefault("reminder_targets", [])
    appointment_ids = iter(())
    for n, ((pk, result, treatment, areas), plan_pk) in enumerate(
        zip(chosen, plan_pks, strict=True)
    ):
        screen_pk, outcome, profile, age, reviewed_at = screens[pk]
        _pk, user, guardian, dob, tz, *_r = info[pk]
        doctor = specialist_users[0] if n < 2 else rng.choice(specialist_users)
        ctx.shared["assigned"][pk] = doctor
        earliest = reviewed_at.date() + datetime.timedelta(days=7)
        if n == 0 or rng.random() < 0.95:
            start = ctx.anchor - datetime.timedelta(days=rng.randrange(0, 365))
        else:
            start = ctx.anchor + datetime.timedelta(days=rng.randrange(1, 15))
        start = max(start, earliest)
        created = datetime.datetime.combine(
            start - datetime.timedelta(days=rng.randrange(1, 8)), datetime.time(17), datetime.UTC
        )
        statuses_grounds = override_grounds(result, treatment, areas)
        grounds, statuses, rules = statuses_grounds
        ion = treatment == "iontophoresis"
        setting = ""
        clinic_time = clinician = None
        weekdays = []
        if ion:
            setting = "clinic" if (n > 1 and rng.random() < 0.1) else "home"
            weekdays = [0, 2, 4]
            if setting == "clinic":
                clinician = profile_of[doctor]
                working = [wd for wd in range(7) if grid.ranges[clinician].get(wd)]
                weekdays = sorted(rng.sample(working, min(3, len(working))))
                first_range = grid.ranges[clinician][weekdays[0]][0]
                clinic_time = datetime.time(9 + rng.randrange(0, 3), rng.choice((0, 30)))
                if cell_of(clinic_time) < first_range[0]:
                    clinic_time = datetime.time(first_range[0] // 4, 15 * (first_range[0] % 4))
        minutes = max(defaults.SESSION_MINUTES[a] for a in areas) if ion else None
        child = age < 18
        current = Decimal(defaults.DEFAULT_CURRENT_MA[child]) if ion else None
        interval = rng.choice((1, 1, 2)) if ion else None
        spec = ItemSpec(
            treatment=treatment,
            areas=tuple(areas),
            setting=setting,
            session_minutes=minutes,
            current_ma=current,
            pulsed=child and ion,
            sessions_per_week=len(weekdays) if ion else None,
            initial_weeks=4 if ion else None,
            weekdays=tuple(weekdays),
            maintenance_interval_weeks=interval,
            start_date=start,
            water="tap" if ion else "",
            clinic_time=clinic_time,
            clinician_id=clinician,
            instructions="" if ion else TOPICAL_TEXT,
            review_date=None if ion else start + datetime.timedelta(weeks=4),
        )
        # A second version for some: the specialist raised the current after a few weeks.
        change_day = start + datetime.timedelta(weeks=rng.randrange(3, 9))
        two = ion and (n < 2 or rng.random() < 0.2) and change_day < ctx.anchor
        versions = [(spec, 1, "assigned", created, "")]
        if two:
            spec2 = ItemSpec(**{**spec.__dict__, "current_ma": current + 2})
            changed = datetime.datetime.combine(change_day, datetime.time(16), datetime.UTC)
            versions.append((spec2, 2, "changed", changed, "Little response yet: current up."))
        item_of_version = []
        workup = "Work-up found no secondary cause." if outcome == "workup" else ""
        for vspec, number, kind, at, reason in versions:
            version_pk, item_pk = next(version_pks), next(item_pks)
            item_of_version.append(item_pk)
            version_rows.append(
                (version_pk, plan_pk, number, kind, screen_pk, result["rules_version"], reason)
                + (describe.item_line(vspec), workup, doctor, at)
            )
            item_rows.append(
                (
                    item_pk,
                    version_pk,
                    0,
                    treatment,
                    json.dumps(list(areas)),
                    json.dumps(statuses),
                    json.dumps(rules),
                    json.dumps(grounds),
                    "",
                    setting,
                    minutes,
                    vspec.current_ma,
                    vspec.pulsed,
                    vspec.sessions_per_week,
                    vspec.initial_weeks,
                    json.dumps(weekdays),
                    interval,
                    start,
                    None,
                    vspec.water,
                    clinic_time,
                    clinician,
                    vspec.instructions,
                    None,
                    vspec.review_date,
                )
            )
        plan_rows.append((plan_pk, pk, "active", version_pk, horizon, created, versions[-1][3]))
        assigned_rows.append((pk, doctor, doctor, created))
        series = f"{treatment}:{'+'.join(sorted(areas))}"
        sessions = []
        if ion:
            schedule = IontophoresisSchedule(
                start=start,
                weekdays=tuple(weekdays),
                sessions_per_week=len(weekdays),
                initial_weeks=4,
                maintenance_interval_weeks=interval,
            )
            for slot in generate(schedule, until=horizon):
                item = item_of_version[-1] if two and slot.day >= change_day else item_of_version[0]
                if setting == "home":
                    home_time = info[pk][7]
                    at = local_start(slot.day, home_time, _zone(tz))
                else:
                    at = local_start(slot.day, clinic_time, settings.CLINIC_TIME_ZONE)
                sessions.append((item, "session", setting, slot.phase, slot.day, at, minutes))
        else:
            sessions.append(
                (item_of_version[0], "review", "clinic", "", spec.review_date, None, None)
            )
        session_pks = reserve_ids(PlannedSession, len(sessions))
        kept = []
        for session_pk, (item, kind, s_setting, phase, day, at, mins) in zip(
            session_pks, sessions, strict=True
        ):
            visit = None
            if s_setting == "clinic" and at is not None:
                local = at.astimezone(grid.tz)
                taken = grid.take(
                    clinician,
                    local.date(),
                    cell_of(local.time()),
                    mins + VISIT_EXTRA_MINUTES,
                    mins + VISIT_EXTRA_MINUTES,
                    pk,
                )
                if taken is not None:
                    visit = next(appointment_ids, None)
                    if visit is None:
                        appointment_ids = iter(reserve_ids(Appointment, 500))
                        visit = next(appointment_ids)
                    past = taken[0] <= now
                    status = (
                        ("no_show" if rng.random() < 0.04 else "completed") if past else "booked"
                    )
                    row, changes = appointment(
                        rng,
                        visit,
                        kind="treatment_visit",
                        patient=pk,
                        specialist=clinician,
                        ctype=None,
                        times=taken,
                        status=status,
                        booked_by=doctor,
                        booked_at=created,
                        now=now,
                    )
                    visit_rows.append(row)
                    change_rows.extend(changes)
                    targets.append(
                        ("treatment-visit-24h", "patients.appointment", visit, 1)
                        + (taken[0] - datetime.timedelta(hours=24), taken[0], pk, status)
                    )
            session_rows.append(
                (session_pk, plan_pk, item, series, kind, s_setting, phase, day, at, mins)
                + ("planned", 1, visit, created, created)
            )
            if s_setting == "home":
                midnight = datetime.datetime.combine(
                    day + datetime.timedelta(days=1),
                    datetime.time(0),
                    tzinfo=zoneinfo.ZoneInfo(_zone(tz)),
                )
                targets.append(
                    ("home-session", "treatments.plannedsession", session_pk, 1, at, midnight)
                    + (pk, "planned")
                )
            kept.append((session_pk, item, s_setting, phase, day, at))
        ctx.shared["plans"].append(
            {
                "patient": pk,
                "plan": plan_pk,
                "user": user or guardian,
                "doctor": doctor,
                "age": age,
                "start": start,
                "areas": list(areas),
                "hdss": {a: profile["areas"][a] for a in areas},
                "setting": setting,
                "minutes": minutes,
                "current": current,
                "items": item_of_version,
                "sessions": kept,
                "created": created,
            }
        )
    written = copy_rows(
        Plan,
        ["id", "patient", "status", "current_version", "horizon_until", "created_at"]
        + ["updated_at"],
        plan_rows,
    )
    written += copy_rows(
        PlanVersion,
        ["id", "plan", "number", "kind", "screen", "rules_version", "reason", "summary"]
        + ["workup_reason", "created_by", "created_at"],
        version_rows,
    )
    written += copy_rows(
        PlanItem,
        [
            "id",
            "version",
            "position",
            "treatment",
            "areas",
            "option_statuses",
            "option_rules",
            "override_grounds",
            "reason",
            "setting",
            "session_minutes",
            "current_ma",
            "pulsed",
            "sessions_per_week",
            "initial_weeks",
            "weekdays",
            "maintenance_interval_weeks",
            "start_date",
            "maintenance_from",
            "water",
            "clinic_time",
            "clinician",
            "instructions",
            "procedure_date",
            "review_date",
        ],
        item_rows,
    )
    written += copy_rows(
        PatientSpecialist, ["patient", "specialist", "assigned_by", "assigned_at"], assigned_rows
    )
    written += write(visit_rows, change_rows)
    written += copy_rows(
        PlannedSession,
        [
            "id",
            "plan",
            "item",
            "series",
            "kind",
            "setting",
            "phase",
            "day",
            "starts_at",
            "duration_minutes",
            "status",
            "revision",
            "appointment",
            "created_at",
            "updated_at",
        ],
        session_rows,
    )
    return written
