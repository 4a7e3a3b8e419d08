"""scripts/setup installs what each command needs, once per pyproject.toml.

The scripts run on a copy of the repository's scripts and pyproject.toml in
a temporary folder, whose ``.venv/bin/python`` is a stand-in that records
how it was called, so what would be installed is checked without installing.
The real thing is run by CI, which starts from a fresh clone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RECORDING_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../calls.log"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(RECORDING_PYTHON)
    python.chmod(0o755)
    return tmp_path


def run(project: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(project / "scripts" / script), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def calls(project: Path) -> list[str]:
    log = project / ".venv" / "calls.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def test_scripts_setup_package_installs_the_package_alone(project: Path) -> None:
    result = run(project, "setup", "package")
    assert result.returncode == 0
    assert calls(project) == ["-m pip install --quiet --disable-pip-version-check -e ."]
    assert "installing microasgi alone" in result.stderr


def test_scripts_setup_runs_once_per_pyproject(project: Path) -> None:
    run(project, "setup", "package")
    calls(project)
    assert run(project, "setup", "package").returncode == 0
    assert calls(project) == []


def test_scripts_setup_defaults_to_the_dev_extra(project: Path) -> None:
    result = run(project, "setup")
    assert result.returncode == 0
    assert calls(project)[-1] == "-m pip install --quiet -e .[dev]"
    assert run(project, "setup", "package").returncode == 0
    assert calls(project) == []  # a dev install holds the package too


def test_scripts_setup_package_then_dev_installs_the_dev_extra(project: Path) -> None:
    run(project, "setup", "package")
    calls(project)
    run(project, "setup", "dev")
    assert calls(project)[-1] == "-m pip install --quiet -e .[dev]"


def test_scripts_setup_reinstalls_after_pyproject_changes(project: Path) -> None:
    run(project, "setup")
    calls(project)
    later = time.time() + 5
    os.utime(project / "pyproject.toml", (later, later))
    run(project, "setup", "package")
    assert calls(project) == ["-m pip install --quiet --disable-pip-version-check -e ."]
    run(project, "setup")
    assert calls(project)[-1] == "-m pip install --quiet -e .[dev]"


def test_scripts_setup_refuses_an_unknown_kind(project: Path) -> None:
    result = run(project, "setup", "everything")
    assert result.returncode == 2
    assert result.stderr == "usage: bash scripts/setup [dev|package]\n"


def test_scripts_serve_installs_the_package_and_says_so(project: Path) -> None:
    result = run(project, "serve")
    assert result.returncode == 0
    assert calls(project) == [
        "-m pip install --quiet --disable-pip-version-check -e .",
        "examples/hello.py",
    ]
    assert result.stderr.splitlines() == [
        "setup: installing microasgi alone into .venv (uvicorn, python-multipart, "
        "jinja2; seconds)",
        "serve: examples/hello.py on http://127.0.0.1:8000 (Ctrl+C stops it)",
    ]
