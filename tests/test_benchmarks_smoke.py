"""Smoke test of the benchmark driver: it validates and runs, quickly.

Nothing here asserts a timing; a benchmark's numbers are for reading, not for
failing a build. What must hold is that every scenario's answer is checked and
that a wrong answer stops the run.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    "plaintext",
    "json",
    "param",
    "notfound",
    "echo",
    "middleware",
    "routes-10",
    "routes-1000",
]


def microasgi_available() -> bool:
    if importlib.util.find_spec("microasgi") is None:
        return False
    import microasgi

    return hasattr(microasgi, "App")


def run_python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_inprocess_quick_run_validates_every_scenario(tmp_path: Path) -> None:
    frameworks = (
        ["raw", "microasgi", "microasgi-response"] if microasgi_available() else ["raw"]
    )
    output = tmp_path / "results.json"
    done = run_python(
        "-m", "benchmarks.inprocess", "--quick",
        "--frameworks", ",".join(frameworks), "--json", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"validated {len(SCENARIOS)} scenarios x {len(frameworks)}" in done.stdout
    results = json.loads(output.read_text())["results"]
    measured = {(r["framework"], r["scenario"]) for r in results}
    assert measured == {(f, s) for f in frameworks for s in SCENARIOS}


def test_inprocess_validation_rejects_a_wrong_body() -> None:
    code = (
        "import asyncio, dataclasses\n"
        "from benchmarks.apps import load\n"
        "from benchmarks.harness import ValidationError, validate\n"
        "from benchmarks.scenarios import SCENARIOS\n"
        "wrong = dataclasses.replace(SCENARIOS['plaintext'], text='Goodbye')\n"
        "try:\n"
        "    asyncio.run(validate('raw', load('raw').create_app(), wrong))\n"
        "except ValidationError as exc:\n"
        "    print('rejected:', exc)\n"
    )
    done = run_python("-c", code)
    assert done.returncode == 0, done.stderr
    assert "rejected: raw answered plaintext wrongly: body" in done.stdout


def test_upload_speed_quick_run_checks_and_measures(tmp_path: Path) -> None:
    if not microasgi_available():
        import pytest

        pytest.skip("microasgi is not importable")
    output = tmp_path / "upload.json"
    done = run_python(
        "-m", "benchmarks.upload_speed", "--quick",
        "--frameworks", "raw,microasgi", "--json", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())["results"]
    assert [r["framework"] for r in results] == ["raw", "microasgi"]
    assert all(r["seconds"] > 0 for r in results)


def test_import_time_quick_run_measures_on_top_of_the_server(tmp_path: Path) -> None:
    output = tmp_path / "import.json"
    done = run_python(
        "-m", "benchmarks.inprocess", "--import-time", "--quick",
        "--frameworks", "microasgi", "--json", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "on top of uvicorn.main" in done.stdout
    assert (
        json.loads(output.read_text())["import_time"]["microasgi"]["milliseconds"] > 0
    )


def test_fanout_quick_run_delivers_every_steady_message(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian's 'redis-server')")
    pytest.importorskip("redis", reason="the redis package is not installed")
    backends = ["hub", "none"]
    if importlib.util.find_spec("broadcaster") is not None:
        backends.insert(1, "broadcaster")
    output = tmp_path / "fanout.json"
    done = run_python(
        "-m", "benchmarks.fanout", "--quick", "--subscribers", "6",
        "--backends", ",".join(backends), "--json", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())["results"]
    assert list(results) == backends
    for backend in backends:
        assert results[backend]["subscribers_per_worker"] != {}
        assert sorted(results[backend]["subscribers_per_worker"].values()) == [3, 3]
    steady = results["hub"]["phases"][0]
    assert steady["name"] == "steady"
    assert steady["received"] == steady["expected"] > 0
    assert steady["disorder"] == steady["gaps"] == 0
    assert "KiB RSS per idle subscriber" in done.stdout


def test_static_files_quick_run_checks_and_measures(tmp_path: Path) -> None:
    if importlib.util.find_spec("granian") is None:
        pytest.skip("granian is not installed")
    output = tmp_path / "static.json"
    done = run_python(
        "-m", "benchmarks.static_files", "--quick", "--sizes", "1",
        "--frameworks", "raw,microasgi", "--json", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())["results"]
    assert [r["framework"] for r in results] == ["raw", "microasgi"]
    assert all(r["downloads_per_second"] > 0 for r in results)
