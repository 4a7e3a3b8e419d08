"""Upload speed: a large multipart upload parsed by each framework, in-process.

    python -m benchmarks.upload_speed                    # 100 MiB, 5 rounds
    python -m benchmarks.upload_speed --megabytes 10 --rounds 3
    python -m benchmarks.upload_speed --quick            # 1 MiB, 1 round

Each app of ``apps/upload_apps.py`` reads one ``multipart/form-data`` body
holding a single file and answers its size and SHA-256 (checked every time).
The body arrives as ``http.request`` messages of 64 KiB, as a server hands a
fast client's body over. Rounds take the frameworks in a rotated order; the
median seconds per upload is reported, and the speed relative to ``raw`` (a
hand-written app that feeds python-multipart each chunk as it comes): above
1.00 is faster than the raw app.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import time
from typing import Any

from . import report
from .apps.common import Message
from .apps.upload_apps import CREATE

BOUNDARY = "----microasgi-benchmark-boundary"
MESSAGE_SIZE = 64 * 1024


def build_body(megabytes: int) -> tuple[list[bytes], dict[str, Any]]:
    """The body split into messages, and the answer it must get."""
    block = os.urandom(2**20)
    content = block * megabytes
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="upload.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode("ascii")
    body = head + content + f"\r\n--{BOUNDARY}--\r\n".encode("ascii")
    chunks = [body[i : i + MESSAGE_SIZE] for i in range(0, len(body), MESSAGE_SIZE)]
    expected = {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    return chunks, expected


async def upload(app: Any, chunks: list[bytes], expected: dict[str, Any]) -> float:
    """Post the body once; the seconds it took. A wrong answer stops the run."""
    length = sum(map(len, chunks))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/upload",
        "raw_path": b"/upload",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    last = len(chunks) - 1
    position = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal position
        if position > last:
            await asyncio.Event().wait()  # no more body: wait as a server would
        chunk = chunks[position]
        position += 1
        return {"type": "http.request", "body": chunk, "more_body": position <= last}

    async def send(message: Message) -> None:
        sent.append(message)

    start = time.perf_counter()
    await app(scope, receive, send)
    elapsed = time.perf_counter() - start
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    if status != 200 or json.loads(body) != expected:
        raise SystemExit(
            f"VALIDATION FAILED: upload answered {status} {body[:200]!r}, "
            f"expected 200 {expected}"
        )
    return elapsed


async def measure(
    frameworks: list[str], megabytes: int, rounds: int
) -> dict[str, list[float]]:
    apps = {name: CREATE[name]() for name in frameworks}
    small, small_expected = build_body(1)
    for app in apps.values():
        await upload(app, small, small_expected)  # warm-up, and checked
    chunks, expected = build_body(megabytes)
    samples: dict[str, list[float]] = {name: [] for name in frameworks}
    for index in range(rounds):
        shift = index % len(frameworks)
        for name in frameworks[shift:] + frameworks[:shift]:
            samples[name].append(await upload(apps[name], chunks, expected))
    return samples


def render(samples: dict[str, list[float]], megabytes: int) -> list[dict[str, Any]]:
    medians = {name: statistics.median(times) for name, times in samples.items()}
    raw = medians.get("raw")
    results = [
        {
            "framework": name,
            "seconds": seconds,
            "mib_per_second": megabytes / seconds,
            "speed_vs_raw": raw / seconds if raw else None,
        }
        for name, seconds in medians.items()
    ]
    rows = [
        [
            r["framework"],
            f"{r['seconds']:.3f}",
            f"{r['mib_per_second']:.0f}",
            "" if r["speed_vs_raw"] is None else f"{r['speed_vs_raw']:.2f}",
        ]
        for r in results
    ]
    rounds = len(next(iter(samples.values())))
    print(f"{megabytes} MiB multipart upload, median of {rounds} rounds")
    print(report.table(["framework", "seconds", "MiB/s", "speed vs raw"], rows))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", default=",".join(CREATE))
    parser.add_argument("--megabytes", type=int, default=100, help="file size in MiB")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 MiB, 1 round")
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.megabytes, args.rounds = 1, 1
    report.warn_if_busy()
    frameworks = [name.strip() for name in args.frameworks.split(",") if name.strip()]
    unknown = [name for name in frameworks if name not in CREATE]
    if unknown:
        raise SystemExit(f"unknown framework(s) {unknown}; choose from {list(CREATE)}")
    samples = asyncio.run(measure(frameworks, args.megabytes, args.rounds))
    results = render(samples, args.megabytes)
    if args.json:
        data = {"environment": report.environment(frameworks), "results": results}
        report.write_json(args.json, data)


if __name__ == "__main__":
    main()
