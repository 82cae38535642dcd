"""Seeded reminder rows (and the outbox messages of those sent), as ``reminders_schedule``
and the dispatcher write them: one row per target (consultation 24 h / 2 h before, treatment
visit 24 h before, home session on the day), version and channel the patient chose, due after
their quiet hours (the app's own ``quiet_hours_shift``). Past ones were handed to the outbox
(``sent`` with a sent message; a few failed or skipped), those of cancelled appointments were
cancelled, future ones are pending. Thinned evenly to ``reminders`` rows."""

import datetime
import uuid
import zoneinfo

from django.conf import settings

from clinic.notify.models import Message, Reminder
from clinic.notify.reminders import quiet_hours_shift
from clinic.notify.services import REMINDER_PURPOSE, REMINDER_RENDERER

from . import SeedContext, copy_rows, email_for, reserve_ids, seed_step
from .patient_profiles import patient_rows

CHANNELS = {"email": ("email",), "sms": ("sms",), "both": ("email", "sms")}
PERSON_LABEL = "patients.patient"


@seed_step(80, "reminders")
def reminders(ctx: SeedContext) -> int:
    rng = ctx.rng
    now = ctx.now
    targets = ctx.shared.get("reminder_targets", [])
    emails = {pk: email_for("patient", n + 1) for n, pk in enumerate(ctx.ids["patient_users"])}
    people = {}
    zones = {}
    for pk, user, guardian, _dob, tz, channel, phone, _home, q_start, q_end, _name in patient_rows(
        ctx
    ):
        zone = zones.setdefault(tz, zoneinfo.ZoneInfo(tz or settings.CLINIC_TIME_ZONE))
        people[pk] = (CHANNELS.get(channel, ("email",)), emails.get(user or guardian, ""), phone)
        people[pk] += (zone, q_start, q_end)
    candidates = sum(len(people[t[6]][0]) for t in targets)
    keep = min(1.0, ctx.sizes.reminders / max(1, candidates))
    # Every decision first: primary keys are taken before the COPY (no other statement can
    # run on the connection during one).
    decided = []
    for target in targets:
        kind, label, target_pk, version, scheduled, expires, patient, status = target
        channels, email, phone, zone, q_start, q_end = people[patient]
        due = quiet_hours_shift(scheduled, start=q_start, end=q_end, zone=zone)
        for channel in channels:
            if rng.random() >= keep:
                continue
            if status == "cancelled":
                state, reason = "cancelled", "appointment cancelled"
            elif expires is not None and due >= expires:
                state, reason = "skipped", "quiet hours last until after the appointment"
            elif due > now:
                state, reason = "pending", ""
            elif rng.random() < 0.01:
                state, reason = "failed", "no address to send to"
            else:
                state, reason = "sent", ""
            recipient = (email if channel == "email" else phone) if state == "sent" else ""
            decided.append((target, channel, due, state, reason, recipient))
    reminder_pks = iter(reserve_ids(Reminder, len(decided)))
    message_pks = iter(reserve_ids(Message, sum(1 for d in decided if d[3] == "sent")))
    messages = []

    def rows():
        for target, channel, due, state, reason, recipient in decided:
            kind, label, target_pk, version, scheduled, expires, patient, _status = target
            pk = next(reminder_pks)
            created = min(scheduled, now) - datetime.timedelta(days=rng.randrange(1, 30))
            message, dispatched = None, None
            if state in ("sent", "failed"):
                dispatched = due + datetime.timedelta(seconds=rng.randrange(1, 60))
            if state == "sent":
                message = next(message_pks)
                messages.append((message, pk, channel, recipient, dispatched))
            yield (
                pk,
                kind,
                label,
                str(target_pk),
                version,
                PERSON_LABEL,
                str(patient),
                channel,
                recipient,
                scheduled,
                due,
                expires,
                state,
                reason,
                message,
                dispatched,
                created,
                dispatched or created,
            )

    written = copy_rows(
        Reminder,
        [
            "id",
            "kind",
            "target_label",
            "target_id",
            "target_version",
            "person_label",
            "person_id",
            "channel",
            "recipient",
            "scheduled_for",
            "due_at",
            "expires_at",
            "status",
            "reason",
            "message",
            "dispatched_at",
            "created_at",
            "updated_at",
        ],
        rows(),
    )
    written += copy_rows(
        Message,
        [
            "id",
            "uuid",
            "purpose",
            "idempotency_key",
            "channel",
            "recipient",
            "renderer",
            "render_params",
            "status",
            "attempts",
            "next_attempt_at",
            "claimed_at",
            "sent_at",
            "created_at",
            "updated_at",
        ],
        (
            (
                pk,
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                REMINDER_PURPOSE,
                f"reminder:{reminder}",
                channel,
                recipient,
                REMINDER_RENDERER,
                f'{{"reminder": {reminder}}}',
                "sent",
                1,
                at,
                at,
                at + datetime.timedelta(seconds=2),
                at,
                at + datetime.timedelta(seconds=2),
            )
            for pk, reminder, channel, recipient, at in messages
        ),
    )
    del targets[:]
    return written
