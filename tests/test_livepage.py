"""The live conversation page: mounted only in debug mode, fed by every connection.

In-process tests check what the page serves and records; the browser tests
serve ``tests/apps/live_app.py`` with uvicorn on 127.0.0.1 and watch the page
in Debian's headless Chromium (set ``UPDATE_SCREENSHOTS=1`` to refresh
``docs/img/live-page.png``).
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import Server, serve
from test_example_chat import BROWSER_ARGS, CHROMIUM

import microasgi
from microasgi import App, WebSocket
from microasgi.testing.client import TestClient
from microasgi.tooling.livepage import BODY_LIMIT, ConnectionLog, LivePage

ROOT = Path(__file__).resolve().parents[1]
APP = Path(__file__).parent / "apps" / "live_app.py"
SCREENSHOT = ROOT / "docs" / "img" / "live-page.png"
CORE = ["app", "routing", "requests", "responses", "datastructures", "types",
        "exceptions", "extensions", "concurrency", "lifespan"]  # fmt: skip


def make_app(debug: bool) -> App:
    app = App(debug=debug)

    @app.get("/hello")
    async def hello(request: Any) -> str:
        return "Hello"

    @app.post("/echo")
    async def echo(request: Any) -> bytes:
        return await request.body()

    @app.websocket("/ws")
    async def ws_echo(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text(await ws.receive_text())

    return app


def live_page(app: App) -> LivePage:
    stack = app._stack
    assert isinstance(stack, LivePage)
    return stack


# In-process -------------------------------------------------------------------


def test_live_page_is_never_mounted_without_debug() -> None:
    with TestClient(make_app(debug=False)) as client:
        assert client.get("/_microasgi/").status_code == 404
        assert client.get("/_microasgi/events").status_code == 404


def test_live_page_serves_its_page_and_assets_in_debug_mode() -> None:
    with TestClient(make_app(debug=True)) as client:
        page = client.get("/_microasgi/")
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert '<script src="live.js"></script>' in page.text
        assert "http" not in page.text.split("<body>")[1].split("<script")[0].lower()
        script = client.get("/_microasgi/live.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert "new EventSource(" in script.text
        assert client.get("/_microasgi/live.css").status_code == 200
        assert client.get("/_microasgi/nothing").status_code == 404
        redirect = client.get("/_microasgi", follow_redirects=False)
        assert redirect.headers["location"] == "/_microasgi/"


def test_live_page_records_each_request_but_not_its_own() -> None:
    app = make_app(debug=True)
    with TestClient(app) as client:
        client.get("/_microasgi/")
        client.get("/hello?x=1")
    [entry] = live_page(app).log.entries
    assert (entry["method"], entry["path"], entry["query"]) == ("GET", "/hello", "x=1")
    assert (entry["status"], entry["done"], entry["kind"]) == (200, True, "http")
    assert [event["summary"] for event in entry["events"]] == [
        "http.response.start (200)",
        "http.response.body (5 bytes)",
    ]


def test_live_page_shows_the_path_below_root_path_once() -> None:
    app = make_app(debug=True)
    with TestClient(app, root_path="/pre") as client:
        client.get("/hello")
        redirect = client.get("/_microasgi", follow_redirects=False)
    assert redirect.headers["location"] == "/pre/_microasgi/"
    assert [entry["path"] for entry in live_page(app).log.entries] == ["/pre/hello"]


def test_live_page_keeps_only_the_start_of_a_big_body() -> None:
    app = make_app(debug=True)
    with TestClient(app) as client:
        client.post("/echo", content=b"x" * 5000)
    [entry] = live_page(app).log.entries
    body = entry["events"][-1]["message"]
    assert (len(body["body"]), body["body_length"]) == (BODY_LIMIT, 5000)
    assert entry["events"][-1]["summary"] == "http.response.body (5000 bytes)"


def test_live_page_records_a_websocket_session_when_it_opens_and_ends() -> None:
    app = make_app(debug=True)
    log = None
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        log = live_page(app).log
        ws.send_text("hi")
        assert ws.receive_text() == "hi"
    [entry] = log.entries
    assert (entry["kind"], entry["status"], entry["done"]) == ("websocket", 101, True)
    assert [event["summary"] for event in entry["events"]][:2] == [
        "websocket.connect",
        "websocket.accept",
    ]


@pytest.mark.anyio
async def test_connection_log_streams_the_kept_entries_then_new_ones() -> None:
    log = ConnectionLog()
    log.publish({"id": 1, "path": "/a"})
    stream = log.stream()
    first = await stream.__anext__()
    assert json.loads(first.data) == {"id": 1, "path": "/a"}
    waiting = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0)
    log.publish({"id": 2, "path": "/b"})
    assert json.loads((await waiting).data)["id"] == 2
    log.close()
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert log.watchers == set()


@pytest.mark.anyio
async def test_live_page_ends_open_streams_when_the_server_shuts_down() -> None:
    async def lifespan_app(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "lifespan.shutdown"

    page = LivePage(lifespan_app)
    stream = page.log.stream()
    waiting = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0)

    async def receive() -> dict[str, str]:
        return {"type": "lifespan.shutdown"}

    await page({"type": "lifespan"}, receive, None)
    with pytest.raises(StopAsyncIteration):
        await waiting


def test_the_core_never_imports_the_live_page() -> None:
    package = Path(microasgi.__file__).parent
    for name in CORE:
        tree = ast.parse((package / "core" / f"{name}.py").read_text())
        imported = {
            node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert not any("livepage" in str(module) for module in imported), name


# In a real browser -------------------------------------------------------------


@pytest.fixture(scope="module")
def live_server() -> Iterator[Server]:
    """The live app under uvicorn on 127.0.0.1."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary found (install Debian's 'chromium')")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with serve("uvicorn-httptools", APP, ready_path="/hello") as running:
        yield running


@pytest.fixture
def page(live_server: Server) -> Iterator[Any]:
    """A fresh headless Chromium tab on the live page, once it is connected;
    fails the test if the page had a JavaScript error."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS,
            viewport={"width": 1000, "height": 900},
        )  # fmt: skip
        context.set_default_timeout(10_000)
        try:
            tab = context.new_page()
            errors: list[Any] = []
            tab.on("pageerror", lambda error: errors.append(error))
            tab.goto(live_server.url + "/_microasgi/")
            expect(tab.locator("#status")).to_have_text("live")
            yield tab
            assert errors == []  # no JavaScript errors
        finally:
            context.close()


def make_requests(server: Server) -> None:
    from websockets.sync.client import connect

    with httpx.Client(base_url=server.url, trust_env=False, timeout=5) as client:
        assert client.get("/items/7").status_code == 200
        assert client.get("/items/404").status_code == 404
    with connect(server.ws_url + "/ws", open_timeout=5, close_timeout=5) as ws:
        ws.send("hello")
        assert ws.recv(timeout=5) == "HELLO"


def test_live_page_shows_requests_as_they_happen(live_server: Server, page: Any):
    from playwright.sync_api import expect

    make_requests(live_server)
    cards = page.locator("article")
    expect(page.locator("article", has_text="GET /items/7 200")).to_have_count(1)
    expect(page.locator("article", has_text="GET /items/404 404")).to_have_count(1)
    expect(page.locator("article", has_text="WEBSOCKET /ws 101")).to_have_count(1)
    first_get = page.locator("article", has_text="GET /items/7 200").first
    expect(first_get.locator("g.send")).to_have_count(2)
    expect(first_get.locator("g.send text.label").first).to_have_text(
        "http.response.start (200)"
    )
    assert cards.count() >= 3
    shot = page.screenshot(full_page=False)
    assert shot.startswith(b"\x89PNG")
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.write_bytes(shot)


def test_live_page_filters_by_path_and_status(live_server: Server, page: Any):
    from playwright.sync_api import expect

    make_requests(live_server)
    expect(page.locator("article", has_text="WEBSOCKET /ws")).not_to_have_count(0)
    page.fill("#path-filter", "/items/404")
    expect(page.locator("article")).not_to_have_count(0)
    for title in page.locator("article h2").all_inner_texts():
        assert title.startswith("GET /items/404 404")
    page.fill("#path-filter", "")
    page.select_option("#status-filter", "2")
    for title in page.locator("article h2").all_inner_texts():
        assert title.endswith(" 200")
    page.select_option("#status-filter", "ws")
    for title in page.locator("article h2").all_inner_texts():
        assert title.startswith("WEBSOCKET /ws")
