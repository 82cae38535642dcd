#!/usr/bin/env bash
# Installs what the project needs to run: Python >= 3.11 with venv and pip, uv, and the
# locked dependencies in .venv. Safe to run again. Prints what it does.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never  # never let uv fetch an interpreter (no internet here)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

PYTHON=$(find_python) || die "Python 3.11 or newer is required (python3 --version). On Debian/Ubuntu: apt-get install python3 python3-venv python3-pip"

if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "Installing python3-venv and python3-pip (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null
  else
    die "Python's venv module is missing. On Debian/Ubuntu run: sudo apt-get install python3-venv python3-pip"
  fi
fi

UV=$(command -v uv || true)
if [ -z "$UV" ]; then
  if [ ! -x .tools/bin/uv ]; then
    say "Installing uv into .tools/"
    "$PYTHON" -m venv .tools
    .tools/bin/pip install --quiet --disable-pip-version-check uv || die "could not install uv from PyPI"
  fi
  UV=$PWD/.tools/bin/uv
fi

say "Installing the locked dependencies into .venv (uv sync --frozen)"
"$UV" sync --frozen --python "$PYTHON" --quiet || die "uv sync failed (see above)"
