"""Import cost: how long ``import <framework>`` takes in a fresh interpreter.

Each measurement is a new ``python -c`` process that times the import statement
itself (interpreter start-up excluded) and counts the modules it loaded. The
process has already imported ``uvicorn.main``, as serving an app does, so what
is measured is what the framework adds on top of the server. Runs
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

#: Loaded before timing: a served app always has the server's modules.
SERVER = "uvicorn.main"

#: Timed in place of a framework: what a raw ASGI app next to the server costs.
NOTHING = "sys"

TIMER = """\
import os, sys, time
import {server}
before = set(sys.modules)
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
with open("/proc/self/statm") as statm:
    resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
print(elapsed, len(set(sys.modules) - before), resident)
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


def time_import(module: str, environment: dict[str, str]) -> tuple[float, int, int]:
    """Seconds in ``import module``, modules it loaded, and RSS bytes after it."""
    code = TIMER.format(server=SERVER, module=module)
    seconds, count, resident = python(["-c", code], environment).split()
    return float(seconds), int(count), int(resident)


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
    baseline = importtime_lines(f"import {SERVER}", environment)
    times = importtime_lines(f"import {SERVER}; import {module}", environment)
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
    modules = {"raw": NOTHING} | {name: MODULES[name] for name in names}
    samples: dict[str, list[tuple[float, int, int]]] = {name: [] for name in modules}
    for _ in range(runs):
        for name, module in modules.items():
            samples[name].append(time_import(module, environment))
    raw_rss = statistics.median(rss for _, _, rss in samples.pop("raw"))
    results = {
        name: {
            "module": MODULES[name],
            "milliseconds": statistics.median(s for s, _, _ in runs_) * 1000,
            "modules_loaded": runs_[-1][1],
            "rss_over_raw_mib": (statistics.median(r for _, _, r in runs_) - raw_rss)
            / 2**20,
        }
        for name, runs_ in samples.items()
    }
    rows = [
        [
            name,
            str(r["module"]),
            f"{r['milliseconds']:.1f}",
            str(r["modules_loaded"]),
            f"{r['rss_over_raw_mib']:+.1f}",
        ]
        for name, r in results.items()
    ]
    print(
        f"import time on top of {SERVER}, median of {runs} fresh interpreters "
        "(bytecode cached)"
    )
    headers = ["framework", "import", "ms", "modules loaded", "RSS over raw (MiB)"]
    print(report.table(headers, rows))
    if "microasgi" in names:
        slowest = slowest_modules(MODULES["microasgi"], environment)
        print("\nmicroasgi: slowest modules by self time (python -X importtime)")
        print(report.table(["module", "self µs"], [[m, str(us)] for m, us in slowest]))
        results["microasgi"]["slowest_modules"] = slowest
    return results
