"""Seeded consultations over the year (past and the next two months), as ``appointment_book``
and the staff outcome pages write them, in free slot-aligned time of the specialists' grid
(so the exclusion constraints hold): every plan patient's first consultation before the plan
and follow-ups after it, first consultations for cleared patients and for some still waiting
for review, second opinions and follow-ups for the rest up to ``consultations``; some
cancelled, some no-shows. The principal patient has a long history (many rows on "My
appointments"). A consultation note (and its first revision) for each completed consultation
of a plan patient.

Appends to ``ctx.shared["reminder_targets"]``."""

import datetime

from patients.models import Appointment
from treatments.models import ConsultationNote, ConsultationNoteRevision

from . import SeedContext, copy_rows, reserve_ids, seed_step
from .appointments import appointment, write
from .patient_profiles import patient_rows
from .specialists import FUTURE_DAYS, PAST_DAYS

NOTE_TEXT = (
    "Reviewed sweating and the questionnaire. Discussed options; patient prefers to continue. "
    "Technique checked. Next review as planned."
)


@seed_step(55, "consultations")
def consultations(ctx: SeedContext) -> int:
    rng = ctx.rng
    grid = ctx.shared["grid"]
    now = ctx.now
    types = ctx.shared["types"]
    first, follow, second = (
        types[n] for n in ("First consultation", "Follow-up", "Second opinion")
    )
    profile_of = ctx.shared["specialist_of_user"]
    specialists = ctx.shared["specialists"]
    rows = patient_rows(ctx)
    principal = next(r[0] for r in rows if r[1] == ctx.ids["patient_users"][0])
    child = ctx.shared.get("principal_child")
    plans = {p["patient"]: p for p in ctx.shared["plans"]}
    budget = ctx.sizes.consultations
    low = ctx.anchor - datetime.timedelta(days=PAST_DAYS - 1)
    high = ctx.anchor + datetime.timedelta(days=FUTURE_DAYS - 10)

    wants = []  # (patient, specialist profile or None, type, day, may cancel)
    if principal in plans:
        plan = plans[principal]
        doctor = profile_of[plan["doctor"]]
        start = plan["start"]
        wants.append((principal, doctor, first, start - datetime.timedelta(days=10), False))
        day = start + datetime.timedelta(days=14)
        while day < ctx.anchor + datetime.timedelta(days=50):
            wants.append((principal, doctor, follow, day, True))
            day += datetime.timedelta(days=14)
    if child is not None:
        wants.append((child, None, first, ctx.anchor + datetime.timedelta(days=12), False))
    for pk, plan in plans.items():
        if pk == principal:
            continue
        doctor = profile_of[plan["doctor"]]
        start = plan["start"]
        wants.append(
            (pk, doctor, first, start - datetime.timedelta(days=rng.randrange(3, 21)), True)
        )
        day = start + datetime.timedelta(weeks=rng.randrange(5, 11))
        while day <= high:
            wants.append((pk, doctor, follow, day, True))
            day += datetime.timedelta(weeks=rng.randrange(5, 11))
    screened = ctx.shared["screens"]
    for pk, *_r in rows:
        if pk in plans or pk in (principal, child):
            continue
        roll = rng.random()
        if pk in screened and roll < 0.6:
            day = ctx.anchor - datetime.timedelta(days=rng.randrange(1, PAST_DAYS - 10))
            wants.append((pk, None, first, day, True))
        elif roll < 0.75:
            day = ctx.anchor + datetime.timedelta(days=rng.randrange(1, FUTURE_DAYS - 10))
            wants.append((pk, None, first, day, True))
    patients = [r[0] for r in rows]
    while len(wants) < budget:
        day = low + datetime.timedelta(days=rng.randrange((high - low).days))
        ctype = follow if rng.random() < 0.6 else second
        wants.append((rng.choice(patients), None, ctype, day, True))
    wants = wants[:budget]

    user_of = {r[0]: r[1] or r[2] for r in rows}
    targets = ctx.shared.setdefault("reminder_targets", [])
    pks = iter(reserve_ids(Appointment, len(wants)))
    appointment_rows, change_rows, notes = [], [], []
    doctor_user = {v: k for k, v in profile_of.items()}
    for patient, specialist, (ctype, minutes, buffer), day, may_cancel in wants:
        taken = None
        for attempt in range(40):
            sid = specialist if specialist is not None else rng.choice(specialists)
            d = day + datetime.timedelta(days=(attempt // 4) * (1 if attempt % 2 else -1))
            if not (low <= d <= high + datetime.timedelta(days=9)) or not grid.works(sid, d):
                continue
            starts = grid.starts(sid, d, minutes)
            if not starts:
                continue
            taken = grid.take(sid, d, rng.choice(starts), minutes, minutes + buffer, patient)
            if taken is not None:
                break
        if taken is None:
            continue
        start = taken[0]
        roll = rng.random()
        if may_cancel and roll < 0.08:
            status = "cancelled"
        elif start <= now:
            status = "no_show" if roll < 0.12 else "completed"
        else:
            status = "booked"
        booked_by = user_of[patient]
        booked_at = start - datetime.timedelta(minutes=rng.randrange(3 * 60, 40 * 24 * 60))
        booked_at = min(booked_at, now - datetime.timedelta(minutes=5))
        pk = next(pks)
        row, changes = appointment(
            rng,
            pk,
            kind="consultation",
            patient=patient,
            specialist=sid,
            ctype=ctype,
            times=taken,
            status=status,
            booked_by=booked_by,
            booked_at=booked_at,
            now=now,
        )
        appointment_rows.append(row)
        change_rows.extend(changes)
        for kind, hours in (("consultation-24h", 24), ("consultation-2h", 2)):
            targets.append(
                (kind, "patients.appointment", pk, 1, start - datetime.timedelta(hours=hours))
                + (start, patient, status)
            )
        if status == "completed" and patient in plans:
            notes.append((patient, start.astimezone(grid.tz).date(), doctor_user[sid], taken[1]))
    written = write(appointment_rows, change_rows)
    note_pks = reserve_ids(ConsultationNote, len(notes))
    written += copy_rows(
        ConsultationNote,
        ["id", "patient", "visit_date", "text", "revision_count", "created_by", "updated_by"]
        + ["created_at", "updated_at"],
        (
            (pk, patient, day, NOTE_TEXT, 1, author, author, at, at)
            for pk, (patient, day, author, at) in zip(note_pks, notes, strict=True)
        ),
    )
    written += copy_rows(
        ConsultationNoteRevision,
        ["note", "number", "visit_date", "text", "reason", "author", "created_at"],
        (
            (pk, 1, day, NOTE_TEXT, "", author, at)
            for pk, (patient, day, author, at) in zip(note_pks, notes, strict=True)
        ),
    )
    return written
