"""Guard: `treatments/rules/` is pure Python: no Django, no project imports, no clock."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import treatments.rules

PACKAGE = Path(treatments.rules.__file__).parent
ROOT = PACKAGE.parents[1]
SOURCES = sorted(PACKAGE.rglob("*.py"))
MODULES = sorted(
    "treatments.rules" + ("" if p.stem == "__init__" else "." + p.stem)
    for p in SOURCES
    if p.parent == PACKAGE
)


def test_the_package_has_the_expected_modules():
    assert "treatments.rules.engine" in MODULES
    assert "treatments.rules.table" in MODULES


def test_importing_every_module_loads_no_django():
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "bad += sorted(m for m in sys.modules if m.split('.')[0] in ('clinic', 'patients'))\n"
        "print(','.join(bad))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_source_does_not_mention_django_imports(path):
    text = path.read_text()
    assert "import django" not in text
    assert "from django" not in text


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_only_standard_library_and_relative_imports(path):
    forbidden = {"time", "datetime", "random", "django", "clinic", "patients", "treatments"}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots = [node.module.split(".")[0]]
        else:
            continue
        for root in roots:
            assert root in sys.stdlib_module_names, f"{path.name}: imports {root}"
            assert root not in forbidden, f"{path.name}: imports {root}"
