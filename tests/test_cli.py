"""The ``microasgi`` command: run, trace and routes, as a user runs them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from microasgi.tooling.cli import main
from microasgi.tooling.loading import AppLoadError, AppTarget, load_app

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "microasgi"

STARLETTE_APP = """
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def shout(request):
    body = await request.body()
    return PlainTextResponse(body.upper(), headers={"x-shout": "yes"})


app = Starlette(routes=[Route("/shout", shout, methods=["POST"])])
"""

TWO_ROUTES_APP = """
from microasgi import App

app = App()


@app.get("/items")
async def list_items(request):
    return []


@app.post("/items")
async def create_item(request):
    return {}


@app.websocket("/ws")
async def chat(ws):
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_text(text)


def not_an_app(environ, start_response):
    return []
"""


def run_cli(
    *args: str, cwd: Path = ROOT, script: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a fresh process, as a user would."""
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "microasgi"]
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def message_types(output: str) -> list[str]:
    """The ASGI message types in a printed trace, in order."""
    words = [line.split() for line in output.splitlines()]
    return [
        line[2] for line in words if len(line) == 3 and line[1] in ("receive", "send")
    ] + [line[3] for line in words if len(line) == 4 and line[2] in ("receive", "send")]


@pytest.fixture
def starlette_file(tmp_path: Path) -> Path:
    path = tmp_path / "shouting.py"
    path.write_text(STARLETTE_APP)
    return path


@pytest.fixture
def routes_file(tmp_path: Path) -> Path:
    path = tmp_path / "two_routes.py"
    path.write_text(TWO_ROUTES_APP)
    return path


# trace ---------------------------------------------------------------------


def test_cli_trace_hello_shows_the_conversation() -> None:
    result = run_cli("trace", "examples.hello:app", "GET", "/", script=True)
    assert result.returncode == 0, result.stderr
    assert message_types(result.stdout) == [
        "http.request",
        "http.response.start",
        "http.response.body",
    ]
    assert "content-type: text/plain; charset=utf-8" in result.stdout
    assert "body       b'Hello, World!' (13 bytes)" in result.stdout


def test_cli_trace_a_starlette_app(starlette_file: Path) -> None:
    result = run_cli(
        "trace", f"{starlette_file}:app", "POST", "/shout", "-d", "hi",
        cwd=starlette_file.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert message_types(result.stdout) == [
        "http.request",
        "http.response.start",
        "http.response.body",
    ]
    assert "x-shout: yes" in result.stdout
    assert "body       b'HI' (2 bytes)" in result.stdout


def test_cli_trace_offers_an_extension_and_names_its_use(tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_text("hello")
    (tmp_path / "files.py").write_text(
        "from starlette.responses import FileResponse\n"
        "async def app(scope, receive, send):\n"
        "    await FileResponse('page.txt')(scope, receive, send)\n"
    )
    result = run_cli(
        "trace", "files.py", "GET", "/", "--extension", "http.response.pathsend",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "http.response.pathsend" in message_types(result.stdout)
    assert (
        "extensions offered by the server: http.response.pathsend; "
        "used by the app: http.response.pathsend"
    ) in result.stdout


LAYERED_APP = """\
from microasgi import App
from microasgi.batteries.middleware import GZipMiddleware

app = App()
app.add_middleware(GZipMiddleware, minimum_size=10)

@app.get("/")
async def index(request):
    return "hello " * 100
"""


def test_cli_trace_layers_lists_what_each_layer_changed(tmp_path: Path) -> None:
    (tmp_path / "layered.py").write_text(LAYERED_APP)
    result = run_cli(
        "trace", "layered.py", "GET", "/", "-H", "Accept-Encoding: gzip", "--layers",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    listing = result.stdout.split("layers, outermost first, and what each changed:\n")
    assert listing[1].splitlines()[:4] == [
        "server",
        "  ServerErrorMiddleware",
        "    passed everything through unchanged",
        "    GZipMiddleware",
    ]
    assert "body compressed: 600 -> 32 bytes" in listing[1]


def test_cli_trace_format_mermaid(tmp_path: Path) -> None:
    (tmp_path / "layered.py").write_text(LAYERED_APP)
    result = run_cli(
        "trace", "layered.py", "/", "--layers", "--format", "mermaid", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sequenceDiagram\n    participant P0 as Server\n")
    assert "    P1-->>P0: http.response.body (600 bytes)" in result.stdout


def test_cli_trace_layers_of_a_raw_app_says_why_not() -> None:
    result = run_cli("trace", "examples/hello_raw.py", "GET", "/", "--layers")
    assert result.returncode == 1
    assert "layers can be shown for a microasgi App only" in result.stderr


def test_cli_trace_a_raw_asgi_callable() -> None:
    result = run_cli("trace", "examples/hello_raw.py", "GET", "/missing")
    assert result.returncode == 0, result.stderr
    assert "status   404" in result.stdout
    assert "b'Not Found' (9 bytes)" in result.stdout


def test_cli_trace_sends_headers_and_body(starlette_file: Path) -> None:
    result = run_cli(
        "trace", "shouting:app", "POST", "/shout", "-d", "abc",
        "-H", "X-Token: 42", cwd=starlette_file.parent,
    )  # fmt: skip
    assert "x-token: 42" in result.stdout
    assert "content-length: 3" in result.stdout
    assert "body       b'abc' (3 bytes)" in result.stdout


def test_cli_trace_reads_the_body_from_a_file(starlette_file: Path) -> None:
    (starlette_file.parent / "body.txt").write_text("from a file")
    result = run_cli(
        "trace", "shouting:app", "POST", "/shout", "-d", "@body.txt",
        cwd=starlette_file.parent,
    )  # fmt: skip
    assert "b'FROM A FILE'" in result.stdout


def test_cli_trace_json_is_machine_readable() -> None:
    result = run_cli("trace", "examples.hello:app", "/", "--json")
    [data] = json.loads(result.stdout)
    assert [event["message"]["type"] for event in data["events"]] == [
        "http.response.start",
        "http.response.body",
    ]
    assert data["events"][1]["message"]["body"] == "Hello, World!"
    assert data["outcome"]["unread"][0]["type"] == "http.request"


def test_cli_trace_websocket_script(routes_file: Path) -> None:
    result = run_cli(
        "trace", "two_routes:app", "--ws", "/ws", "--send", "hi",
        cwd=routes_file.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert message_types(result.stdout) == [
        "websocket.connect",
        "websocket.accept",
        "websocket.receive",
        "websocket.send",
        "websocket.disconnect",
    ]


def test_cli_trace_is_plain_when_piped() -> None:
    result = run_cli("trace", "examples.hello:app", "GET", "/")
    assert "\033[" not in result.stdout


def test_cli_trace_color_always() -> None:
    result = run_cli("trace", "examples.hello:app", "GET", "/", "--color", "always")
    assert "\033[32msend   \033[0m" in result.stdout


def test_cli_trace_breach_exits_1(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        "async def app(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 200})\n"
        "    await send({'type': 'http.response.body', 'body': 'text'})\n"
    )
    result = run_cli("trace", "broken.py", "GET", "/", cwd=tmp_path)
    assert result.returncode == 1
    assert "!! ASGI breach: 'http.response.body' field 'body' must be bytes" in (
        result.stdout
    )


def test_cli_trace_app_error_prints_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "failing.py").write_text(
        "async def app(scope, receive, send):\n    raise KeyError('gone')\n"
    )
    result = run_cli("trace", "failing.py", "GET", "/", cwd=tmp_path)
    assert result.returncode == 1
    assert "the app raised KeyError: 'gone'" in result.stdout
    assert "Traceback" in result.stderr


def test_cli_trace_lifespan(tmp_path: Path) -> None:
    result = run_cli("trace", "examples.hello:app", "GET", "/", "--lifespan")
    assert result.returncode == 0, result.stderr
    assert "lifespan.startup.complete" in result.stdout
    assert "lifespan.shutdown.complete" in result.stdout


def test_cli_trace_refuses_a_path_without_slash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["trace", "examples.hello:app", "GET", "items"]) == 1
    assert "the path must start with '/', got 'items'" in capsys.readouterr().err


def test_cli_trace_refuses_a_bad_header(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "examples.hello:app", "/", "-H", "no colon"]) == 1
    assert "a header is written 'Name: value'" in capsys.readouterr().err


# Finding the app -----------------------------------------------------------


def test_cli_missing_module_says_so() -> None:
    result = run_cli("trace", "examples.nothing:app", "GET", "/")
    assert result.returncode == 1
    assert "no module named 'examples.nothing'" in result.stderr


def test_cli_missing_attribute_lists_the_apps(routes_file: Path) -> None:
    result = run_cli("routes", "two_routes:application", cwd=routes_file.parent)
    assert result.returncode == 1
    assert "has no attribute 'application'; ASGI apps it defines: app." in (
        result.stderr
    )


def test_cli_refuses_a_sync_callable(routes_file: Path) -> None:
    result = run_cli("trace", "two_routes:not_an_app", "/", cwd=routes_file.parent)
    assert result.returncode == 1
    assert "is a plain (sync) callable, maybe a WSGI app" in result.stderr


def test_cli_refuses_a_missing_file(tmp_path: Path) -> None:
    result = run_cli("trace", "nowhere/app.py", "/", cwd=tmp_path)
    assert result.returncode == 1
    assert "no file 'nowhere/app.py'" in result.stderr


def test_app_target_parse_defaults_to_app() -> None:
    assert AppTarget.parse("pkg.mod") == AppTarget("pkg.mod", "app")
    assert AppTarget.parse("pkg.mod:api") == AppTarget("pkg.mod", "api")


def test_app_target_parse_keeps_a_windows_drive() -> None:
    assert AppTarget.parse(r"C:\apps\hello.py") == AppTarget(r"C:\apps\hello.py")


def test_app_target_import_string_for_a_file() -> None:
    target = AppTarget.parse("examples/hello.py:app")
    assert (target.import_string, target.app_dir) == ("hello:app", "examples")


def test_app_target_import_string_for_a_module() -> None:
    target = AppTarget.parse("examples.hello")
    assert (target.import_string, target.app_dir) == ("examples.hello:app", ".")


def test_load_app_refuses_a_class() -> None:
    with pytest.raises(AppLoadError, match=r"is the class App, not an app"):
        load_app("microasgi:App")


def test_load_app_refuses_a_handler() -> None:
    with pytest.raises(AppLoadError, match=r"takes \(request\), so it is not an app"):
        load_app("examples.hello:hello")


def test_load_app_module_with_a_broken_import_shows_the_real_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "needs_missing.py").write_text("import no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency"):
        load_app("needs_missing:app")


# routes --------------------------------------------------------------------


def test_cli_routes_lists_every_route(routes_file: Path) -> None:
    result = run_cli("routes", "two_routes.py", cwd=routes_file.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "METHODS    PATH    NAME         HANDLER",
        "GET        /items  list_items   two_routes.list_items",
        "POST       /items  create_item  two_routes.create_item",
        "WEBSOCKET  /ws     chat         two_routes.chat",
        "(a GET route answers HEAD too; OPTIONS is answered for you)",
    ]


def test_cli_routes_explain_405_names_the_methods(routes_file: Path) -> None:
    result = run_cli(
        "routes", "two_routes:app", "--explain", "DELETE /items",
        cwd=routes_file.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "=> 405 Method Not Allowed: the path /items exists, but no route there "
        "takes DELETE. Methods it takes: GET, HEAD, POST; the response lists them "
        "in the header Allow: GET, HEAD, OPTIONS, POST."
    )


def test_cli_routes_explain_refuses_a_bad_request_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["routes", "examples.hello:app", "--explain", "GET"]) == 1
    assert "expected a request line like 'GET /items/3'" in capsys.readouterr().err


def test_cli_routes_needs_a_microasgi_app(starlette_file: Path) -> None:
    result = run_cli("routes", "shouting:app", cwd=starlette_file.parent)
    assert result.returncode == 1
    assert "is Starlette, not a microasgi App or Router" in result.stderr


# run -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_cli_run_serves_the_app(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "microasgi", "run", "examples.hello:app",
             "--port", str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            response = None
            deadline = time.monotonic() + 15
            while response is None and time.monotonic() < deadline:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                except httpx.TransportError:
                    time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert response is not None, (tmp_path / "server.log").read_text()
    assert (response.status_code, response.text) == (200, "Hello, World!")


def test_cli_run_missing_app_fails_before_serving() -> None:
    result = run_cli("run", "examples.hello:nope")
    assert result.returncode == 1
    assert "has no attribute 'nope'" in result.stderr
