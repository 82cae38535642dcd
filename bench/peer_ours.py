"""Our side of the peer comparison, in its own process and database:

    python -m bench.peer_ours --sizes 100,10000 --output ours.json

For each size: flush the database (DATABASE_URL: the peer comparison passes ``<ours>_peerours``),
seed a clinic shaped like the peer's (``bench.seed.peer_shape``: 3 specialists, Monday to
Friday 09:00-17:00, one 30-minute type, N appointments over the weekday slots of a year around
today) and time ``bench.pages.PEER_PAGES`` with the same harness as the page table (the ratio
is to OUR bare view measured in the same run)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer_ours")
    parser.add_argument("--sizes", default="100,10000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import bench.settings  # noqa: F401
    from bench.provision import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    out = {}
    for size in (int(s) for s in args.sizes.split(",")):
        call_command("flush", interactive=False, verbosity=0)
        out[str(size)] = measure_size(size, args)
    args.output.write_text(json.dumps(out))
    return 0


def measure_size(size: int, args) -> dict:
    from bench import harness, pages
    from bench.seed import Sizes, seed_clinic

    patients = max(10, size // 10)  # as the peer: one client per ten appointments
    seeded = seed_clinic(
        patients=patients,
        seed=args.seed,
        sizes=Sizes(patients, fixed_specialists=3, fixed_staff=1, peer_appointments=size),
        steps=("accounts", "patients", "peer_shape"),
        log=lambda line: None,
    )
    print(f"  peer: ours seeded {size:,} appointments in {seeded['seconds']:.1f} s", flush=True)
    chosen = [page for _measure, page in pages.PEER_PAGES]
    result = harness.run_pages(
        pages=chosen,
        repetitions=args.repetitions,
        warmup=args.warmup,
        world=pages.PeerWorld(),
        log=lambda line: None,
    )
    rows = {row["key"]: row for row in result["pages"]}
    measures = {}
    for measure, page in pages.PEER_PAGES:
        row = rows[page.key]
        measures[measure] = {
            k: row[k]
            for k in (
                "name",
                "role",
                "path",
                "status",
                "note",
                "median_us",
                "x_bare",
                "x_bare_user",
                "queries",
                "extra_queries",
            )
        }
        measures[measure]["query"] = page.query(pages.PeerWorld()) if page.query else None
    return {
        "appointments": size,
        "seed_seconds": seeded["seconds"],
        "bare_us": result["references"]["bare"]["median_us"],
        "measures": measures,
    }


if __name__ == "__main__":
    sys.exit(main())
