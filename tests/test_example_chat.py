"""examples/chat: rooms and broadcast in-process, then two real browsers talking.

The browser tests serve the example with uvicorn on 127.0.0.1 and drive
Debian's headless Chromium with Playwright. They are skipped when either is
missing. Set ``UPDATE_SCREENSHOTS=1`` to refresh ``docs/img/chat.png``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from screenshots import tabs_picture
from servers import serve

from microasgi import WebSocketDisconnect
from microasgi.testing.client import TestClient

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


def test_example_chat_serves_the_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "new WebSocket(url)" in response.text


def test_example_chat_broadcasts_to_everyone_in_the_room(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=ada") as ada:
        assert ada.receive_json() == {"from": "system", "text": "ada joined lobby"}
        with client.websocket_connect("/ws/lobby?name=bob") as bob:
            assert bob.receive_json()["text"] == "bob joined lobby"
            assert ada.receive_json()["text"] == "bob joined lobby"
            bob.send_text("hi all")
            assert ada.receive_json() == {"from": "bob", "text": "hi all"}
            assert bob.receive_json() == {"from": "bob", "text": "hi all"}


def test_example_chat_rooms_are_separate(client: TestClient) -> None:
    with (
        client.websocket_connect("/ws/red?name=ada") as ada,
        client.websocket_connect("/ws/blue?name=bob") as bob,
    ):
        ada.receive_json()
        bob.receive_json()
        bob.send_text("only blue")
        assert bob.receive_json()["text"] == "only blue"
        ada.send_text("only red")
        assert ada.receive_json()["text"] == "only red"  # not bob's message


def test_example_chat_announces_and_forgets_those_who_leave(
    chat: ModuleType, client: TestClient
) -> None:
    with client.websocket_connect("/ws/lobby?name=ada") as ada:
        ada.receive_json()
        with client.websocket_connect("/ws/lobby?name=bob") as bob:
            bob.receive_json()
            ada.receive_json()
        assert ada.receive_json() == {"from": "system", "text": "bob left"}
        assert len(chat.rooms.rooms["lobby"].members) == 1
    deadline = time.monotonic() + 5
    while chat.rooms.rooms and time.monotonic() < deadline:
        time.sleep(0.01)
    assert chat.rooms.rooms == {}


def test_example_chat_caps_message_length(client: TestClient) -> None:
    with client.websocket_connect("/ws/lobby?name=ada") as ada:
        ada.receive_json()
        ada.send_text("x" * 5000)
        assert len(ada.receive_json()["text"]) == 1000


class FakeMember:
    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.got: list[Any] = []

    async def send_json(self, message: Any) -> None:
        if self.fails:
            raise WebSocketDisconnect(1006)
        self.got.append(message)


def test_example_chat_failed_send_drops_only_that_member(chat: ModuleType) -> None:
    room = chat.Room()
    alive, gone, also_alive = FakeMember(False), FakeMember(True), FakeMember(False)
    room.members.update({alive, gone, also_alive})
    asyncio.run(room.broadcast({"from": "ada", "text": "hi"}))
    assert room.members == {alive, also_alive}
    assert alive.got == also_alive.got == [{"from": "ada", "text": "hi"}]


# In a real browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def chat_server() -> Iterator[str]:
    """The chat example under uvicorn on 127.0.0.1; yields its base URL."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary found (install Debian's 'chromium')")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with serve("uvicorn-httptools", CHAT / "app.py") as running:
        yield running.url


@pytest.fixture
def browser(chat_server: str) -> Iterator[Any]:
    """A fresh headless Chromium profile; yields its browser context."""
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
    return page


def test_example_chat_two_browsers_exchange_a_message(
    chat_server: str, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    errors: list[Any] = []
    ada = join(browser, chat_server, "ada", "lobby", errors)
    bob = join(browser, chat_server, "bob", "lobby", errors)
    expect(ada.locator("#log")).to_contain_text("bob joined lobby")
    bob.fill("#message", "hello from bob")
    bob.press("#message", "Enter")
    expect(ada.locator("#log li").last).to_have_text("bob: hello from bob")
    ada.fill("#message", "hi bob <b>!</b>")
    ada.press("#message", "Enter")
    expect(bob.locator("#log li").last).to_have_text("ada: hi bob <b>!</b>")
    expect(ada.locator("#log li").last).to_have_text("ada: hi bob <b>!</b>")
    assert ada.locator("#log b").count() == 0  # shown as text, never as HTML
    shot = tabs_picture(browser, [ada, bob], ["ada's tab", "bob's tab"])
    assert shot.startswith(b"\x89PNG")
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.write_bytes(shot)
    assert errors == []  # no JavaScript errors on either page


def test_example_chat_closing_a_tab_tells_the_room(
    chat_server: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    ada = join(browser, chat_server, "ada", "garden")
    bob = join(browser, chat_server, "bob", "garden")
    expect(ada.locator("#log")).to_contain_text("bob joined garden")
    bob.close()
    expect(ada.locator("#log li").last).to_have_text(re.compile(r"system: bob left"))
