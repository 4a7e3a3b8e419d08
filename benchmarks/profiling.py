"""Profile one framework's scenarios in-process with cProfile.

    python -m benchmarks.profiling            # microasgi: plaintext, notfound
    python -m benchmarks.profiling --framework starlette --scenarios param --top 15

The app is validated first, warmed up, then called in the same tight loop as
``inprocess.py`` under cProfile; the functions with the most time of their own
(``tottime``) are printed, so the hot spots of one request path stand out.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats

from .apps import load
from .harness import Lifespan, time_batch, validate
from .scenarios import Scenario, select


async def profile(framework: str, scenario: Scenario, iterations: int, top: int) -> str:
    app = load(framework).create_app(*scenario.app_key)
    lifespan = Lifespan(app)
    await lifespan.startup()
    answer = await validate(framework, app, scenario)
    await time_batch(app, scenario, 1_000, answer.message_count)
    profiler = cProfile.Profile()
    profiler.enable()
    await time_batch(app, scenario, iterations, answer.message_count)
    profiler.disable()
    await lifespan.shutdown()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    return text.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", default="microasgi")
    parser.add_argument("--scenarios", default="plaintext,notfound")
    parser.add_argument("--iterations", type=int, default=50_000)
    parser.add_argument("--top", type=int, default=20, help="functions to list")
    args = parser.parse_args(argv)
    for scenario in select(args.scenarios):
        print(f"== {args.framework} {scenario.name}: {scenario.description}")
        print(asyncio.run(profile(args.framework, scenario, args.iterations, args.top)))


if __name__ == "__main__":
    main()
