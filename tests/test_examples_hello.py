"""examples/hello.py and examples/hello_raw.py, in-process and under uvicorn."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from _core_helpers import call

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]


def load_example(name: str) -> ModuleType:
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("name", ["hello", "hello_raw"])
async def test_examples_hello_says_hello_in_process(name: str) -> None:
    result = await call(load_example(name).app)
    assert (result.status, result.text) == (200, "Hello, World!")
    assert result.header("content-type") == "text/plain; charset=utf-8"


async def test_examples_hello_raw_unknown_path_is_404() -> None:
    assert (await call(load_example("hello_raw").app, "GET", "/x")).status == 404


def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    """Poll ``url`` until the server answers (at most ~15 s)."""
    for _ in range(150):
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited early with {process.returncode}")
        try:
            return httpx.get(url, timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"no answer from {url}")


def test_examples_hello_under_real_uvicorn() -> None:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "examples.hello:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        response = wait_until_serving(f"http://127.0.0.1:{port}/", process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    assert (response.status_code, response.text) == (200, "Hello, World!")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
