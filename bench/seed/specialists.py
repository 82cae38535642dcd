"""Seeded booking set-up: the booking policy, the consultation types of the demo clinic, one
bookable profile per specialist login with a regular week of working hours (the app's model of
availability: weekly wall-clock ranges, so a year of them is the week repeated), and time off
over the year (annual leave, conference days, afternoons off).

Leaves in ``ctx.shared``: ``types`` (name → (pk, minutes, buffer)), ``specialists`` (the
profile pks, in the order of ``ctx.ids["specialist_users"]``), ``specialist_of_user`` and
``grid`` (``bench.seed.grid.Grid``: the time later steps book)."""

import datetime
import zoneinfo

from django.conf import settings

from clinic.accounts.models import User
from patients.models import BookingPolicy, ConsultationType, Specialist, TimeOff, WorkingHours

from . import SeedContext, copy_rows, reserve_ids, seed_step
from .grid import Grid, cell_of

T = datetime.time
# name, minutes, buffer, new patients online (as patients/booking_demo.py)
TYPES = (
    ("First consultation", 45, 15, True),
    ("Follow-up", 20, 10, False),
    ("Second opinion", 30, 10, True),
)
MORNING_AFTERNOON = [(T(9), T(12, 30)), (T(13, 30), T(17))]
WEEKS = (
    # Most work Monday to Friday; some four long days and a Saturday morning; some part time.
    ({d: MORNING_AFTERNOON for d in range(5)}, 6),
    ({**{d: [(T(8, 30), T(12)), (T(13), T(17, 30))] for d in (0, 1, 3, 4)}, 5: [(T(9), T(13))]}, 2),
    ({d: [(T(10), T(13)), (T(14), T(18))] for d in (1, 2, 3)}, 1),
    ({d: [(T(8), T(12)), (T(12, 30), T(16))] for d in range(5)}, 2),
)
# Days before and after the anchor that get appointments and time off.
PAST_DAYS = 300
FUTURE_DAYS = 70


def clinic_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


def window(ctx: SeedContext):
    first = ctx.anchor - datetime.timedelta(days=PAST_DAYS)
    return [first + datetime.timedelta(days=n) for n in range(PAST_DAYS + FUTURE_DAYS + 1)]


@seed_step(30, "specialists")
def specialists(ctx: SeedContext) -> int:
    rng = ctx.rng
    tz = clinic_tz()
    BookingPolicy().save()  # the defaults: 2 h notice, 60 days ahead, a start every 15 min
    written = 1
    ctx.shared["types"] = {}
    for position, (name, minutes, buffer, online) in enumerate(TYPES):
        ctype = ConsultationType.objects.create(
            name=name,
            duration_minutes=minutes,
            buffer_after_minutes=buffer,
            new_patients_online=online,
            position=position,
        )
        ctx.shared["types"][name] = (ctype.pk, minutes, buffer)
        written += 1
    users = ctx.ids["specialist_users"]
    names = dict(User.objects.filter(pk__in=users).values_list("pk", "last_name"))
    firsts = dict(User.objects.filter(pk__in=users).values_list("pk", "first_name"))
    pks = reserve_ids(Specialist, len(users))
    ctx.shared["specialists"] = pks
    ctx.shared["specialist_of_user"] = dict(zip(users, pks, strict=True))
    written += copy_rows(
        Specialist,
        ["id", "user", "display_name", "bio", "photo", "is_active", "position"],
        (
            (pk, user, f"Dr. {firsts[user]} {names[user]}", "Dermatologist.", "", True, i)
            for i, (pk, user) in enumerate(zip(pks, users, strict=True))
        ),
    )
    patterns = [week for week, weight in WEEKS for _ in range(weight)]
    # The first specialist (the benchmark's login) works the full week.
    hours = {pk: (WEEKS[0][0] if i == 0 else rng.choice(patterns)) for i, pk in enumerate(pks)}
    written += copy_rows(
        WorkingHours,
        ["specialist", "weekday", "start", "end"],
        (
            (sid, wd, s, e)
            for sid, week in hours.items()
            for wd, ranges in sorted(week.items())
            for s, e in ranges
        ),
    )
    grid = Grid(tz, hours)
    ctx.shared["grid"] = grid
    days = window(ctx)
    rows = []
    for sid in pks:
        # Two weeks of leave in the past, one in the future for some; a few single days and
        # afternoons off across the year.
        blocks = []
        leave = days[rng.randrange(20, PAST_DAYS - 30)]
        blocks.append((leave, 0, leave + datetime.timedelta(days=rng.choice((7, 14))), 0, "Leave"))
        if rng.random() < 0.3:
            later = ctx.anchor + datetime.timedelta(days=rng.randrange(21, FUTURE_DAYS - 7))
            blocks.append((later, 0, later + datetime.timedelta(days=7), 0, "Annual leave"))
        for _ in range(rng.randrange(3, 7)):
            day = rng.choice(days)
            if rng.random() < 0.5:
                blocks.append((day, 0, day + datetime.timedelta(days=1), 0, "Conference"))
            else:
                blocks.append((day, cell_of(T(13)), day, cell_of(T(18)), "Afternoon off"))
        for first_day, first_cell, last_day, end_cell, reason in blocks:
            start = grid.utc(first_day, first_cell)
            end = grid.utc(last_day, end_cell)
            created = start - datetime.timedelta(days=rng.randrange(14, 60))
            rows.append((sid, start, end, reason, None, created))
            day = first_day
            while day <= last_day:
                lo = first_cell if day == first_day else 0
                hi = end_cell if day == last_day else 96
                if day == last_day and end_cell == 0:
                    break
                grid.block(sid, day, lo, hi)
                day += datetime.timedelta(days=1)
    written += copy_rows(
        TimeOff, ["specialist", "start", "end", "reason", "created_by", "created_at"], rows
    )
    return written
