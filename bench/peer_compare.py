"""The peer comparison: django-appointment in its own virtualenv (bench/peer/.venv), its own
minimal project (bench/peer/peerproject) and its own PostgreSQL database, timed by the same
harness core (bench.timing) in a subprocess; the result is read back as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.provision import ensure_database, ensure_venv

PEER_DIR = Path(__file__).resolve().parent / "peer"
VENV = PEER_DIR / ".venv"
REQUIREMENTS = PEER_DIR / "requirements.txt"
# Our side: bench.pages.PEER_PAGES on a clinic shaped like the peer's, timed by
# bench/peer_ours.py in its own process and database (``<ours>_peerours``).


def peer_database_url(our_url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(our_url)
    return parts._replace(path=parts.path.rstrip("/") + "_peer").geturl()


def run(
    *,
    database_url: str,
    sizes: tuple[int, ...] = (100, 10_000),
    seed: int = 42,
    repetitions: int = 5,
    warmup: int = 5,
    log=print,
) -> dict:
    try:
        python = ensure_venv(VENV, REQUIREMENTS, log=log)
        url = peer_database_url(database_url)
        ensure_database(url)
    except (subprocess.CalledProcessError, OSError) as exc:
        return {"error": f"could not set up the peer's virtualenv or database: {exc}"}
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "peer.json"
        env = {**os.environ, "PEER_DATABASE_URL": url, "PEER_STATIC_ROOT": tmp}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        proc = subprocess.run(
            [
                str(python),
                str(PEER_DIR / "run_peer.py"),
                "--sizes",
                ",".join(map(str, sizes)),
                "--seed",
                str(seed),
                "--repetitions",
                str(repetitions),
                "--warmup",
                str(warmup),
                "--output",
                str(output),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in proc.stdout.splitlines():
            if line.startswith("  peer:"):
                log(line)
        if proc.returncode != 0:
            tail = "\n".join(proc.stdout.splitlines()[-15:])
            print(tail, file=sys.stderr)
            return {"error": f"the peer runner failed (exit {proc.returncode})"}
        result = json.loads(output.read_text())
    result["ours"] = run_ours(
        database_url=database_url,
        sizes=sizes,
        seed=seed,
        repetitions=repetitions,
        warmup=warmup,
        log=log,
    )
    return result


def ours_database_url(our_url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(our_url)
    return parts._replace(path=parts.path.rstrip("/") + "_peerours").geturl()


def run_ours(
    *,
    database_url: str,
    sizes: tuple[int, ...],
    seed: int = 42,
    repetitions: int = 5,
    warmup: int = 5,
    log=print,
) -> dict:
    """Our equivalent pages at the peer's sizes: {measure: {size: row}} (or {"error": ...})."""
    root = PEER_DIR.parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "ours.json"
        env = {**os.environ, "DATABASE_URL": ours_database_url(database_url)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.peer_ours",
                "--sizes",
                ",".join(map(str, sizes)),
                "--seed",
                str(seed),
                "--repetitions",
                str(repetitions),
                "--warmup",
                str(warmup),
                "--output",
                str(output),
            ],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in proc.stdout.splitlines():
            if line.startswith("  peer:"):
                log(line)
        if proc.returncode != 0:
            print("\n".join(proc.stdout.splitlines()[-15:]), file=sys.stderr)
            return {"error": f"our side of the comparison failed (exit {proc.returncode})"}
        by_size = json.loads(output.read_text())
    ours: dict = {}
    for size, data in by_size.items():
        for measure, row in data["measures"].items():
            ours.setdefault(measure, {})[size] = {**row, "bare_us": data["bare_us"]}
    return ours
