"""What the benchmark makes before it runs: its databases, and the side virtualenvs (the peer
app, the load generator) whose tools must not enter the clinic's own locked dependencies."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_venv(directory: Path, requirements: Path, log=print) -> Path:
    """Create ``directory`` as a virtualenv with ``requirements`` installed, once (again only
    when the requirements file changes); return its python."""
    python = directory / "bin" / "python"
    stamp = directory / ".requirements"
    wanted = requirements.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    log(f"  creating {directory.relative_to(ROOT)} (python -m venv + pip)")
    venv.EnvBuilder(with_pip=True, clear=not python.exists()).create(directory)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + ["-r", str(requirements)],
        check=True,
    )
    stamp.write_text(wanted)
    return python


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it is missing (on the same server)."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
