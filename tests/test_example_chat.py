"""examples/chat: rooms and broadcast in-process, then two real browsers talking.

The browser tests serve the example with uvicorn on 127.0.0.1 and drive
Debian's headless Chromium with Playwright. They are skipped when either is
missing. Set ``UPDATE_SCREENSHOTS=1`` to refresh ``docs/img/chat.png`` (taken
with the two pages on two worker processes).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from screenshots import tabs_picture
from servers import (
    START_TIMEOUT,
    Server,
    discard,
    serve,
    serve_all,
    start,
    wait_until_serving,
)

from microasgi.testing.client import TestClient, WebSocketDenialError

ROOT = Path(__file__).parent.parent
CHAT = ROOT / "examples" / "chat"
SCREENSHOT = ROOT / "docs" / "img" / "chat.png"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-proxy-server",
]  # fmt: skip


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chat_example", CHAT / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def chat() -> ModuleType:
    return load_example()


@pytest.fixture
def client(chat: ModuleType) -> Iterator[TestClient]:
    with TestClient(chat.app) as client:
        yield client


# In-process ---------------------------------------------------------------------


def said(frame: dict[str, Any]) -> tuple[str, str]:
    """(from, text) of a room message frame; fails on any other frame."""
    assert frame["kind"] == "message", frame
    return frame["from"], frame["text"]


def test_example_chat_serves_the_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "new WebSocket(url)" in response.text
    assert 'id="worker"' in response.text


def test_example_chat_says_which_worker_answered(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=ada") as ada:
        assert ada.receive_json() == {
            "kind": "hello",
            "pid": os.getpid(),
            "room": "lobby",
        }


def test_example_chat_broadcasts_to_everyone_in_the_room(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=ada") as ada:
        ada.receive_json()  # hello
        assert said(ada.receive_json()) == ("system", "ada joined lobby")
        with client.websocket_connect("/ws/lobby?name=bob") as bob:
            bob.receive_json()
            assert said(bob.receive_json()) == ("system", "ada joined lobby")  # history
            assert said(bob.receive_json()) == ("system", "bob joined lobby")
            assert said(ada.receive_json()) == ("system", "bob joined lobby")
            bob.send_text("hi all")
            to_ada, to_bob = ada.receive_json(), bob.receive_json()
            assert said(to_ada) == said(to_bob) == ("bob", "hi all")
            assert to_ada["id"] == to_bob["id"]  # one message, one id


def test_example_chat_rooms_are_separate(client: TestClient) -> None:
    with (
        client.websocket_connect("/ws/red?name=ada") as ada,
        client.websocket_connect("/ws/blue?name=bob") as bob,
    ):
        ada.receive_json(), ada.receive_json()
        bob.receive_json(), bob.receive_json()
        bob.send_text("only blue")
        assert said(bob.receive_json()) == ("bob", "only blue")
        ada.send_text("only red")
        assert said(ada.receive_json()) == ("ada", "only red")  # not bob's message


def test_example_chat_announces_those_who_leave(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=ada") as ada:
        ada.receive_json(), ada.receive_json()
        with client.websocket_connect("/ws/lobby?name=bob") as bob:
            bob.receive_json()
            ada.receive_json()
        assert said(ada.receive_json()) == ("system", "bob left")


def test_example_chat_caps_message_length(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=ada") as ada:
        ada.receive_json(), ada.receive_json()
        ada.send_text("x" * 5000)
        assert len(said(ada.receive_json())[1]) == 1000


def test_example_chat_shows_the_history_on_join(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=ada") as ada:
        ada.receive_json(), ada.receive_json()
        ada.send_text("anyone here?")
        ada.receive_json()
        with client.websocket_connect("/ws/lobby?name=bob") as bob:
            bob.receive_json()
            history = [said(bob.receive_json()) for _ in range(3)]
            assert history == [("system", "ada joined lobby"), ("ada", "anyone here?"),
                               ("system", "bob joined lobby")]  # fmt: skip


def test_example_chat_resumes_after_the_last_message_seen(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=bob") as bob:
        bob.receive_json(), bob.receive_json()
        with client.websocket_connect("/ws/lobby?name=ada") as ada:
            ada.receive_json(), ada.receive_json()  # hello, "bob joined lobby"
            last_seen = ada.receive_json()["id"]  # "ada joined lobby"
        assert said(bob.receive_json()) == ("system", "ada joined lobby")
        assert said(bob.receive_json()) == ("system", "ada left")
        bob.send_text("one")
        bob.send_text("two")
        bob.receive_json(), bob.receive_json()
        path = f"/ws/lobby?name=ada&since={last_seen}"
        with client.websocket_connect(path) as ada:
            ada.receive_json()
            missed = [said(ada.receive_json()) for _ in range(4)]
            assert missed == [("system", "ada left"), ("bob", "one"), ("bob", "two"),
                              ("system", "ada is back in lobby")]  # fmt: skip


def test_example_chat_shows_a_gap_when_history_is_gone(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=bob") as bob:
        bob.receive_json(), bob.receive_json()
        with client.websocket_connect("/ws/lobby?name=ada") as ada:
            ada.receive_json(), ada.receive_json()
            last_seen = ada.receive_json()["id"]  # "ada joined lobby"
        bob.receive_json(), bob.receive_json()  # ada joined, ada left
        for number in range(150):  # more than the room's history of 100
            bob.send_text(f"line {number}")
        for _ in range(150):
            bob.receive_json()
        path = f"/ws/lobby?name=ada&since={last_seen}"
        with client.websocket_connect(path) as ada:
            ada.receive_json()
            assert ada.receive_json() == {"kind": "gap", "reason": "history"}
            texts = [said(ada.receive_json())[1] for _ in range(100)]
            assert texts == [f"line {number}" for number in range(50, 150)]
            assert said(ada.receive_json()) == ("system", "ada is back in lobby")


def test_example_chat_refuses_a_malformed_since(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDenialError) as denied,
        client.websocket_connect("/ws/lobby?name=ada&since=yesterday"),
    ):
        pass
    assert denied.value.status_code == 400
    assert b"'yesterday' is not a hub message id" in denied.value.body


def test_example_chat_refuses_an_overlong_room_name(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDenialError) as denied,
        client.websocket_connect(f"/ws/{'r' * 41}?name=ada"),
    ):
        pass
    assert denied.value.status_code == 400
    assert b"1 to 40 characters" in denied.value.body


def test_example_chat_says_so_when_a_message_cannot_be_sent(
    redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROASGI_HUB", redis_server.url)
    chat = load_example()
    with TestClient(chat.app) as client, client.websocket_connect("/ws/lobby") as ada:
        ada.receive_json(), ada.receive_json()
        redis_server.kill()  # the broker crashes: publishing cannot succeed
        ada.send_text("anyone?")
        frame = ada.receive_json()
        assert frame == {"kind": "error", "text": chat.NOT_SENT}
        redis_server.start()  # back, empty: the chat goes on, and says what it lost
        ada.send_text("back?")
        frames = [ada.receive_json(), ada.receive_json()]
        assert {"kind": "gap", "reason": "reset"} in frames
        assert ("guest", "back?") in [said(f) for f in frames if f["kind"] == "message"]


# In a real browser ------------------------------------------------------------------


def skip_without_a_browser() -> None:
    if CHROMIUM is None:
        pytest.skip("no chromium binary found (install Debian's 'chromium')")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def chat_server() -> Iterator[str]:
    """The chat example under uvicorn on 127.0.0.1 (Hub on memory://); its URL."""
    skip_without_a_browser()
    with serve("uvicorn-httptools", CHAT / "app.py") as running:
        yield running.url


@dataclass
class ChatWorkers:
    """The chat example under two uvicorn processes sharing one redis-server,
    as ``--workers 2`` would run it, but each on a port of its own so that a
    test can choose the worker, and stop and restart it."""

    servers: list[Server]
    env: dict[str, str]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def stop(self, index: int) -> None:
        discard(self.servers[index])

    def start(self, index: int) -> None:
        """A new process for worker ``index``, on the port it had."""
        port = self.servers[index].port
        self.servers[index] = start(
            "uvicorn-httptools", CHAT / "app.py", self.env, port=port
        )
        wait_until_serving(self.servers[index], "/", START_TIMEOUT)


@pytest.fixture
def chat_workers(redis_server: Any) -> Iterator[ChatWorkers]:
    skip_without_a_browser()
    env = {"MICROASGI_HUB": redis_server.url}
    apps = [(CHAT / "app.py", "/"), (CHAT / "app.py", "/")]
    with serve_all("uvicorn-httptools", apps, env) as servers:
        yield ChatWorkers(servers, env)  # serve_all stops whatever is in the list


@pytest.fixture
def browser() -> Iterator[Any]:
    """A fresh headless Chromium profile; yields its browser context."""
    skip_without_a_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS
        )
        context.set_default_timeout(10_000)
        try:
            yield context
        finally:
            context.close()


def join(
    browser: Any, url: str, name: str, room: str, errors: list[Any] | None = None
) -> Any:
    """Open the chat page in a new tab and join ``room`` as ``name``."""
    from playwright.sync_api import expect

    page = browser.new_page()
    if errors is not None:
        page.on("pageerror", lambda error: errors.append(error))
    page.goto(url)
    page.fill("#name", name)
    page.fill("#room", room)
    page.click("#join button")
    expect(page.locator("#status")).to_have_text(f"In room {room} as {name}.")
    expect(page.locator("#worker")).to_have_text(re.compile(r"worker process \d+"))
    return page


def say(page: Any, text: str) -> None:
    """Type ``text`` into the page's message box and send it."""
    page.fill("#message", text)
    page.press("#message", "Enter")


def last_line(page: Any) -> Any:
    return page.locator("#log li").last


def test_example_chat_two_browsers_exchange_a_message(
    chat_server: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    errors: list[Any] = []
    ada = join(browser, chat_server, "ada", "lobby", errors)
    bob = join(browser, chat_server, "bob", "lobby", errors)
    expect(ada.locator("#log")).to_contain_text("bob joined lobby")
    say(bob, "hello from bob")
    expect(last_line(ada)).to_have_text("bob: hello from bob")
    say(ada, "hi bob <b>!</b>")
    expect(last_line(bob)).to_have_text("ada: hi bob <b>!</b>")
    expect(last_line(ada)).to_have_text("ada: hi bob <b>!</b>")
    assert ada.locator("#log b").count() == 0  # shown as text, never as HTML
    assert errors == []  # no JavaScript errors on either page


def test_example_chat_closing_a_tab_tells_the_room(
    chat_server: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    ada = join(browser, chat_server, "ada", "garden")
    bob = join(browser, chat_server, "bob", "garden")
    expect(ada.locator("#log")).to_contain_text("bob joined garden")
    bob.close()
    expect(last_line(ada)).to_have_text(re.compile(r"system: bob left"))


def fill_room(url: str, room: str, count: int) -> None:
    """Say ``count`` lines in ``room`` and wait until the room has them all."""
    from websockets.sync.client import connect

    ws_url = f"{url.replace('http', 'ws')}/ws/{room}?name=filler"
    with connect(ws_url, open_timeout=5, close_timeout=5) as ws:
        for number in range(count):
            ws.send(f"line {number}")
        while json.loads(ws.recv(timeout=5)).get("text") != f"line {count - 1}":
            pass


def test_example_chat_page_says_when_older_messages_are_gone(
    chat_server: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    fill_room(chat_server, "attic", 120)
    ada = join(browser, chat_server, "ada", "attic")  # the room keeps 100
    expect(last_line(ada)).to_have_text("system: ada joined attic")
    expect(ada.locator("#log li").first).to_have_text(
        "Older messages are no longer kept."
    )
    expect(ada.locator("#log li.notice")).to_have_count(1)
    # The oldest held: line 20, or 21 if "filler left" came in before ada did.
    expect(ada.locator("#log li").nth(1)).to_have_text(
        re.compile(r"filler: line 2[01]$")
    )


def test_example_chat_browsers_on_two_workers_hear_each_other(
    chat_workers: ChatWorkers, browser: Any
) -> None:
    from playwright.sync_api import expect

    errors: list[Any] = []
    ada = join(browser, chat_workers.urls[0], "ada", "atrium", errors)
    bob = join(browser, chat_workers.urls[1], "bob", "atrium", errors)
    ada_pid = ada.locator("#worker").get_attribute("data-pid")
    bob_pid = bob.locator("#worker").get_attribute("data-pid")
    assert ada_pid and bob_pid and ada_pid != bob_pid  # two processes
    expect(ada.locator("#log")).to_contain_text("bob joined atrium")
    say(bob, "hello from the other worker")
    expect(last_line(ada)).to_have_text("bob: hello from the other worker")
    say(ada, "heard you")
    expect(last_line(bob)).to_have_text("ada: heard you")
    assert errors == []
    captions = [f"ada's tab (worker {ada_pid})", f"bob's tab (worker {bob_pid})"]
    shot = tabs_picture(browser, [ada, bob], captions)
    assert shot.startswith(b"\x89PNG")
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.write_bytes(shot)


def test_example_chat_page_resumes_on_a_restarted_worker(
    chat_workers: ChatWorkers, browser: Any
) -> None:
    from playwright.sync_api import expect

    ada = join(browser, chat_workers.urls[0], "ada", "porch")
    bob = join(browser, chat_workers.urls[1], "bob", "porch")
    expect(ada.locator("#log")).to_contain_text("bob joined porch")
    first_pid = ada.locator("#worker").get_attribute("data-pid")
    chat_workers.stop(0)  # ada's worker goes away; her page keeps retrying
    expect(ada.locator("#status")).to_have_text(re.compile("reconnecting"))
    say(bob, "said while you were away")
    expect(last_line(bob)).to_have_text("bob: said while you were away")
    chat_workers.start(0)
    expect(ada.locator("#status")).to_have_text("In room porch as ada.", timeout=20_000)
    expect(last_line(ada)).to_have_text("system: ada is back in porch")
    assert ada.locator("#worker").get_attribute("data-pid") != first_pid
    lines = ada.locator("#log li").all_inner_texts()
    assert lines.count("bob: said while you were away") == 1  # missed, then shown once
