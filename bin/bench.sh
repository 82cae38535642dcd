#!/usr/bin/env bash
# `make bench`: the benchmark (an extra; see README "Benchmark"). Sets up like the test command
# (PostgreSQL, Redis), installs wrk when missing (Debian package, as root), then runs
# `python -m bench` with any arguments given (e.g. --patients 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash bin/bootstrap.sh
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing (apt-get install wrk): the HTTP smoke cannot run (use --no-http)" >&2
  fi
fi
# Its own database: the benchmark FLUSHES it before seeding (never point it at real data).
export DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/clinic_bench}"
export CELERY_BROKER_URL="${BENCH_BROKER_URL:-redis://127.0.0.1:6379/7}"
exec .venv/bin/python -m bench "$@"
