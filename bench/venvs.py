"""Side virtualenvs of the benchmark (the peer app, the load generator): tools that must not
enter the clinic's own locked dependencies."""

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
