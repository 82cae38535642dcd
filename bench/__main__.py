"""``python -m bench``: seed, time every page, the engine, the peer and HTTP; write the report.

    python -m bench                      # full size: 10,000 patients
    python -m bench --patients 2000      # moderate size
    python -m bench --no-peer --no-http  # pages and engine only
    python -m bench --no-seed            # reuse the clinic already seeded in the database
    python -m bench --only reminders     # one part alone (no seed unless pages/peer/http run)
    python -m bench --no-reminders       # everything but the reminder dispatch
    python -m bench --only reminders --reminders 2000   # a smaller reminder run

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/clinic_bench; the database is
created if missing and FLUSHED before seeding) and CELERY_BROKER_URL (Redis, for healthz).
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("pages", "engine", "reminders", "peer", "http")


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-seed", action="store_true", help="reuse the seeded clinic")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--peer-sizes", default="100,10000")
    parser.add_argument("--http-seconds", type=int, default=60)
    parser.add_argument("--http-saturation-seconds", type=int, default=20)
    parser.add_argument("--engine-profiles", type=int, default=20_000)
    parser.add_argument("--results-dir", type=Path, default=None)
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--no-engine", action="store_true")
    parser.add_argument("--no-reminders", action="store_true")
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeat for several); the others are skipped",
    )
    parser.add_argument("--reminders", type=int, default=10_000, help="due reminders to send")
    parser.add_argument("--reminders-concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    run = {part: not getattr(args, f"no_{part}") for part in PARTS}
    if args.only:
        run = {part: part in args.only for part in PARTS}
    # The seeded clinic is what the pages, the peer's sizes and the HTTP smoke read; the
    # engine and the reminders bring their own data.
    needs_seed = run["pages"] or run["http"]

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import bench.settings  # noqa: F401  (sets the production environment variables)
    from bench.provision import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import engine, harness, http_smoke, peer_compare, reminders, report
    from bench.seed import seed_clinic

    started = time.perf_counter()
    from bench.timing import machine

    machine_at_start = machine()
    results_dir = args.results_dir or report.RESULTS_DIR
    print(f"Benchmark: {args.patients:,} patients, database {connection.settings_dict['NAME']}")
    print("- migrate, collectstatic")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    seed_info = None
    if needs_seed and not args.no_seed:
        print("- seed (flushes the benchmark database)")
        call_command("flush", interactive=False, verbosity=0)
        seed_info = seed_clinic(patients=args.patients, seed=args.seed)
    pages = {}
    if run["pages"]:
        print("- pages (in-process WSGI)")
        pages = harness.run_pages(repetitions=args.repetitions, warmup=args.warmup)
    engine_result = None
    if run["engine"]:
        print("- rules engine")
        engine_result = engine.run(count=args.engine_profiles)
    reminder_result = None
    if run["reminders"]:
        print("- reminders (real worker, real SMTP server)")
        reminder_result = reminders.run(
            count=args.reminders,
            database_url=os.environ["DATABASE_URL"],
            broker_url=settings.CELERY_BROKER_URL,
            concurrency=args.reminders_concurrency,
        )
    peer = None
    if run["peer"]:
        print("- peer: django-appointment")
        peer = peer_compare.run(
            database_url=os.environ["DATABASE_URL"],
            sizes=tuple(int(s) for s in args.peer_sizes.split(",")),
            seed=args.seed,
            repetitions=max(5, min(args.repetitions, 5)),
            warmup=args.warmup,
        )
    http = None
    if run["http"]:
        print("- HTTP smoke (gunicorn + wrk)")
        http = http_smoke.run(
            seconds=args.http_seconds, saturation_seconds=args.http_saturation_seconds
        )

    import django as dj

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    machine_at_end = machine()
    machine_at_start["load_average_at_end"] = machine_at_end["load_average"]
    result = {
        "meta": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "commit": _git("rev-parse", "--short=12", "HEAD"),
            "dirty": bool(_git("status", "--porcelain", "--", ".", ":!bench/results")),
            "patients": args.patients,
            "machine": machine_at_start,
            "django": dj.get_version(),
            "postgresql": pg_version,
            "settings": os.environ["DJANGO_SETTINGS_MODULE"],
            "debug": settings.DEBUG,
            "repetitions": args.repetitions,
            "warmup": args.warmup,
            "seconds": None,
            "parts": [part for part in PARTS if run[part]],
        },
        "seed": seed_info,
        **pages,
    }
    if engine_result is not None:
        result["engine"] = engine_result
    if reminder_result is not None:
        result["reminders"] = reminder_result
    if peer is not None:
        result["peer"] = peer
    if http is not None:
        result["http"] = http
    result["meta"]["seconds"] = round(time.perf_counter() - started)
    stem = report.result_stem(result)
    # Each part is compared with the latest earlier run that measured it (a run of one part
    # alone is no baseline for the others).
    previous = report.previous_report(results_dir, args.patients, before=stem, having="pages")
    result["previous"] = report.result_stem(previous) if previous else None
    result["regressions"] = report.compare(previous, result)
    if reminder_result is not None:
        before = report.previous_report(results_dir, args.patients, before=stem, having="reminders")
        result["previous_reminders"] = report.result_stem(before) if before else None
        result["regressions"] += report.compare_reminders(before, result)
    json_path, md_path = report.write(result, results_dir)
    print()
    print(md_path.read_text())
    print(f"Written: {os.path.relpath(json_path, ROOT)} and {os.path.relpath(md_path, ROOT)}")

    failures = [
        p["key"] + " is over its query budget"
        for p in pages.get("pages", [])
        if p.get("over_budget")
    ]
    if reminder_result is not None and not reminder_result["exactly_once"]:
        failures.append(
            f"reminders: not exactly once ({reminder_result['duplicates']} duplicates, "
            f"{reminder_result['lost']} lost, {reminder_result['unexpected']} unexpected)"
        )
    if http and http.get("error"):
        failures.append("HTTP smoke: " + http["error"])
    elif http:
        if http["errors"]:
            failures.append(f"HTTP smoke: {http['errors']} errors")
        slow = [r["name"] for r in http["pages"] if not r["p95_ok"]]
        if slow:
            failures.append(f"HTTP smoke: p95 over {http_smoke.P95_GOAL_MS} ms: " + "; ".join(slow))
    if peer and peer.get("error"):
        failures.append("peer: " + peer["error"])
    for line in result["regressions"]:
        print(f"REGRESSION: {line}")
    for line in failures:
        print(f"FAILED: {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
