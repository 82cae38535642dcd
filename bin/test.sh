#!/usr/bin/env bash
# The README's test command: set up, make sure PostgreSQL, Redis and Chromium are there
# (use DATABASE_URL / CELERY_BROKER_URL if given; else local servers on the standard ports;
# else start them, installing Debian's packages when run as root), then run ruff and the
# whole pytest suite on PostgreSQL. Exits non-zero on any failure; skips nothing silently.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bin/bootstrap.sh

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
APT_UPDATED=
apt_install() {
  is_root && command -v apt-get >/dev/null || return 1
  if [ -z "$APT_UPDATED" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
port_open() { .venv/bin/python - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PY
}
wait_port() { for _ in $(seq 1 40); do port_open "$1" "$2" && return 0; sleep 0.5; done; return 1; }

# --- PostgreSQL -----------------------------------------------------------------------------
if [ -z "${DATABASE_URL:-}" ]; then
  if ! port_open 127.0.0.1 5432; then
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
      say "Installing PostgreSQL (Debian package)"
      apt_install postgresql || die "PostgreSQL is not running on 127.0.0.1:5432 and cannot be installed here (need root and apt-get). Start one, or set DATABASE_URL=postgres://user@host:port/dbname"
    fi
    say "Starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null && is_root; then
      version=$(ls /usr/lib/postgresql | sort -V | tail -1)
      [ -d "/etc/postgresql/$version/main" ] || pg_createcluster "$version" main >/dev/null
      # Tests connect over TCP as the postgres user without a password.
      conf=/etc/postgresql/$version/main/pg_hba.conf
      grep -q '^host all all 127.0.0.1/32 trust' "$conf" || sed -i '1i host all all 127.0.0.1/32 trust' "$conf"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    wait_port 127.0.0.1 5432 || die "PostgreSQL did not come up on 127.0.0.1:5432; set DATABASE_URL to a server you have."
  fi
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/clinic"
fi
case "$DATABASE_URL" in postgres*://*) ;; *) die "The test suite runs on PostgreSQL; DATABASE_URL must be postgres://…";; esac

# --- Redis ----------------------------------------------------------------------------------
if [ -z "${CELERY_BROKER_URL:-}" ]; then
  if ! port_open 127.0.0.1 6379; then
    command -v redis-server >/dev/null || { say "Installing Redis (Debian package)"; apt_install redis-server || die "Redis is not running on 127.0.0.1:6379 and cannot be installed here (need root and apt-get). Start one, or set CELERY_BROKER_URL=redis://host:port/0"; }
    say "Starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
    wait_port 127.0.0.1 6379 || die "Redis did not come up on 127.0.0.1:6379"
  fi
  export CELERY_BROKER_URL="redis://127.0.0.1:6379/0"
fi
export TEST_REDIS_URL="${TEST_REDIS_URL:-$CELERY_BROKER_URL}"

# --- Chromium for the browser tests, and the private-server binaries ------------------------
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  say "Installing Chromium (Debian package) for the browser tests"
  apt_install chromium || die "Chromium is needed for the browser tests: apt-get install chromium (or set CHROMIUM_PATH)"
fi
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

say "Lint: ruff check and ruff format --check"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

say "Tests: pytest on PostgreSQL ($(printf '%s' "$DATABASE_URL" | sed 's#//[^@]*@#//#'))"
export CI="${CI:-}" HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"
start=$(date +%s)
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
echo "Suite wall time: $(( $(date +%s) - start )) s"
exit $status
