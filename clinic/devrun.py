"""Runs the web server, a Celery worker and Celery beat together in the foreground, with
prefixed output; Ctrl-C (or any one of them exiting) stops all three. For `make run`."""

import os
import signal
import subprocess
import sys
import threading

PORT = os.environ.get("PORT", "8000")
HOST = os.environ.get("HOST", "127.0.0.1")
PY = sys.executable

PROCESSES = {
    "web": [PY, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
    "worker": [
        PY,
        "-m",
        "celery",
        "-A",
        "clinic",
        "worker",
        "-l",
        "INFO",
        "-c",
        "2",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ],
    "beat": [PY, "-m", "celery", "-A", "clinic", "beat", "-l", "INFO"],
}
COLOURS = {"web": "\033[36m", "worker": "\033[35m", "beat": "\033[33m"}


def _pump(name, stream):
    for line in iter(stream.readline, ""):
        sys.stdout.write(f"{COLOURS[name]}{name:>6}\033[0m | {line}")
        sys.stdout.flush()


def main() -> int:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = {}
    for name, cmd in PROCESSES.items():
        procs[name] = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,
        )
        threading.Thread(target=_pump, args=(name, procs[name].stdout), daemon=True).start()
    print(
        f"\n  The clinic is running at http://{HOST}:{PORT}/"
        "  (Ctrl-C stops web, worker and beat)\n",
        flush=True,
    )
    stopping = threading.Event()

    def stop(*_):
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping.is_set():
        if any(p.poll() is not None for p in procs.values()):
            dead = [n for n, p in procs.items() if p.poll() is not None]
            print(f"\n  {', '.join(dead)} exited; stopping the others.", flush=True)
            break
        stopping.wait(0.5)
    for p in procs.values():
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
