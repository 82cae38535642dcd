"""The peer side of the comparison; runs INSIDE bench/peer/.venv (django-appointment installed).

    PEER_DATABASE_URL=postgres://... bench/peer/.venv/bin/python bench/peer/run_peer.py \
        --sizes 100,10000 --seed 42 --output peer.json

Seeds the same clinic shape for each size (3 staff, Mon-Fri 09:00-17:00, one 30-minute
service, N appointments spread over the year around today), times the peer's own views with
the same harness as ours (bench.timing: in-process WSGI over HTTPS, interleaved medians, ratio
to THIS project's own bare view, exact query counts) and writes one JSON object to --output.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from collections import deque
from importlib import import_module
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # peerproject
sys.path.insert(0, str(HERE.parent.parent))  # the repository: bench.timing (stdlib only)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproject.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.timing import Case, call_wsgi, measure, ratio, wsgi_environ  # noqa: E402

STAFF = 3
SLOT_MINUTES = 30
DAY_START, DAY_END = datetime.time(9, 0), datetime.time(17, 0)
WINDOW_DAYS = 182  # appointments fall from half a year ago to half a year ahead


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def slot_times() -> list[datetime.time]:
    times, t = [], datetime.datetime.combine(datetime.date.today(), DAY_START)
    end = datetime.datetime.combine(datetime.date.today(), DAY_END)
    while t + datetime.timedelta(minutes=SLOT_MINUTES) <= end:
        times.append(t.time())
        t += datetime.timedelta(minutes=SLOT_MINUTES)
    return times


def seed(appointments: int, seed_value: int) -> dict:
    from appointment.models import (
        Appointment,
        AppointmentRequest,
        Config,
        Service,
        StaffMember,
        WorkingHours,
    )
    from django.contrib.auth.hashers import make_password

    rng = random.Random(f"{seed_value}:peer:{appointments}")
    User = get_user_model()
    password = make_password("peer-bench-password")
    admin = User.objects.create(
        username="admin",
        email="admin@peer.example",
        password=password,
        is_staff=True,
        is_superuser=True,
        first_name="Ada",
        last_name="Admin",
    )
    staff_users = User.objects.bulk_create(
        User(
            username=f"staff{i}",
            email=f"staff{i}@peer.example",
            password=password,
            is_staff=True,
            first_name=f"Staff{i}",
            last_name="Member",
        )
        for i in range(1, STAFF + 1)
    )
    clients = User.objects.bulk_create(
        User(
            username=f"client{i}",
            email=f"client{i}@peer.example",
            password=password,
            first_name=f"Client{i}",
            last_name="Person",
        )
        for i in range(max(10, appointments // 10))
    )
    Config.objects.create(slot_duration=SLOT_MINUTES, lead_time=DAY_START, finish_time=DAY_END)
    service = Service.objects.create(
        name="Consultation", duration=datetime.timedelta(minutes=SLOT_MINUTES), price=0
    )
    staff = []
    for user in staff_users:
        member = StaffMember.objects.create(
            user=user, slot_duration=SLOT_MINUTES, lead_time=DAY_START, finish_time=DAY_END
        )
        member.services_offered.add(service)
        staff.append(member)
    WorkingHours.objects.bulk_create(
        WorkingHours(staff_member=m, day_of_week=d, start_time=DAY_START, end_time=DAY_END)
        for m in staff
        for d in (1, 2, 3, 4, 5)  # Monday-Friday (0 is Sunday here)
    )
    today = timezone.localdate()
    days = [
        today + datetime.timedelta(days=k)
        for k in range(-WINDOW_DAYS, WINDOW_DAYS + 1)
        if (today + datetime.timedelta(days=k)).weekday() < 5
    ]
    times = slot_times()
    all_slots = [(m, d, t) for d in days for t in times for m in range(STAFF)]
    chosen = rng.sample(all_slots, appointments)
    requests = AppointmentRequest.objects.bulk_create(
        (
            AppointmentRequest(
                date=d,
                start_time=t,
                end_time=(
                    datetime.datetime.combine(d, t) + datetime.timedelta(minutes=SLOT_MINUTES)
                ).time(),
                service=service,
                staff_member=staff[m],
                payment_type="full",
                id_request=f"seed{n}",
            )
            for n, (m, d, t) in enumerate(chosen)
        ),
        batch_size=2000,
    )
    Appointment.objects.bulk_create(
        (
            Appointment(
                client=clients[rng.randrange(len(clients))],
                appointment_request=req,
                phone="",
                address="",
                want_reminder=False,
                paid=False,
                amount_to_pay=0,
                id_request=f"appt{n}",
            )
            for n, req in enumerate(requests)
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The day we ask for free slots: the first weekday after tomorrow.
    day = today + datetime.timedelta(days=2)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return {
        "admin": admin,
        "staff_user": staff_users[0],
        "staff": staff[0],
        "service": service,
        "day": day,
    }


class Browser:
    def __init__(self, app, user=None):
        self.app = app
        self.cookies = {}
        if user is not None:
            from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

            store = import_module(settings.SESSION_ENGINE).SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            self.cookies[settings.SESSION_COOKIE_NAME] = store.session_key

    def get(self, path, query=None, ajax=False):
        headers = {"X-Requested-With": "XMLHttpRequest"} if ajax else None
        return call_wsgi(
            self.app, wsgi_environ("GET", path, query=query, cookies=self.cookies, headers=headers)
        )


def measure_size(appointments: int, args) -> dict:
    from django.core.wsgi import get_wsgi_application

    call_command("flush", interactive=False, verbosity=0)
    t0 = time.perf_counter()
    world = seed(appointments, args.seed)
    seeded = time.perf_counter() - t0
    log(f"  peer: seeded {appointments:,} appointments in {seeded:.1f} s")
    app = get_wsgi_application()
    anon = Browser(app)
    staff, admin = Browser(app, world["staff_user"]), Browser(app, world["admin"])
    service, member, day = world["service"], world["staff"], world["day"]
    rows = [
        ("bare", anon, "/__bench__/bare/", None, False, "bare HttpResponse view"),
        ("bare-user", staff, "/__bench__/bare-user/", None, False, "logged-in bare view"),
        (
            "free slots (one staff member, one day)",
            anon,
            "/appointment/ajax/available_slots/",
            {"selected_date": day.isoformat(), "staff_member": member.pk, "service_id": service.pk},
            True,
            f"view get_available_slots_ajax (AJAX JSON), {day.isoformat()}",
        ),
        (
            "staff calendar page",
            staff,
            "/appointment/app-admin/appointments/",
            None,
            False,
            "view get_user_appointments as a staff member (its calendar page: that member's "
            "appointments)",
        ),
        (
            "all-appointments list",
            admin,
            "/appointment/app-admin/appointments/",
            None,
            False,
            "view get_user_appointments as superuser (the calendar page with ALL appointments;"
            " the package has no other list page)",
        ),
        (
            "next available date",
            anon,
            f"/appointment/ajax/request_next_available_slot/{service.pk}/",
            {"staff_member": member.pk},
            True,
            "view get_next_available_date_ajax (AJAX JSON)",
        ),
    ]
    cases, info = [], {}
    for name, browser, path, query, ajax, how in rows:

        def call(b=browser, p=path, q=query, a=ajax):
            return b.get(p, query=q, ajax=a)

        t_once = time.perf_counter()
        connection.queries_log = deque(maxlen=10**7)  # exact counts beyond Django's 9000
        with CaptureQueriesContext(connection) as captured:
            response = call()
        once = time.perf_counter() - t_once
        if response.status != 200:
            raise SystemExit(f"peer {name}: {path} answered {response.status}")
        detail = ""
        if ajax:
            payload = json.loads(response.body)
            detail = payload.get("message", "")
            if payload.get("error") and "available" not in detail.lower():
                raise SystemExit(f"peer {name}: {detail}")
        info[name] = {
            "queries": len(captured.captured_queries),
            "how": how,
            "detail": detail,
            "bytes": len(response.body),
        }
        batch = max(1, min(20, int(0.05 / max(once, 1e-6))))
        cases.append(Case(name, call, batch=batch))
    measure(cases, repetitions=args.repetitions, warmup=args.warmup)
    med = {c.name: c.median for c in cases}
    out = []
    for c in cases:
        if c.name.startswith("bare"):
            continue
        out.append(
            {
                "name": c.name,
                "how": info[c.name]["how"],
                "detail": info[c.name]["detail"],
                "median_us": round(med[c.name] * 1e6, 1),
                "round_medians_us": [round(x * 1e6, 1) for x in c.round_medians],
                "x_bare": ratio(med[c.name], med["bare"]),
                "x_bare_user": ratio(med[c.name], med["bare-user"]),
                "queries": info[c.name]["queries"],
                "bytes": info[c.name]["bytes"],
            }
        )
    return {
        "appointments": appointments,
        "seed_seconds": round(seeded, 1),
        "bare_us": round(med["bare"] * 1e6, 1),
        "bare_user_us": round(med["bare-user"] * 1e6, 1),
        "bare_user_queries": info["bare-user"]["queries"],
        "rows": out,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,10000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--output", required=True, help="where to write the JSON result")
    args = parser.parse_args()
    from importlib.metadata import version

    # The package ships no migrations: its tables are created from the models (syncdb), which
    # refer to auth_user, so Django's own migrations go first (on a fresh database a single
    # `migrate --run-syncdb` creates the package's tables before auth_user exists).
    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0, run_syncdb=True)
    sizes = [measure_size(int(n), args) for n in args.sizes.split(",")]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    # The package logs to standard output, so the result goes to a file.
    Path(args.output).write_text(
        json.dumps(
            {
                "version": version("django-appointment"),
                "django": django.get_version(),
                "postgresql": pg,
                "data": f"{STAFF} staff, Mon-Fri {DAY_START:%H:%M}-{DAY_END:%H:%M}, one "
                f"{SLOT_MINUTES}-minute service, appointments spread at random over the "
                f"weekday slots from {WINDOW_DAYS} days ago to {WINDOW_DAYS} days ahead",
                "sizes": sizes,
            }
        )
    )


if __name__ == "__main__":
    main()
