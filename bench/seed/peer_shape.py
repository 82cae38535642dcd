"""The clinic shaped like the peer comparison's (bench/peer/run_peer.py), for OUR side of it:
3 specialists working Monday to Friday 09:00-17:00, one 30-minute consultation type without a
buffer, start times every 30 minutes, and ``peer_appointments`` appointments spread at random
over the weekday slots from 182 days ago to 182 days ahead (past ones completed, future ones
booked), each for a random patient free at that time. Run only when named:

    seed_clinic(patients=..., sizes=Sizes(..., fixed_specialists=3, fixed_staff=1,
                peer_appointments=N), steps=("accounts", "patients", "peer_shape"))
"""

import datetime

from patients.models import Appointment, BookingPolicy, ConsultationType, Specialist, WorkingHours

from . import SeedContext, copy_rows, reserve_ids, seed_step
from .appointments import appointment, write
from .grid import Grid, cell_of
from .specialists import clinic_tz

SLOT_MINUTES = 30
DAY_START, DAY_END = datetime.time(9), datetime.time(17)
WINDOW_DAYS = 182


@seed_step(35, "peer_shape", default=False)
def peer_shape(ctx: SeedContext) -> int:
    rng = ctx.rng
    policy = BookingPolicy(slot_step_minutes=SLOT_MINUTES)
    policy.save()
    ctype = ConsultationType.objects.create(
        name="Consultation", duration_minutes=SLOT_MINUTES, buffer_after_minutes=0
    )
    users = ctx.ids["specialist_users"]
    pks = reserve_ids(Specialist, len(users))
    written = copy_rows(
        Specialist,
        ["id", "user", "display_name", "bio", "photo", "is_active", "position"],
        (
            (pk, u, f"Dr. Peer {i + 1}", "", "", True, i)
            for i, (pk, u) in enumerate(zip(pks, users, strict=True))
        ),
    )
    week = {d: [(DAY_START, DAY_END)] for d in range(5)}
    written += copy_rows(
        WorkingHours,
        ["specialist", "weekday", "start", "end"],
        ((sid, d, DAY_START, DAY_END) for sid in pks for d in range(5)),
    )
    grid = Grid(clinic_tz(), {sid: week for sid in pks})
    days = [
        ctx.anchor + datetime.timedelta(days=k)
        for k in range(-WINDOW_DAYS, WINDOW_DAYS + 1)
        if (ctx.anchor + datetime.timedelta(days=k)).weekday() < 5
    ]
    first, last = cell_of(DAY_START), cell_of(DAY_END)
    step = SLOT_MINUTES // 15
    all_slots = [(m, d, c) for d in days for c in range(first, last, step) for m in range(len(pks))]
    chosen = rng.sample(all_slots, min(ctx.sizes.peer_appointments, len(all_slots)))
    patients = ctx.ids["patients"]
    users_of = dict(zip(ctx.ids["patients"], ctx.ids["patient_users"], strict=False))
    ids = iter(reserve_ids(Appointment, len(chosen)))
    rows, changes = [], []
    for m, day, cell in chosen:
        for _ in range(50):
            patient = rng.choice(patients)
            taken = grid.take(pks[m], day, cell, SLOT_MINUTES, SLOT_MINUTES, patient)
            if taken is not None:
                break
        if taken is None:
            continue
        status = "completed" if taken[0] <= ctx.now else "booked"
        booked_at = min(taken[0], ctx.now) - datetime.timedelta(days=rng.randrange(1, 30))
        row, change = appointment(
            rng,
            next(ids),
            kind="consultation",
            patient=patient,
            specialist=pks[m],
            ctype=ctype.pk,
            times=taken,
            status=status,
            booked_by=users_of.get(patient),
            booked_at=booked_at,
            now=ctx.now,
        )
        rows.append(row)
        changes.extend(change)
    return written + 2 + write(rows, changes)
