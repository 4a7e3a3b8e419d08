"""Draw the in-process results as a bar chart of each framework's ratio to raw.

    python -m benchmarks.inprocess --json results.json
    python -m benchmarks.chart results.json docs/img/benchmark.png

One group of bars per scenario, one bar per framework; a bar's height is the
framework's requests/s divided by the raw ASGI app's in the same run, so the
dashed line at 1.0 is the hand-written baseline and higher is better.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure  # no pyplot: no display or backend needed


def ratios(results: list[dict[str, Any]]) -> tuple[list[str], dict[str, list[float]]]:
    """Scenario names and, per framework except raw, its ratio in each scenario."""
    scenarios = list(dict.fromkeys(r["scenario"] for r in results))
    table = {(r["framework"], r["scenario"]): r["ratio_to_raw"] for r in results}
    frameworks = [
        f for f in dict.fromkeys(r["framework"] for r in results) if f != "raw"
    ]
    return scenarios, {
        name: [table.get((name, scenario), 0.0) for scenario in scenarios]
        for name in frameworks
    }


def draw(data: dict[str, Any], output: Path) -> None:
    scenarios, by_framework = ratios(data["results"])
    width = 0.8 / max(len(by_framework), 1)
    figure = Figure(figsize=(11, 4.8), dpi=120)
    axes = figure.subplots()
    for index, (name, values) in enumerate(by_framework.items()):
        positions = [
            x + (index - (len(by_framework) - 1) / 2) * width
            for x in range(len(scenarios))
        ]
        bars = axes.bar(positions, values, width, label=name)
        axes.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    axes.axhline(1.0, color="black", linestyle="--", linewidth=1)
    axes.text(
        len(scenarios) - 0.5,
        1.01,
        "raw ASGI = 1.0",
        ha="right",
        va="bottom",
        fontsize=8,
    )
    axes.set_xticks(range(len(scenarios)), scenarios)
    axes.set_ylabel("requests/s ÷ raw ASGI app's")
    tallest = max((max(values) for values in by_framework.values()), default=1.0)
    axes.set_ylim(0, max(1.1, tallest * 1.08))
    axes.set_title(
        "Throughput relative to a hand-written ASGI app (higher is better)", pad=22
    )
    axes.legend(ncols=len(by_framework), loc="lower left", bbox_to_anchor=(0, 1.0),
                fontsize=8, frameon=False)  # fmt: skip
    environment = data.get("environment", {})
    versions = ", ".join(f"{k} {v}" for k, v in environment.get("versions", {}).items())
    figure.text(
        0.01,
        0.01,
        f"in-process, CPython {environment.get('python', '?')}; {versions}",
        fontsize=7,
        color="dimgray",
    )
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output)
    print(f"wrote {output}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="JSON from inprocess.py --json")
    parser.add_argument("output", type=Path, help="PNG file to write")
    args = parser.parse_args(argv)
    draw(json.loads(args.results.read_text(encoding="utf-8")), args.output)


if __name__ == "__main__":
    main()
