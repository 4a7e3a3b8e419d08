"""Upload memory benchmark: peak RSS of the server during a 100 MiB multipart upload.

    python -m benchmarks.upload_memory               # microasgi and starlette
    python -m benchmarks.upload_memory --megabytes 20 --quick

Each framework's ``POST /upload`` parses the form (microasgi: ``await
request.form()``) and answers with the file's size and SHA-256, which are
checked. The server runs under uvicorn; after a small warm-up upload its peak
RSS counter (``VmHWM`` in ``/proc/PID/status``) is reset, the large file is
streamed from the client without being held in memory, and the new peak is
read. A form parser that spools to disk stays flat; one that buffers grows by
the upload's size. A framework without form support is skipped with a message.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import report
from .apps import EXTRAS, FrameworkUnavailableError, load_extras
from .server import HOST, uvicorn

BOUNDARY = "microasgi-benchmark-boundary"
CHUNK = bytes(range(256)) * 4096  # 1 MiB that never contains the boundary


def status_kib(pid: int, field: str) -> int:
    """A memory field (``VmRSS``, ``VmHWM``) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def reset_peak(pid: int) -> bool:
    """Reset the process's peak RSS to its current RSS (Linux 4.0+)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def multipart(megabytes: int) -> tuple[int, Iterator[bytes], str]:
    """Length, streamed body and SHA-256 of a form with one file field."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="upload.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode("ascii")
    tail = f"\r\n--{BOUNDARY}--\r\n".encode("ascii")
    digest = hashlib.sha256()
    for _ in range(megabytes):
        digest.update(CHUNK)

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(megabytes):
            yield CHUNK
        yield tail

    return len(head) + megabytes * len(CHUNK) + len(tail), body(), digest.hexdigest()


def upload(port: int, megabytes: int) -> float:
    """Send the form, check the answer, and return the seconds it took."""
    length, body, sha256 = multipart(megabytes)
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(length),
    }
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    start = time.perf_counter()
    connection.request("POST", "/upload", body=body, headers=headers)
    response = connection.getresponse()
    answer = response.read()
    elapsed = time.perf_counter() - start
    connection.close()
    expected = {"size": megabytes * len(CHUNK), "sha256": sha256}
    if response.status != 200 or json.loads(answer) != expected:
        raise SystemExit(
            f"VALIDATION FAILED: upload answered {response.status} {answer[:200]!r}, "
            f"expected 200 {expected}"
        )
    return elapsed


def measure(framework: str, megabytes: int) -> dict[str, Any]:
    with uvicorn(f"{EXTRAS[framework]}:create_upload_app", "--factory") as (port, pid):
        upload(port, 1)  # warm-up: imports and first-request work happen here
        if not reset_peak(pid):
            print("  note: cannot reset peak RSS; the peak includes start-up")
        before = status_kib(pid, "VmRSS")
        seconds = upload(port, megabytes)
        peak = status_kib(pid, "VmHWM")
    return {
        "framework": framework,
        "pid": pid,
        "megabytes": megabytes,
        "rss_before_kib": before,
        "peak_rss_kib": peak,
        "growth_kib": peak - before,
        "seconds": seconds,
    }


def render(results: list[dict[str, Any]]) -> str:
    rows = [
        [
            r["framework"],
            f"{r['rss_before_kib'] / 1024:.1f}",
            f"{r['peak_rss_kib'] / 1024:.1f}",
            f"{r['growth_kib'] / 1024:+.1f}",
            f"{r['megabytes'] / r['seconds']:.0f}",
        ]
        for r in results
    ]
    headers = ["framework", "RSS before (MiB)", "peak RSS (MiB)", "growth (MiB)"]
    return report.table([*headers, "MiB/s"], rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", default=",".join(EXTRAS))
    parser.add_argument("--megabytes", type=int, default=100, help="file size in MiB")
    parser.add_argument("--quick", action="store_true", help="a 10 MiB upload")
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)
    report.warn_if_busy()
    if args.quick:
        args.megabytes = 10
    results = []
    for framework in args.frameworks.split(","):
        try:
            load_extras(framework, "forms")
        except FrameworkUnavailableError as exc:
            print(f"skipping {exc}")
            continue
        results.append(measure(framework, args.megabytes))
    print(f"server memory during a {args.megabytes} MiB multipart upload")
    print(render(results))
    if args.json:
        environment = report.environment([*EXTRAS, "uvicorn"])
        report.write_json(args.json, {"environment": environment, "results": results})


if __name__ == "__main__":
    main()
