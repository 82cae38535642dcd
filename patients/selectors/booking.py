"""Reads for the patients app's pages: free slots, appointments, who a user may act for.

Free slots are computed in the clinic's time zone from wall-clock working hours, so a 09:00
start stays 09:00 across DST changes, and every slot is a real span of UTC time (a night
range on a spring-forward day is an hour shorter, on a fall-back day an hour longer).
``compute_slots`` is pure (no database, no clock) so the table tests can drive it directly.
"""

import datetime
import zoneinfo
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import JSONObject
from django.utils import timezone

from ..models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    BookingPolicy,
    ConsultationType,
    Patient,
    Specialist,
    TimeOff,
    Weekday,
    WorkingHours,
)

UTC = datetime.UTC
ADULT_AGE = 18
# How far the staff may book ahead, whatever the patients' horizon.
STAFF_HORIZON = datetime.timedelta(days=366)
# "Next available" scans the horizon in chunks of this many days, stopping at the first hit.
SEARCH_CHUNK_DAYS = 14


def clinic_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


def clinic_today(now: datetime.datetime | None = None) -> datetime.date:
    return (now or timezone.now()).astimezone(clinic_tz()).date()


@dataclass(frozen=True)
class Slot:
    """A bookable start time; ``specialist_ids`` are the specialists free then (one, unless
    the patient chose "any specialist")."""

    start: datetime.datetime  # aware, UTC
    end: datetime.datetime
    specialist_ids: tuple[int, ...]


# --- The pure computation -------------------------------------------------------------------
def local_to_utc(day: datetime.date, at: datetime.time, tz: zoneinfo.ZoneInfo):
    """The UTC instant of a wall-clock time on a local day. A time that does not exist (the
    hour skipped in spring) maps to the same distance past the change; an ambiguous one (the
    repeated hour in autumn) to its first occurrence."""
    return datetime.datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _merge(intervals: Iterable[tuple[datetime.datetime, datetime.datetime]]):
    merged: list[list[datetime.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [m[0] for m in merged], [m[1] for m in merged]


def compute_slots(
    *,
    days: Iterable[datetime.date],
    tz: zoneinfo.ZoneInfo,
    hours: dict[int, dict[int, list[tuple[datetime.time, datetime.time]]]],
    blocked: dict[int, list[tuple[datetime.datetime, datetime.datetime]]],
    duration: datetime.timedelta,
    buffer: datetime.timedelta,
    step: datetime.timedelta,
    earliest: datetime.datetime,
    latest: datetime.datetime,
) -> dict[datetime.date, list[Slot]]:
    """Free start times per local day.

    ``hours``: specialist id → weekday (0 = Monday) → wall-clock ranges. ``blocked``:
    specialist id → UTC ranges they cannot take (time off; appointments up to the end of
    their buffer). A slot needs its whole appointment inside one working range and its
    appointment plus buffer clear of every blocked range; it starts at or after ``earliest``
    (now + minimum notice) and before ``latest`` (now + horizon). Start times step from the
    start of each range."""
    if step <= datetime.timedelta(0):
        raise ValueError("step must be positive")
    merged = {sid: _merge(ranges) for sid, ranges in blocked.items()}
    result: dict[datetime.date, list[Slot]] = {}
    for day in days:
        free: dict[datetime.datetime, list[int]] = defaultdict(list)
        for sid, week in hours.items():
            starts, ends = merged.get(sid, ([], []))
            for range_start, range_end in week.get(day.weekday(), ()):
                start = local_to_utc(day, range_start, tz)
                stop = local_to_utc(day, range_end, tz)
                while start + duration <= stop:
                    if earliest <= start < latest:
                        busy_until = start + duration + buffer
                        i = bisect_right(ends, start)
                        if i == len(starts) or starts[i] >= busy_until:
                            free[start].append(sid)
                    start += step
        result[day] = [
            Slot(start=s, end=s + duration, specialist_ids=tuple(sorted(set(ids))))
            for s, ids in sorted(free.items())
        ]
    return result


# --- Database-backed reads ------------------------------------------------------------------
def span_overlaps(
    rows: QuerySet, start_field: str, end_field: str, lo: datetime.datetime, hi: datetime.datetime
) -> QuerySet:
    """Rows whose [start, end) overlaps [lo, hi). On PostgreSQL also as a range overlap
    (``tstzrange(start, end, '[)') && [lo, hi)``), the form a GiST index serves — the
    appointments' span index (migration 0007) or the exclusion constraints' (0003); a btree on
    start would read every earlier row. The plain comparisons stay: same rows, any database."""
    rows = rows.filter(**{f"{start_field}__lt": hi, f"{end_field}__gt": lo})
    if connection.vendor != "postgresql":
        return rows
    from django.contrib.postgres.fields import DateTimeRangeField
    from django.db.models import Func
    from psycopg.types.range import Range

    span = Func(
        F(start_field),
        F(end_field),
        Value("[)"),
        function="TSTZRANGE",
        output_field=DateTimeRangeField(),
    )
    return rows.alias(_span=span).filter(_span__overlap=Range(lo, hi, "[)"))


def booking_policy() -> BookingPolicy:
    return BookingPolicy.load()


POLICY_FIELDS = ("min_notice_minutes", "horizon_days", "change_cutoff_hours", "slot_step_minutes")


def with_policy(types: QuerySet[ConsultationType]) -> QuerySet[ConsultationType]:
    """The consultation types, each carrying the booking policy (the singleton row) as
    annotations: a page that needs a type and the policy reads both in one query
    (``availability_load`` picks it up through ``policy_of``)."""
    row = BookingPolicy.objects.filter(pk=1).order_by()
    return types.annotate(
        **{f"policy_{name}": Subquery(row.values(name)[:1]) for name in POLICY_FIELDS}
    )


def policy_of(ctype: ConsultationType | None) -> BookingPolicy | None:
    """The policy read along with ``ctype`` by ``with_policy`` (None if it was not)."""
    if ctype is None or not hasattr(ctype, "policy_min_notice_minutes"):
        return None
    values = {name: getattr(ctype, f"policy_{name}") for name in POLICY_FIELDS}
    if values["min_notice_minutes"] is None:  # no row yet: the defaults, as BookingPolicy.load
        return BookingPolicy(pk=1)
    return BookingPolicy(pk=1, **values)


def with_hours(specialists: QuerySet[Specialist]) -> QuerySet[Specialist]:
    """The specialists, each carrying their weekly working hours (``week_hours``, a JSON list)
    on PostgreSQL: the specialist and their hours in one query. Elsewhere unchanged
    (``availability_load`` then reads the hours itself)."""
    if connection.vendor != "postgresql":
        return specialists
    from django.contrib.postgres.aggregates import JSONBAgg

    hours = (
        WorkingHours.objects.filter(specialist=OuterRef("pk"))
        .order_by()
        .values("specialist")
        .annotate(
            rows=JSONBAgg(
                JSONObject(weekday=F("weekday"), start=F("start"), end=F("end")),
                order_by=("weekday", "start"),
            )
        )
        .values("rows")
    )
    return specialists.annotate(week_hours=Subquery(hours))


def _preloaded_hours(specialists) -> dict | None:
    """specialist id → weekday → ranges from ``with_hours`` rows; None if not preloaded."""
    if not all(hasattr(s, "week_hours") for s in specialists):
        return None
    hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for specialist in sorted(specialists, key=lambda s: s.pk):
        if not specialist.is_active:
            continue
        for row in specialist.week_hours or ():
            hours[specialist.pk][row["weekday"]].append(
                (datetime.time.fromisoformat(row["start"]), datetime.time.fromisoformat(row["end"]))
            )
    return hours


def consultation_types_for(*, patient: Patient | None) -> QuerySet[ConsultationType]:
    """Types a patient can book online: those open to new patients, plus the rest for
    someone the clinic has seen before (a completed appointment)."""
    types = ConsultationType.objects.filter(is_active=True)
    if patient is None or not patient_has_been_seen(patient=patient):
        types = types.filter(new_patients_online=True)
    return types


def consultation_types_for_user(user) -> QuerySet[ConsultationType]:
    """``consultation_types_for`` the patient profile of ``user`` (None: a visitor), as one
    query: "seen before" is a subquery instead of two reads first."""
    types = ConsultationType.objects.filter(is_active=True)
    if user is None or not user.is_authenticated:
        return types.filter(new_patients_online=True)
    seen = Appointment.objects.filter(patient__user=user, status=AppointmentStatus.COMPLETED)
    return types.filter(Q(new_patients_online=True) | Exists(seen))


def patient_has_been_seen(*, patient: Patient) -> bool:
    return patient.appointments.filter(status=AppointmentStatus.COMPLETED).exists()


def bookable_specialists() -> QuerySet[Specialist]:
    """Active specialists who have at least one range of working hours."""
    return Specialist.objects.filter(is_active=True).filter(
        Exists(WorkingHours.objects.filter(specialist=OuterRef("pk")))
    )


def clinician_hours() -> list[Specialist]:
    """Bookable specialists, each with ``hours_lines``: [(day name, "09:00–12:00, 13:00–17:00")]
    for the days they work (two queries) — shown where a time is chosen for them."""
    from django.db.models import Prefetch

    specialists = list(
        bookable_specialists().prefetch_related(
            Prefetch("working_hours", queryset=WorkingHours.objects.order_by("weekday", "start"))
        )
    )
    for specialist in specialists:
        days: dict[int, list[str]] = defaultdict(list)
        for wh in specialist.working_hours.all():
            days[wh.weekday].append(f"{wh.start:%H:%M}–{wh.end:%H:%M}")
        specialist.hours_lines = [
            (Weekday(day).label, ", ".join(ranges)) for day, ranges in sorted(days.items())
        ]
    return specialists


@dataclass
class Availability:
    """What free slots are computed from, loaded once per page (policy and weekly hours);
    appointments and time off are loaded per date window."""

    duration: datetime.timedelta
    buffer: datetime.timedelta
    specialist_ids: list[int]
    hours: dict[int, dict[int, list[tuple[datetime.time, datetime.time]]]]
    policy: BookingPolicy
    earliest: datetime.datetime
    latest: datetime.datetime
    exclude_appointment_id: int | None = None
    # The specialists already read with their hours (``with_hours``), by id: lets a booking
    # name its specialist without reading it again.
    specialists: dict[int, Specialist] = field(default_factory=dict)

    @property
    def has_hours(self) -> bool:
        return any(any(week.values()) for week in self.hours.values())

    def last_day(self) -> datetime.date:
        return (self.latest - datetime.timedelta(microseconds=1)).astimezone(clinic_tz()).date()


def availability_load(
    *,
    consultation_type: ConsultationType | None = None,
    duration: datetime.timedelta | None = None,
    buffer: datetime.timedelta | None = None,
    specialist: Specialist | None = None,
    now: datetime.datetime | None = None,
    for_staff: bool = False,
    exclude_appointment: Appointment | None = None,
    policy: BookingPolicy | None = None,
) -> Availability:
    """Policy and weekly hours for one specialist, or every active one ("any"). The length
    comes from the consultation type, or is given (a treatment visit, a reschedule)."""
    if consultation_type is not None:
        duration = consultation_type.duration if duration is None else duration
        buffer = consultation_type.buffer if buffer is None else buffer
    if duration is None:
        raise ValueError("give a consultation type or a duration")
    now = now or timezone.now()
    policy = policy or policy_of(consultation_type) or booking_policy()
    if specialist is not None:
        loaded = [specialist]
    elif connection.vendor == "postgresql":
        # Every active specialist with their hours, in one query (and known by id).
        loaded = list(with_hours(Specialist.objects.filter(is_active=True)))
    else:
        loaded = []
    hours = _preloaded_hours(loaded) if loaded else None
    if hours is None:
        loaded = []
        hours = defaultdict(lambda: defaultdict(list))
        ranges = WorkingHours.objects.filter(specialist__is_active=True).order_by(
            "specialist_id", "weekday", "start"
        )
        if specialist is not None:
            ranges = ranges.filter(specialist=specialist)
        for sid, weekday, start, end in ranges.values_list(
            "specialist_id", "weekday", "start", "end"
        ):
            hours[sid][weekday].append((start, end))
    if for_staff:
        earliest, latest = now, now + STAFF_HORIZON
    else:
        earliest, latest = now + policy.min_notice, now + policy.horizon
    return Availability(
        duration=duration,
        buffer=buffer or datetime.timedelta(0),
        specialist_ids=sorted(hours),
        hours={sid: dict(week) for sid, week in hours.items()},
        policy=policy,
        earliest=earliest,
        latest=latest,
        exclude_appointment_id=exclude_appointment.pk if exclude_appointment else None,
        specialists={s.pk: s for s in loaded},
    )


# The "specialist id" of the rows of the patient's own appointments that ``_blocked`` reads
# along with the specialists' (no specialist has id 0).
PATIENT_BUSY = 0


def _blocked(
    avail: Availability,
    first: datetime.date,
    last: datetime.date,
    busy_check: tuple[int, datetime.datetime, datetime.datetime] | None = None,
):
    """Time off and held appointments of the specialists over local days first..last, in one
    query (a UNION). With ``busy_check`` = (patient id, start, end) the same query also reads
    that patient's active appointments overlapping start..end, under ``PATIENT_BUSY``."""
    tz = clinic_tz()
    window_start = local_to_utc(first, datetime.time.min, tz) - datetime.timedelta(days=1)
    window_end = local_to_utc(last, datetime.time.min, tz) + datetime.timedelta(days=2)
    blocked: dict[int, list] = defaultdict(list)
    parts = []
    if avail.specialist_ids:
        parts.append(
            TimeOff.objects.filter(
                specialist_id__in=avail.specialist_ids, start__lt=window_end, end__gt=window_start
            )
            .order_by()
            .values_list("specialist_id", "start", "end")
        )
        appointments = span_overlaps(
            Appointment.objects.filter(
                specialist_id__in=avail.specialist_ids, status__in=ACTIVE_STATUSES
            ),
            "start",
            "blocked_until",
            window_start,
            window_end,
        )
        if avail.exclude_appointment_id:
            appointments = appointments.exclude(pk=avail.exclude_appointment_id)
        parts.append(appointments.order_by().values_list("specialist_id", "start", "blocked_until"))
    if busy_check is not None:
        patient_id, start, end = busy_check
        parts.append(
            Appointment.objects.filter(
                patient_id=patient_id, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
            )
            .order_by()
            .annotate(busy=Value(PATIENT_BUSY, output_field=IntegerField()))
            .values_list("busy", "start", "end")
        )
    if not parts:
        return blocked
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    for sid, start, end in rows:
        blocked[sid].append((start, end))
    return blocked


def slots_for_days(
    avail: Availability, first: datetime.date, last: datetime.date
) -> dict[datetime.date, list[Slot]]:
    """Free slots for each local day from ``first`` to ``last`` (one query)."""
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    if not avail.has_hours or not days:
        return {day: [] for day in days}
    return _free_slots(avail, days, _blocked(avail, first, last))


def _free_slots(avail: Availability, days: list[datetime.date], blocked: dict):
    return compute_slots(
        days=days,
        tz=clinic_tz(),
        hours=avail.hours,
        blocked=blocked,
        duration=avail.duration,
        buffer=avail.buffer,
        step=avail.policy.slot_step,
        earliest=avail.earliest,
        latest=avail.latest,
    )


def next_available_day(avail: Availability, after: datetime.date) -> datetime.date | None:
    """The first local day on or after ``after`` with a free slot, or None. Always ends: it
    returns at once without working hours, and never looks past the booking horizon."""
    if not avail.has_hours:
        return None
    first = max(after, avail.earliest.astimezone(clinic_tz()).date())
    last_day = avail.last_day()
    while first <= last_day:
        last = min(first + datetime.timedelta(days=SEARCH_CHUNK_DAYS - 1), last_day)
        for day, slots in sorted(slots_for_days(avail, first, last).items()):
            if slots:
                return day
        first = last + datetime.timedelta(days=1)
    return None


def slot_lookup(avail: Availability, start: datetime.datetime) -> tuple[Slot | None, bool]:
    """The server-side re-check of a chosen time: (the free slot starting exactly at
    ``start`` or None, and whether it would be a slot were nobody booked then) — the second
    tells "just taken" from "never bookable" (past, outside hours, beyond the horizon)."""
    slot, would_be_free, _busy = slot_check(avail, start)
    return slot, would_be_free


def slot_check(
    avail: Availability, start: datetime.datetime, *, patient_id: int | None = None
) -> tuple[Slot | None, bool, bool]:
    """``slot_lookup`` plus, for ``patient_id``, whether that patient already holds an
    appointment overlapping ``start`` .. ``start`` + the duration (the slot's span): one query
    for both (the booking POST's re-check)."""
    day = start.astimezone(clinic_tz()).date()
    busy_check = None if patient_id is None else (patient_id, start, start + avail.duration)
    blocked = _blocked(avail, day, day, busy_check) if avail.has_hours or busy_check else {}
    busy = bool(blocked.pop(PATIENT_BUSY, None))
    if avail.has_hours:
        for slot in _free_slots(avail, [day], blocked).get(day, []):
            if slot.start == start:
                return slot, True, busy
    if not avail.has_hours:
        return None, False, busy
    unbooked = compute_slots(
        days=[day],
        tz=clinic_tz(),
        hours=avail.hours,
        blocked={},
        duration=avail.duration,
        buffer=avail.buffer,
        step=avail.policy.slot_step,
        earliest=avail.earliest,
        latest=avail.latest,
    )
    return None, any(s.start == start for s in unbooked[day]), busy


def nearest_free_slots(
    avail: Availability, around: datetime.datetime, limit: int = 6
) -> list[Slot]:
    """Free times closest to ``around`` (for "that time was just taken"), in time order."""
    day = around.astimezone(clinic_tz()).date()
    first = max(day - datetime.timedelta(days=1), clinic_today())
    slots_by_day = slots_for_days(avail, first, day + datetime.timedelta(days=6))
    slots = [s for day_slots in slots_by_day.values() for s in day_slots]
    if not slots:
        later = next_available_day(avail, day + datetime.timedelta(days=7))
        if later is not None:
            slots = slots_for_days(avail, later, later)[later]
    slots.sort(key=lambda s: (abs((s.start - around).total_seconds()), s.start))
    return sorted(slots[:limit], key=lambda s: s.start)


# --- Patients and their appointments --------------------------------------------------------
def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def patients_actable_by(user, today: datetime.date | None = None) -> QuerySet[Patient]:
    """The patients a login acts for: its own profile and its dependants under 18."""
    if not user.is_authenticated:
        return Patient.objects.none()
    today = today or clinic_today()
    return Patient.objects.filter(
        Q(user=user)
        | Q(guardian=user, user__isnull=True, date_of_birth__gt=years_before(today, ADULT_AGE))
    ).order_by("-user_id", "legal_name", "pk")


def patient_for_user(user) -> Patient | None:
    if not user.is_authenticated:
        return None
    return Patient.objects.filter(user=user).first()


def appointments_of(user) -> QuerySet[Appointment]:
    """Appointments of the patients ``user`` acts for (404 for everything else)."""
    return Appointment.objects.filter(
        patient__in=patients_actable_by(user).values("pk")
    ).select_related("patient", "specialist", "consultation_type")


PAST_PAGE_SIZE = 20


def upcoming_appointments(user, now: datetime.datetime | None = None, *, limit=None):
    """Booked appointments not over yet of the patients ``user`` acts for, soonest first."""
    now = now or timezone.now()
    rows = appointments_of(user).filter(status=AppointmentStatus.BOOKED, end__gt=now)
    rows = rows.order_by("start", "pk")
    return list(rows[:limit] if limit else rows)


def my_appointments(
    user, now: datetime.datetime | None = None, *, past_page=1
) -> dict[str, object]:
    """Upcoming (booked, soonest first) and one page of the past (latest first) for "My
    appointments": two queries, whatever the history (``past``: a ``clinic.paging.Window``)."""
    from clinic.paging import window

    now = now or timezone.now()
    upcoming = upcoming_appointments(user, now)
    past = window(
        appointments_of(user)
        .exclude(status=AppointmentStatus.BOOKED, end__gt=now)
        .order_by("-start", "-pk"),
        number=past_page,
        size=PAST_PAGE_SIZE,
        param="past",
    )
    return {"upcoming": upcoming, "past": past.rows, "past_pager": past}


def calendar_appointments(
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    specialist: Specialist | None = None,
) -> QuerySet[Appointment]:
    rows = span_overlaps(Appointment.objects.all(), "start", "end", start, end).select_related(
        "patient", "specialist", "consultation_type"
    )
    if specialist is not None:
        rows = rows.filter(specialist=specialist)
    return rows.order_by("start", "specialist__position", "pk")


def appointments_outside_availability(
    *,
    specialist: Specialist,
    now: datetime.datetime | None = None,
) -> list[Appointment]:
    """Booked future appointments of a specialist that now fall outside their working hours
    or inside their time off (after staff changed either): each needs a new time or a
    cancellation."""
    now = now or timezone.now()
    tz = clinic_tz()
    hours: dict[int, list] = defaultdict(list)
    for weekday, start, end in WorkingHours.objects.filter(specialist=specialist).values_list(
        "weekday", "start", "end"
    ):
        hours[weekday].append((start, end))
    upcoming = list(
        Appointment.objects.filter(
            specialist=specialist, status=AppointmentStatus.BOOKED, end__gt=now
        )
        .select_related("patient", "specialist", "consultation_type")
        .order_by("start", "pk")
    )
    if not upcoming:
        return []
    time_off = list(
        TimeOff.objects.filter(
            specialist=specialist, end__gt=upcoming[0].start, start__lt=upcoming[-1].end
        ).values_list("start", "end")
    )
    affected = []
    for appt in upcoming:
        day = appt.start.astimezone(tz).date()
        inside_hours = any(
            local_to_utc(day, s, tz) <= appt.start and appt.end <= local_to_utc(day, e, tz)
            for s, e in hours.get(day.weekday(), ())
        )
        on_leave = any(s < appt.end and appt.start < e for s, e in time_off)
        if not inside_hours or on_leave:
            affected.append(appt)
    return affected


REMINDER_HISTORY_SIZE = 30


def patient_reminder_history(patient: Patient, *, limit: int = REMINDER_HISTORY_SIZE) -> list:
    """The patient's latest reminders (every kind and channel), newest due first, each with
    its delivery status and the kind's label — for staff (one query)."""
    from clinic.notify import reminders as kinds
    from clinic.notify.models import Reminder

    rows = list(
        Reminder.objects.filter(person_label=patient._meta.label_lower, person_id=str(patient.pk))
        .select_related("message")
        .order_by("-due_at", "-pk")[:limit]
    )
    for reminder in rows:
        reminder.kind_label = kinds.kind_label(reminder.kind)
        reminder.delivery = reminder.message.status if reminder.message_id else ""
    return rows
