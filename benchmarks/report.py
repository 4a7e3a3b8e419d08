"""Tables and JSON files for benchmark results."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

DISTRIBUTIONS = {
    "microasgi": "microasgi",
    "starlette": "starlette",
    "falcon": "falcon",
    "blacksheep": "blacksheep",
    "uvicorn": "uvicorn",
    "broadcaster": "broadcaster",
    "redis": "redis",
}


def versions(frameworks: Sequence[str]) -> dict[str, str]:
    """Installed versions of the frameworks measured ("checkout" if not installed)."""
    found = {}
    for name in frameworks:
        if name not in DISTRIBUTIONS:
            continue
        try:
            found[name] = metadata.version(DISTRIBUTIONS[name])
        except metadata.PackageNotFoundError:
            found[name] = "checkout"
    return found


def warn_if_busy() -> None:
    """Say so when other work is running: it skews every number taken now."""
    load = os.getloadavg()[0]
    if load > 0.5:
        print(
            f"warning: load average is {load:.2f}; other processes are running, "
            "so numbers will be noisy. Compare ratios from one run only.",
            file=sys.stderr,
        )


def environment(frameworks: Sequence[str]) -> dict[str, Any]:
    return {
        "load_average": os.getloadavg()[0],
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "system": platform.system(),
        "versions": versions(frameworks),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, columns padded so it also reads well in a terminal."""
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(headers, *rows, strict=True)
    ]

    def line(cells: Sequence[str]) -> str:
        padded = (
            str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
