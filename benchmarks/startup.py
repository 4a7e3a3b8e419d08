"""Import cost: how long ``import <framework>`` takes in a fresh interpreter.

Each measurement is a new ``python -c`` process that times the import statement
itself (interpreter start-up excluded) and counts the modules it loaded. Runs
of the frameworks are interleaved; the median is reported. For microasgi the
slowest modules by self time (from ``python -X importtime``) are listed too.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import report

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The import a user's app starts with, per framework (raw imports nothing).
MODULES = {
    "microasgi": "microasgi",
    "starlette": "starlette.applications",
    "falcon": "falcon.asgi",
    "blacksheep": "blacksheep.server",
}

TIMER = """\
import sys, time
before = set(sys.modules)
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
print(elapsed, len(set(sys.modules) - before))
"""


def bytecode_environment(cache: str) -> dict[str, str]:
    """Environment variables that let every framework import from cached bytecode.

    Bytecode goes to a private cache directory, so neither the checkout nor
    site-packages is written to, and no framework pays for compiling its source.
    """
    environment = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def python(arguments: list[str], environment: dict[str, str]) -> str:
    """Run the interpreter; its standard output and error, together."""
    done = subprocess.run(
        [sys.executable, *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout + done.stderr


def time_import(module: str, environment: dict[str, str]) -> tuple[float, int]:
    """Seconds spent in ``import module`` and the number of modules it loaded."""
    seconds, count = python(["-c", TIMER.format(module=module)], environment).split()
    return float(seconds), int(count)


def importtime_lines(code: str, environment: dict[str, str]) -> dict[str, int]:
    """Self time in microseconds per module, from ``python -X importtime``."""
    output = python(["-X", "importtime", "-c", code], environment)
    self_times = {}
    for line in output.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        self_times[name.strip()] = int(self_us)
    return self_times


def slowest_modules(
    module: str, environment: dict[str, str], count: int = 8
) -> list[tuple[str, int]]:
    baseline = importtime_lines("pass", environment)
    times = importtime_lines(f"import {module}", environment)
    own = {name: us for name, us in times.items() if name not in baseline}
    return sorted(own.items(), key=lambda item: item[1], reverse=True)[:count]


def run(frameworks: list[str], runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as cache:
        return measure(frameworks, runs, bytecode_environment(cache))


def measure(
    frameworks: list[str], runs: int, environment: dict[str, str]
) -> dict[str, Any]:
    names = [name for name in frameworks if name in MODULES]
    for name in names:
        time_import(MODULES[name], environment)  # fills the bytecode cache
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in names}
    for _ in range(runs):
        for name in names:
            samples[name].append(time_import(MODULES[name], environment))
    results = {
        name: {
            "module": MODULES[name],
            "milliseconds": statistics.median(s for s, _ in runs_) * 1000,
            "modules_loaded": runs_[-1][1],
        }
        for name, runs_ in samples.items()
    }
    rows = [
        [name, str(r["module"]), f"{r['milliseconds']:.1f}", str(r["modules_loaded"])]
        for name, r in results.items()
    ]
    print(f"import time, median of {runs} fresh interpreters (bytecode cached)")
    print(report.table(["framework", "import", "ms", "modules loaded"], rows))
    if "microasgi" in names:
        slowest = slowest_modules(MODULES["microasgi"], environment)
        print("\nmicroasgi: slowest modules by self time (python -X importtime)")
        print(report.table(["module", "self µs"], [[m, str(us)] for m, us in slowest]))
        results["microasgi"]["slowest_modules"] = slowest
    return results
