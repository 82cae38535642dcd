"""Seeded home-session logs, HDSS check-ins, flags and the progress snapshot, as the tracking
services write them (``session_log_create``, ``checkin_record``, ``progress_refresh``):

- each past home session is logged done (minutes, current, areas, side effects), skipped
  (with a reason) or not at all, at a per-patient adherence; the total of logs and check-ins
  is kept to ``logs_and_checkins``;
- a baseline check-in at the first consultation, then the patient's every two weeks, the
  scores coming down for most (responders);
- flags: side effects (urgent for blisters or pain; acknowledged unless recent), low
  adherence over the last two weeks, nothing logged for ten days;
- ``Progress``: the per-patient snapshot the dashboard and chart read."""

import datetime
import json
from collections import Counter

from treatments.models import CheckIn, Flag, Progress, SessionLog

from . import SeedContext, copy_rows, reserve_ids, seed_step

SKIP_REASONS = ("forgot", "no_time", "unwell", "away", "device")
RECENT_DAYS = 14
NO_LOG_DAYS = 10


@seed_step(70, "tracking")
def tracking(ctx: SeedContext) -> int:
    rng = ctx.rng
    now, today = ctx.now, ctx.anchor
    plans = ctx.shared["plans"]
    principal_plan = plans[0]["plan"] if plans else None
    past_home = sum(
        1
        for p in plans
        for s in p["sessions"]
        if s[2] == "home" and s[5] is not None and s[5] <= now
    )
    checkins = sum(max(0, (today - p["start"]).days // 14 + 1) for p in plans)
    # Adherence is scaled so that logs and check-ins stay within the size asked for.
    scale = min(1.0, max(0.1, (ctx.sizes.logs_and_checkins - checkins) / max(1, past_home * 0.8)))
    logs, checkin_rows, flags, progress = [], [], [], []
    log_pks = iter(())
    for plan in plans:
        patient, plan_pk, user, doctor = (plan[k] for k in ("patient", "plan", "user", "doctor"))
        adherence = 0.85 if plan_pk == principal_plan else rng.uniform(0.4, 0.98)
        adherence *= scale
        responder = rng.random() < 0.7 or plan_pk == principal_plan
        item_current = {plan["items"][0]: plan["current"]}
        if len(plan["items"]) > 1:
            item_current[plan["items"][1]] = plan["current"] + 2
        counts = Counter()
        last_log = None
        phase_now = ""
        plan_flags = []
        for session_pk, item, setting, phase, day, at in plan["sessions"]:
            if at is None or at > now:
                if not phase_now and setting == "home":
                    phase_now = phase
                continue
            if setting != "home":
                continue
            recent = (today - day).days < RECENT_DAYS
            counts["planned"] += 1
            counts["planned_phase", phase] += 1
            counts["planned_recent"] += recent
            roll = rng.random()
            if roll >= adherence + 0.06:
                continue  # not logged: missed
            log_pk = next(log_pks, None)
            if log_pk is None:
                log_pks = iter(reserve_ids(SessionLog, 2000))
                log_pk = next(log_pks)
            created = at + datetime.timedelta(minutes=rng.randrange(30, 180))
            if roll < adherence:
                effect = rng.random()
                effects = (
                    ["blisters"]
                    if effect < 0.005
                    else ["dryness"]
                    if effect < 0.08
                    else ["tingling"]
                    if effect < 0.13
                    else ["none"]
                )
                current = item_current[item]
                logs.append(
                    (log_pk, patient, plan_pk, session_pk, item, "done", day, plan["minutes"])
                    + (current, json.dumps(plan["areas"]), json.dumps(effects), "", "", "")
                    + (current, False, user, created, created)
                )
                counts["done"] += 1
                counts["done_phase", phase] += 1
                counts["done_recent"] += recent
                last_log = day
                if effects != ["none"]:
                    concerning = effects == ["blisters"]
                    open_ = (today - day).days < 21
                    plan_flags.append(
                        (
                            patient,
                            plan_pk,
                            "side_effect_concern" if concerning else "side_effect",
                            3 if concerning else 1,
                            f"log:{log_pk}:{'+'.join(effects)}",
                            "",
                            f"Session of {day:%a %d %b}: {effects[0]}.",
                            "{}",
                            log_pk,
                            created,
                            None if open_ else created + datetime.timedelta(days=2),
                            None if open_ else doctor,
                            "" if open_ else "Seen; advice given.",
                        )
                    )
            else:
                logs.append(
                    (log_pk, patient, plan_pk, session_pk, item, "skipped", day, None, None)
                    + (json.dumps(plan["areas"]), "[]", "", rng.choice(SKIP_REASONS), "", None)
                    + (False, user, created, created)
                )
                counts["skipped"] += 1
                last_log = day
        # Check-ins: a baseline at the first consultation, then every two weeks.
        baseline = dict(plan["hdss"])
        latest = dict(baseline)
        first_day = plan["start"] - datetime.timedelta(days=1)
        last_checkin = None
        if first_day <= today:
            at = datetime.datetime.combine(first_day, datetime.time(17), datetime.UTC)
            checkin_rows.append(
                (patient, plan_pk, first_day, "consultation", json.dumps(baseline), "{}")
                + (doctor, at, at)
            )
            last_checkin = first_day
            day = plan["start"] + datetime.timedelta(days=14)
            weeks = 2
            while day <= today:
                if rng.random() < 0.85 or plan_pk == principal_plan:
                    drop = weeks // 4 if responder else 0
                    latest = {a: max(1, h - drop) for a, h in baseline.items()}
                    at = datetime.datetime.combine(day, datetime.time(19), datetime.UTC)
                    checkin_rows.append(
                        (patient, plan_pk, day, "patient", json.dumps(latest))
                        + (json.dumps({a: rng.randrange(3, 9) for a in latest}), user, at, at)
                    )
                    last_checkin = day
                day += datetime.timedelta(days=14)
                weeks += 2
        # Condition flags of the progress refresh.
        if counts["planned_recent"] >= 2 and counts["done_recent"] * 100 < (
            60 * counts["planned_recent"]
        ):
            monday = today - datetime.timedelta(days=today.weekday())
            plan_flags.append(
                (patient, plan_pk, "low_adherence", 2, f"week:{monday.isoformat()}", "")
                + (
                    f"{counts['done_recent']} of {counts['planned_recent']} planned sessions "
                    "done in the last 2 weeks.",
                    json.dumps(
                        {"done": counts["done_recent"], "planned": counts["planned_recent"]}
                    ),
                    None,
                    now - datetime.timedelta(hours=rng.randrange(1, 72)),
                    None,
                    None,
                    "",
                )
            )
        anchor_day = last_log or plan["start"]
        if counts["planned"] and (today - anchor_day).days >= NO_LOG_DAYS:
            plan_flags.append(
                (patient, plan_pk, "no_log", 2, f"since:{anchor_day.isoformat()}", "")
                + (f"Nothing logged since {anchor_day:%a %d %b}.", "{}", None)
                + (now - datetime.timedelta(hours=rng.randrange(1, 48)), None, None, "")
            )
        flags.extend(plan_flags)
        open_flags = [(f[3], f[9]) for f in plan_flags if f[10] is None]
        phase = phase_now or "maintenance"
        progress.append(
            (
                patient,
                plan_pk,
                today,
                phase,
                counts["planned_phase", phase],
                counts["done_phase", phase],
                counts["planned"],
                counts["done"],
                counts["skipped"],
                counts["planned"] - counts["done"] - counts["skipped"],
                counts["planned_recent"],
                counts["done_recent"],
                last_log,
                last_checkin,
                last_checkin + datetime.timedelta(days=14) if last_checkin else None,
                json.dumps(baseline),
                json.dumps(latest),
                len(open_flags),
                max((s for s, _ in open_flags), default=0),
                min((t for _, t in open_flags), default=None),
            )
        )
    written = copy_rows(
        SessionLog,
        [
            "id",
            "patient",
            "plan",
            "planned_session",
            "item",
            "status",
            "day",
            "minutes",
            "current_ma",
            "areas",
            "side_effects",
            "side_effect_other",
            "skip_reason",
            "notes",
            "current_max_ma",
            "current_out_of_bounds",
            "logged_by",
            "created_at",
            "updated_at",
        ],
        logs,
    )
    written += copy_rows(
        CheckIn,
        ["patient", "plan", "day", "source", "scores", "dryness", "recorded_by", "created_at"]
        + ["updated_at"],
        checkin_rows,
    )
    written += copy_rows(
        Flag,
        [
            "patient",
            "plan",
            "kind",
            "severity",
            "key",
            "area",
            "detail",
            "data",
            "session_log",
            "raised_at",
            "closed_at",
            "closed_by",
            "close_note",
        ],
        flags,
    )
    written += copy_rows(
        Progress,
        [
            "patient",
            "plan",
            "computed_on",
            "phase",
            "planned_phase",
            "done_phase",
            "planned_total",
            "done_total",
            "skipped_total",
            "missed_total",
            "planned_recent",
            "done_recent",
            "last_log_day",
            "last_checkin_day",
            "checkin_due_on",
            "baseline",
            "latest",
            "open_flags",
            "top_severity",
            "oldest_open_flag_at",
        ],
        progress,
    )
    ctx.shared["log_count"] = len(logs)
    return written
