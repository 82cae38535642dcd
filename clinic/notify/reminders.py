"""Reminder kinds: what each app tells notify about its reminders, so notify imports no app.

A *kind* is one reminder a target gets, per channel: "the consultation, 24 h before" and "the
consultation, 2 h before" are two kinds of the same target model. Each app registers its kinds
in its ``AppConfig.ready()``; notify keeps the schedule as rows (``Reminder``) and runs ONE
dispatcher over them (``services.reminders_dispatch``, a beat task every minute).

How an app plugs in (for example ``patients``; the functions are the app's own)::

    # patients/apps.py
    def ready(self):
        from datetime import timedelta

        from clinic.notify.reminders import ReminderKind, before, register_kind

        from . import reminders  # the app's render / audience / is_valid functions

        for name, hours in (("consultation-24h", 24), ("consultation-2h", 2)):
            register_kind(
                ReminderKind(
                    name=name,
                    label=_("Consultation, %(hours)s h before") % {"hours": hours},
                    target="patients.appointment",  # model label (lower case)
                    topic="consultation",  # what a patient turns off, with its label:
                    topic_label=_("Consultation reminders"),
                    when=before(lambda a: a.starts_at, timedelta(hours=hours)),
                    expires=lambda a: a.starts_at,  # never remind after the event
                    is_valid=reminders.appointment_still_on,  # (appointment, version) -> bool
                    audience=reminders.audience_for_appointment,  # -> Audience | None
                    render=reminders.render_consultation,  # (appointment, ctx) -> Rendered
                    related=("patient__user", "patient__guardian"),  # what audience reads
                )
            )

    # patients/services.py, in the booking transaction (R2):
    reminders_schedule(target=appointment, version=appointment.version)
    # a reschedule bumps appointment.version and calls reminders_schedule again: pending rows
    # of older versions are cancelled in the same transaction. A cancellation calls
    # reminders_cancel(target=appointment).

Rules a kind must follow:
- ``when(target)`` gives the instant (aware datetime) or None for "this target gets no such
  reminder" (e.g. no 2 h reminder for a treatment visit). Offsets are elapsed time: "24 h
  before" is exactly 24 hours earlier in UTC, whatever DST does in between (R9). For "at the
  patient's preferred time on the session day" use ``local_instant(day, time, zone)``.
- ``is_valid(target, version)`` is False once the target was cancelled, deleted or moved to
  another version: the row is then cancelled and never sent (checked at dispatch AND again when
  the worker renders the message).
- ``audience(target)`` resolves who receives it from the patient's preferences: addresses,
  channels, time zone, quiet hours, opted-out topics, first name, language. A guardian's
  address for a dependant. Called at scheduling (channels, quiet hours) and again at dispatch,
  so a preference changed in between is honoured.
- ``render(target, ctx)`` returns the subject, text and HTML (S13: first name at most, date,
  time, place or "at home", the clinic's name and phone, ``ctx.manage_url``; never a
  diagnosis, treatment name, HDSS or notes; a generic subject). ``ctx.channel == "sms"`` asks
  for a short text. Test it with ``tests.support.reminders.assert_reminder_free_of``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from .registry import Rendered

EMAIL = "email"
SMS = "sms"


@dataclass(frozen=True)
class Audience:
    """Who receives a target's reminders and how, resolved from the patient's preferences."""

    first_name: str = ""
    email: str = ""
    phone: str = ""  # E.164, e.g. +14155550123
    channels: frozenset[str] = frozenset({EMAIL})
    time_zone: str = ""  # IANA name; the clinic's zone when empty
    quiet_start: dt.time | None = None  # local wall-clock times; start > end wraps midnight
    quiet_end: dt.time | None = None
    opted_out: frozenset[str] = frozenset()  # topics turned off
    language: str = ""
    # The person the reminder is for (model label, id), e.g. ("patients.patient", "42"): the
    # per-patient history and the "manage reminders" link point at it.
    person: tuple[str, str] | None = None

    def address(self, channel: str) -> str:
        return {EMAIL: self.email, SMS: self.phone}.get(channel, "")

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or settings.CLINIC_TIME_ZONE)


@dataclass(frozen=True)
class ReminderContext:
    """What a kind's renderer gets besides its target."""

    channel: str
    first_name: str
    zone: zoneinfo.ZoneInfo
    language: str
    manage_url: str
    clinic_name: str = field(default_factory=lambda: settings.CLINIC_NAME)
    clinic_phone: str = field(default_factory=lambda: settings.CLINIC_PHONE)
    clinic_address: str = field(default_factory=lambda: settings.CLINIC_ADDRESS)
    site_url: str = field(default_factory=lambda: settings.SITE_URL)

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` on the recipient's wall clock."""
        return moment.astimezone(self.zone)


def _never(target: Any) -> dt.datetime | None:
    return None


@dataclass(frozen=True)
class ReminderKind:
    name: str
    target: str  # model label, lower case: "patients.appointment"
    when: Callable[[Any], dt.datetime | None]
    is_valid: Callable[[Any, int], bool]
    audience: Callable[[Any], Audience | None]
    render: Callable[[Any, ReminderContext], Rendered]
    label: str = ""  # how staff and history name it: "Consultation, 24 h before"
    topic: str = ""  # the opt-out key, shared by related kinds; defaults to the name
    topic_label: str = ""  # how the preferences page names the topic (lazy translation)
    expires: Callable[[Any], dt.datetime | None] = _never  # not worth sending after this
    channels: tuple[str, ...] = (EMAIL, SMS)
    # select_related paths of the target that the kind's functions read (e.g. the patient and
    # their login behind an appointment): the dispatcher and the worker load a batch of
    # targets with them in one query instead of a few per reminder.
    related: tuple[str, ...] = ()

    @property
    def opt_out_key(self) -> str:
        return self.topic or self.name


_kinds: dict[str, ReminderKind] = {}


class UnknownKind(LookupError):
    pass


def register_kind(kind: ReminderKind) -> None:
    """Register a reminder kind (from an AppConfig.ready()). Names are unique."""
    if kind.target != kind.target.lower() or "." not in kind.target:
        raise ValueError(f"target must be a lower-case model label, not {kind.target!r}")
    existing = _kinds.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"reminder kind {kind.name!r} is already registered")
    _kinds[kind.name] = kind


def unregister_kind(name: str) -> None:
    """For tests that register a kind of their own."""
    _kinds.pop(name, None)


def get_kind(name: str) -> ReminderKind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownKind(f"no reminder kind registered under {name!r}") from None


def kind_label(name: str) -> str:
    kind = _kinds.get(name)
    return str(kind.label) if kind is not None and kind.label else name


def kinds_for(label: str) -> list[ReminderKind]:
    return [kind for kind in _kinds.values() if kind.target == label]


def topics() -> list[tuple[str, str]]:
    """(key, label) of every opt-out topic, for a preferences page."""
    seen: dict[str, str] = {}
    for kind in _kinds.values():
        seen.setdefault(kind.opt_out_key, str(kind.topic_label or kind.opt_out_key))
    return sorted(seen.items(), key=lambda item: item[1])


# --- Time helpers (R9) ---------------------------------------------------------------------
def before(start: Callable[[Any], dt.datetime | None], offset: dt.timedelta):
    """A ``when`` for "``offset`` before the target's start", in elapsed time (UTC)."""

    def when(target: Any) -> dt.datetime | None:
        moment = start(target)
        # In UTC: Python subtracts a timedelta from a zone-aware datetime on the wall clock,
        # which across a DST change would be an hour off.
        return None if moment is None else moment.astimezone(dt.UTC) - offset

    return when


def local_instant(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo | str) -> dt.datetime:
    """The UTC instant of wall-clock ``time`` on ``day`` in ``zone``.

    A time that does not exist that day (the hour skipped when clocks spring forward) is moved
    forward by the gap (02:30 → 03:30); an ambiguous one (clocks fall back) is its first
    occurrence."""
    if isinstance(zone, str):
        zone = zoneinfo.ZoneInfo(zone)
    naive = dt.datetime.combine(day, time)
    local = naive.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC: a non-existent wall time comes back different (shifted forward).
    return local.astimezone(dt.UTC)


def in_quiet_hours(moment: dt.datetime, start: dt.time, end: dt.time, zone) -> bool:
    if start == end:
        return False
    t = moment.astimezone(zone).time().replace(tzinfo=None)
    if start < end:
        return start <= t < end
    return t >= start or t < end  # wraps midnight, e.g. 21:00–08:00


def quiet_hours_shift(
    moment: dt.datetime, *, start: dt.time | None, end: dt.time | None, zone
) -> dt.datetime:
    """``moment`` if it falls outside the recipient's quiet hours, else the end of those quiet
    hours, on the recipient's wall clock (DST-correct). Returns an aware UTC datetime."""
    moment = moment.astimezone(dt.UTC)
    if start is None or end is None or not in_quiet_hours(moment, start, end, zone):
        return moment
    local = moment.astimezone(zone)
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += dt.timedelta(days=1)  # evening part of a window that ends tomorrow morning
    return local_instant(day, end, zone)


def channels_for(kind: ReminderKind, audience: Audience) -> Iterable[str]:
    return [c for c in kind.channels if c in audience.channels]
