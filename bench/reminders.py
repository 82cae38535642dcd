"""Reminder dispatch through a real worker to a real SMTP server (QUALITY.md P "Reminders" and
"Memory").

``run`` seeds ``count`` DUE reminders on the current database — the app's real ``Reminder``
rows of the ``consultation-24h`` kind, for consultations booked a day ahead by patients who
chose email and whose quiet hours do not cover now — starts an SMTP server (aiosmtpd, counting
messages and their Message-IDs) and a real Celery worker subprocess (``bench.settings``: the
production settings, the given broker, ``EMAIL_URL`` pointing at that server; ``--pool prefork
--concurrency 4`` as in production), then sends the dispatcher exactly as beat does
(``CELERY_BEAT_SCHEDULE["reminders-dispatch"]``) and times it until every message arrived.
Exactly once is checked from what the server received (unique Message-IDs against the outbox
rows of the seeded reminders, and unique recipients): duplicates and lost are reported, never
assumed. The worker's resident memory (VmRSS of the parent and each pool process, from
/proc) is sampled through the run.

Then the same server receives ``count`` equivalent messages (the same rendered reminder) from a
plain loop of Django's ``send_mail`` in this process — one SMTP connection per message, as
``send_mail`` does — and, for reference, from one connection (``get_connection`` +
``send_messages``). The ratio reminders/s ÷ send_mail/s is the figure QUALITY.md asks for
(goal ≥ 0.8).

The seeded rows (users, patients, specialists, a consultation type, appointments, reminders
and their outbox messages) carry the domain ``reminders.bench.clinic.example`` and are deleted
before and after the run, so the rest of the benchmark database is left as it was.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "reminders.bench.clinic.example"
KIND = "consultation-24h"
GOAL_RATIO = 0.8
GOAL_RSS_MB = 200
# How far ahead the seeded clinic's own due reminders are parked during the run.
PARKED_FOR = dt.timedelta(days=3650)
CONCURRENCY = 4  # the README's production worker: --pool prefork --concurrency 4
SLOT_MINUTES = 5  # the shortest consultation type (the model's check constraint)
# Consultations start between 1 h and 23 h from now: their 24 h reminders are all due.
FIRST_START = dt.timedelta(hours=1)
LAST_START = dt.timedelta(hours=23)


# --- The SMTP server ------------------------------------------------------------------------
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.+?)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)


def _smtp_server_class():
    from tests.support.smtp import SMTPServer

    class CountingSMTPServer(SMTPServer):
        """The tests' aiosmtpd server, keeping only what the benchmark counts (Message-ID,
        recipients, arrival time) instead of parsing every message, so the server costs the
        machine as little as it can while the worker and ``send_mail`` are timed."""

        def __init__(self, port: int):
            super().__init__(port)
            self.received: list[tuple[str, tuple[str, ...], float]] = []

        async def on_data(self, envelope):
            head = envelope.content.split(b"\r\n\r\n", 1)[0]
            found = _MESSAGE_ID.search(head)
            message_id = found.group(1).decode("ascii", "replace") if found else ""
            with self._lock:
                self.attempts += 1
                self.received.append((message_id, tuple(envelope.rcpt_tos), time.monotonic()))
            return "250 Message accepted for delivery"

        def count(self) -> int:
            return len(self.received)

        def clear(self) -> None:
            with self._lock:
                self.received.clear()
                self.attempts = 0

    return CountingSMTPServer


# --- Memory of the worker -------------------------------------------------------------------
def _rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process so far (from /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


class RSSSampler(threading.Thread):
    """Samples the VmRSS of a process and its descendants every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, dict[int, int]]] = []  # (monotonic, {pid: kB})
        self.cpu: dict[int, list[float]] = {}  # pid: [first, last] CPU seconds seen
        self._stop_event = threading.Event()

    def sample(self) -> dict[int, int]:
        sizes = {}
        for pid in process_tree(self.pid):
            kb = _rss_kb(pid)
            if kb is not None:
                sizes[pid] = kb
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                self.cpu.setdefault(pid, [cpu, cpu])[1] = cpu
        self.samples.append((time.monotonic(), sizes))
        return sizes

    def cpu_seconds(self) -> float:
        """CPU time the worker's processes used between the first and the last sample."""
        return round(sum(last - first for first, last in self.cpu.values()), 2)

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
        self.sample()

    def summary(self) -> dict:
        def mb(kb: int) -> float:
            return round(kb / 1024, 1)

        samples = [s for _, s in self.samples if s]
        if not samples:
            return {}
        largest = [max(s.values()) for s in samples]
        total = [sum(s.values()) for s in samples]
        return {
            "processes": len(samples[-1]),
            "samples": len(samples),
            # The largest single process (the goal applies to each worker process) ...
            "start_mb": mb(largest[0]),
            "peak_mb": mb(max(largest)),
            "end_mb": mb(largest[-1]),
            # ... and the whole worker (parent and pool processes together).
            "total_start_mb": mb(total[0]),
            "total_peak_mb": mb(max(total)),
            "total_end_mb": mb(total[-1]),
            "goal_mb": GOAL_RSS_MB,
            "meets_goal": max(largest) < GOAL_RSS_MB * 1024,
        }


# --- Seeding --------------------------------------------------------------------------------
def cleanup() -> int:
    """Delete every row an earlier run seeded (all of them carry ``DOMAIN``)."""
    from clinic.accounts.models import User
    from clinic.notify.models import Message, Reminder
    from patients.models import Appointment, ConsultationType, Patient, Specialist

    users = User.objects.filter(email__endswith="@" + DOMAIN)
    if not users.exists():
        return 0
    patients = Patient.objects.filter(user__in=users)
    appointments = Appointment.objects.filter(patient__in=patients)
    ids = [str(pk) for pk in appointments.values_list("pk", flat=True)]
    reminders = Reminder.objects.filter(target_label="patients.appointment", target_id__in=ids)
    Message.objects.filter(reminder__in=reminders).delete()
    reminders.delete()
    appointments.delete()
    patients.delete()
    Specialist.objects.filter(user__in=users).delete()
    ConsultationType.objects.filter(name__startswith=f"Benchmark ({DOMAIN})").delete()
    return users.delete()[0]


def _quiet_hours_away_from(now: dt.datetime, zone) -> tuple[dt.time, dt.time]:
    """A two-hour quiet window twelve hours away from ``now`` on the patient's clock."""
    local = now.astimezone(zone)
    start = (local.hour + 12) % 24
    return dt.time(start), dt.time((start + 2) % 24)


def seed(count: int, *, now: dt.datetime | None = None, log=print) -> dict:
    """``count`` patients (email only, quiet hours elsewhere), each with one consultation
    booked a day ahead and its 24 h reminder now due. The rows are what the booking would
    have written: the reminder's time, due time and status come from the kind's own ``when``
    and ``expires`` and the scheduler's ``_plan_row``."""
    import zoneinfo

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from clinic.accounts.models import User
    from clinic.notify import reminders as kinds
    from clinic.notify.models import Message, Reminder
    from clinic.notify.services import _plan_row
    from patients.models import (
        Appointment,
        AppointmentKind,
        ConsultationType,
        Patient,
        ReminderChannel,
        Specialist,
    )

    started = time.perf_counter()
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)
    quiet_start, quiet_end = _quiet_hours_away_from(now, zone)
    kind = kinds.get_kind(KIND)
    slots = int((LAST_START - FIRST_START) / dt.timedelta(minutes=SLOT_MINUTES))
    specialists = math.ceil(count / slots)
    first = (now + FIRST_START).replace(second=0, microsecond=0)
    password = make_password(None)  # unusable: nobody logs in as these
    with transaction.atomic():
        ctype = ConsultationType.objects.create(
            name=f"Benchmark ({DOMAIN})", duration_minutes=SLOT_MINUTES, buffer_after_minutes=0
        )
        users = User.objects.bulk_create(
            [
                User(email=f"dr{n:05d}@{DOMAIN}", first_name="Dr", password=password)
                for n in range(specialists)
            ]
            + [
                User(email=f"p{n:05d}@{DOMAIN}", first_name="Pat", password=password)
                for n in range(count)
            ]
        )
        doctors = Specialist.objects.bulk_create(
            [Specialist(user=u, display_name=f"Dr {u.pk}") for u in users[:specialists]]
        )
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    user=u,
                    legal_name=f"Pat Bench{n:05d}",
                    reminder_channel=ReminderChannel.EMAIL,
                    time_zone=settings.CLINIC_TIME_ZONE,
                    quiet_hours_start=quiet_start,
                    quiet_hours_end=quiet_end,
                    preferred_language="en",
                )
                for n, u in enumerate(users[specialists:])
            ]
        )
        slot = dt.timedelta(minutes=SLOT_MINUTES)
        appointments = Appointment.objects.bulk_create(
            [
                Appointment(
                    kind=AppointmentKind.CONSULTATION,
                    patient=p,
                    specialist=doctors[n % specialists],
                    consultation_type=ctype,
                    start=first + (n // specialists) * slot,
                    end=first + (n // specialists + 1) * slot,
                    blocked_until=first + (n // specialists + 1) * slot,
                )
                for n, p in enumerate(patients)
            ]
        )
        rows = []
        for appointment in appointments:
            scheduled = kind.when(appointment)
            expires = kind.expires(appointment)
            due, status, reason = _plan_row(
                kind=kind,
                audience=kinds.Audience(quiet_start=quiet_start, quiet_end=quiet_end),
                scheduled=scheduled,
                expires=expires,
                # Booked a day and an hour ahead of the consultation.
                now=appointment.start - dt.timedelta(hours=25),
            )
            rows.append(
                Reminder(
                    kind=KIND,
                    target_label="patients.appointment",
                    target_id=str(appointment.pk),
                    target_version=appointment.version,
                    person_label="patients.patient",
                    person_id=str(appointment.patient_id),
                    channel=Message.Channel.EMAIL,
                    scheduled_for=scheduled,
                    due_at=due,
                    expires_at=expires,
                    status=status,
                    reason=reason,
                )
            )
        Reminder.objects.bulk_create(rows, batch_size=2000)
    due = Reminder.objects.filter(
        kind=KIND,
        target_id__in=[str(a.pk) for a in appointments],
        status=Reminder.Status.PENDING,
        due_at__lte=now,
    ).count()
    if due != count:
        raise RuntimeError(f"seeded {due} due reminders instead of {count}")
    seconds = time.perf_counter() - started
    log(
        f"  reminders: seeded {count:,} due reminders ({specialists} specialists) "
        f"in {seconds:.1f} s"
    )
    return {"specialists": specialists, "seconds": round(seconds, 1)}


def _rendered_sample():
    """The content of one seeded reminder, rendered as the worker renders it."""
    from clinic.notify.services import reminder_render
    from patients.models import Appointment

    appointment = Appointment.objects.get(pk=min(map(int, _bench_appointment_ids())))
    return reminder_render(kind=KIND, target=appointment)


# --- The worker -----------------------------------------------------------------------------
def worker_env(*, database_url: str, broker_url: str, smtp_port: int) -> dict:
    """The production-like worker: ``bench.settings`` (DEBUG off, the production Celery and
    NOTIFY settings), this database and broker, and the private SMTP server."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "LOG_LEVEL": "INFO",  # the production default (the worker's "ready." line too)
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _trigger_dispatch() -> None:
    """Send the dispatcher exactly as beat does (its schedule entry's task and options)."""
    from django.conf import settings

    from clinic.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["reminders-dispatch"]
    app.send_task(entry["task"], **entry.get("options", {}))


def _pending_due(reminder_ids: list[int]) -> int:
    from django.utils import timezone

    from clinic.notify.models import Reminder

    return Reminder.objects.filter(
        pk__in=reminder_ids, status=Reminder.Status.PENDING, due_at__lte=timezone.now()
    ).count()


# --- send_mail, in a process of its own (as the worker is) ---------------------------------
def _send_mail_loop(*, port: int, count: int, single: bool, content: dict) -> dict:
    """``count`` messages to the server on ``port``: a loop of ``send_mail`` (one connection
    each), or one connection for all (``single``). Runs in its own process."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives, get_connection, send_mail
    from django.test.utils import override_settings

    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    }
    recipients = [f"p{n:05d}@{DOMAIN}" for n in range(count)]
    with override_settings(**smtp):
        cpu = time.process_time()
        started = time.perf_counter()
        if single:
            with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
                for to in recipients:
                    email = EmailMultiAlternatives(
                        content["subject"],
                        content["text"],
                        settings.DEFAULT_FROM_EMAIL,
                        [to],
                        connection=connection,
                    )
                    email.attach_alternative(content["html"], "text/html")
                    email.send()
        else:
            for to in recipients:
                send_mail(
                    content["subject"],
                    content["text"],
                    settings.DEFAULT_FROM_EMAIL,
                    [to],
                    html_message=content["html"],
                )
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return {
        "messages": count,
        "seconds": round(seconds, 3),
        "cpu_ms_per_message": round(cpu * 1000 / count, 2),
    }


def _send_mail_subprocess(*, port: int, count: int, single: bool, content, env: dict) -> dict:
    import json

    payload = json.dumps(
        {
            "port": port,
            "count": count,
            "single": single,
            "content": {"subject": content.subject, "text": content.text, "html": content.html},
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.reminders", "send-mail"],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=max(120, count * 0.1),
    )
    if done.returncode != 0:
        raise RuntimeError(f"the send_mail loop failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- The run --------------------------------------------------------------------------------
def _wait_for_arrivals(server, count: int, *, deadline: float, stall: float, tick) -> None:
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = time.monotonic()
        current = server.count()
        if current >= count:
            return
        if current != last_count:
            last_count, last_change = current, now
        elif now - last_change > stall:
            return
        tick(now)
        time.sleep(0.1)


def run(
    *,
    count: int = 10_000,
    send_mail_count: int | None = None,
    database_url: str | None = None,
    broker_url: str | None = None,
    concurrency: int = CONCURRENCY,
    keep_rows: bool = False,
    log=print,
) -> dict | None:
    """Seed, dispatch through a real worker, compare with ``send_mail``; see the module."""
    from django.conf import settings
    from django.db import connection
    from django.db.models import F, Max
    from django.utils import timezone

    from clinic.celery import app
    from clinic.notify.models import Message, Reminder
    from tests.support.servers import CeleryWorker, free_port

    if connection.vendor != "postgresql":
        log("  reminders: not measured (needs PostgreSQL)")
        return None
    database_url = database_url or os.environ["DATABASE_URL"]
    broker_url = broker_url or settings.CELERY_BROKER_URL
    send_mail_count = send_mail_count or count
    log(f"  reminders: {count:,} due reminders, worker --concurrency {concurrency}")
    cleanup()
    seeded = seed(count, log=log)
    reminder_ids = list(
        Reminder.objects.filter(kind=KIND, person_label="patients.patient")
        .filter(target_id__in=_bench_appointment_ids())
        .values_list("pk", flat=True)
    )
    # Other reminders already due in the seeded clinic would be sent with ours and counted as
    # unexpected: they are parked ten years ahead for the run, and put back after it.
    parked = list(
        Reminder.objects.filter(
            status=Reminder.Status.PENDING, due_at__lte=timezone.now() + dt.timedelta(hours=2)
        )
        .exclude(pk__in=reminder_ids)
        .values_list("pk", flat=True)
    )
    Reminder.objects.filter(pk__in=parked).update(due_at=F("due_at") + PARKED_FOR)
    content = _rendered_sample()
    server = _smtp_server_class()(free_port())
    server.start()
    env = worker_env(database_url=database_url, broker_url=broker_url, smtp_port=server.port)
    worker = CeleryWorker(env=env, concurrency=concurrency, app="clinic", name="bench-reminders")
    sampler = None
    # Half the send_mail loop runs before the reminders and half after them (a shared machine:
    # its load drifts; the two halves show by how much).
    half = send_mail_count // 2
    loop_before = _send_mail_subprocess(
        port=server.port, count=half, single=False, content=content, env=env
    )
    loop_before_received = server.count()
    server.clear()
    try:
        app.control.purge()  # nothing left over in the benchmark's queue
        worker.start(timeout=120)
        sampler = RSSSampler(worker.process.pid)
        time.sleep(1)  # the pool processes settle after "ready."
        sampler.sample()
        sampler.start()
        runs = [time.monotonic()]
        triggered_at = timezone.now()
        _trigger_dispatch()

        def beat(now: float) -> None:
            # Beat sends the dispatcher every minute; a run stops after its time budget and
            # leaves the rest to the next one.
            if now - runs[-1] >= 60 and _pending_due(reminder_ids):
                runs.append(now)
                _trigger_dispatch()

        started = runs[0]
        _wait_for_arrivals(
            server, count, deadline=started + 120 + count * 0.05, stall=90, tick=beat
        )
        with server._lock:
            arrived = server.received[count - 1][2] if len(server.received) >= count else None
        sampler.sample()
        # Anything sent twice (or late) would arrive now; and every row settles.
        time.sleep(3)
        sampler.stop()
        rss = sampler.summary()
        worker_cpu = sampler.cpu_seconds()
        with server._lock:
            received = list(server.received)
        worker.stop(timeout=30)
    except BaseException:
        log(f"  reminders: worker log:\n{worker.log_tail()}")
        raise
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        worker.stop(timeout=10)
        Reminder.objects.filter(pk__in=parked).update(due_at=F("due_at") - PARKED_FOR)

    domain = settings.MESSAGE_ID_DOMAIN
    messages = Message.objects.filter(reminder__pk__in=reminder_ids)
    expected = {f"<{u}@{domain}>" for u in messages.values_list("uuid", flat=True)}
    by_id = Counter(message_id for message_id, _, _ in received)
    duplicates = sum(n - 1 for n in by_id.values() if n > 1)
    delivered = len(expected & set(by_id))
    recipients = Counter(r for _, rcpts, _ in received for r in rcpts)
    statuses = dict(Counter(messages.values_list("status", flat=True)))
    retried = messages.filter(attempts__gt=1).count()
    last_batch_at = Reminder.objects.filter(pk__in=reminder_ids).aggregate(
        last=Max("dispatched_at")
    )["last"]
    times = sorted(at for _, _, at in received)
    reminder_statuses = dict(
        Counter(Reminder.objects.filter(pk__in=reminder_ids).values_list("status", flat=True))
    )
    seconds = (arrived - started) if arrived is not None else None
    steady = None
    if len(times) >= 20:  # the rate between the 10th and the 90th percentile of arrivals
        low, high = times[len(times) // 10], times[len(times) * 9 // 10]
        steady = round((len(times) * 8 // 10) / (high - low), 1) if high > low else None
    per_second = round(count / seconds, 1) if seconds else None

    log(f"  reminders: {len(received):,} received; now send_mail x {send_mail_count:,}")
    server.clear()
    loop_after = _send_mail_subprocess(
        port=server.port, count=send_mail_count - half, single=False, content=content, env=env
    )
    loop_received = server.count() + loop_before_received
    loop = {
        "messages": send_mail_count,
        "seconds": round(loop_before["seconds"] + loop_after["seconds"], 3),
        # Half before the reminders and half after: the machine is shared and its load moves.
        "before_per_second": round(half / loop_before["seconds"], 1),
        "after_per_second": round((send_mail_count - half) / loop_after["seconds"], 1),
        "cpu_ms_per_message": loop_after["cpu_ms_per_message"],
    }
    server.clear()
    single = _send_mail_subprocess(
        port=server.port, count=send_mail_count, single=True, content=content, env=env
    )
    single_received = server.count()
    server.stop()
    if not keep_rows:
        cleanup()

    send_mail_per_second = round(send_mail_count / loop["seconds"], 1)
    ratio = round(per_second / send_mail_per_second, 3) if per_second else None
    result = {
        "reminders": count,
        "kind": KIND,
        "concurrency": concurrency,
        "seconds": None if seconds is None else round(seconds, 2),
        "per_second": per_second,
        "first_arrival_seconds": round(times[0] - started, 2) if times else None,
        "steady_per_second": steady,
        "send_mail_per_second": send_mail_per_second,
        "ratio": ratio,
        "goal_ratio": GOAL_RATIO,
        "meets_goal": ratio is not None and ratio >= GOAL_RATIO,
        "received": len(received),
        "unique_message_ids": len(by_id),
        "unique_recipients": len(recipients),
        "duplicates": duplicates,
        "lost": count - delivered,
        "unexpected": len(set(by_id) - expected),
        "exactly_once": duplicates == 0 and delivered == count == len(received),
        "dispatch": {
            "runs": len(runs),
            # From the trigger to the dispatcher's last batch (its start).
            "last_batch_after_seconds": (
                round((last_batch_at - triggered_at).total_seconds(), 2) if last_batch_at else None
            ),
            "reminder_statuses": reminder_statuses,
        },
        "outbox": {"statuses": statuses, "retried": retried},
        "worker_rss": rss,
        "worker_rss_mb": rss.get("peak_mb"),
        # CPU the worker used (all processes, dispatcher included) per reminder delivered.
        "worker_cpu_ms_per_reminder": round(worker_cpu * 1000 / count, 2),
        "send_mail": {**loop, "received": loop_received, "per_second": send_mail_per_second},
        "single_connection": {
            **single,
            "received": single_received,
            "per_second": round(send_mail_count / single["seconds"], 1),
        },
        "seed": seeded,
        "setup": (
            f"{count:,} due `{KIND}` reminders (email, outside quiet hours) on "
            f"{connection.settings_dict['NAME']}; a Celery worker subprocess (`bench.settings`, "
            f"prefork --concurrency {concurrency}, prefetch 1, acks_late) on "
            f"{broker_url.rsplit('@', 1)[-1]}; aiosmtpd on 127.0.0.1; the dispatcher sent as "
            "beat sends it (again each minute while due rows remain); timed from that send "
            "until the server had every message. send_mail: a loop in a process of its own, "
            "one SMTP connection per message, the same rendered reminder."
        ),
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    log(
        f"  reminders: {per_second} /s vs send_mail {send_mail_per_second} /s "
        f"(ratio {ratio}); duplicates {duplicates}, lost {result['lost']}; worker RSS "
        f"{rss.get('start_mb')} -> {rss.get('peak_mb')} -> {rss.get('end_mb')} MB"
    )
    return result


def _bench_appointment_ids() -> list[str]:
    from patients.models import Appointment

    return [
        str(pk)
        for pk in Appointment.objects.filter(
            patient__user__email__endswith="@" + DOMAIN
        ).values_list("pk", flat=True)
    ]


def _main(argv: list[str]) -> int:
    """``python -m bench.reminders send-mail`` (the send_mail loop's own process, reading its
    parameters as JSON on stdin)."""
    import json

    if argv[:1] != ["send-mail"]:
        print(__doc__)
        return 2
    params = json.loads(sys.stdin.read())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    print(json.dumps(_send_mail_loop(**params)))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
