"""Testing: an app and its tests, side by side.

Run the tests with `python -m pytest examples/testing_howto.py`. In a real
project the app lives in its own module and the tests in tests/.
"""

# --8<-- [start:app]
from datetime import datetime, timezone

import pytest

from microasgi import App, TestClient
from microasgi.testclient import AsyncTestClient

app = App()


@app.on_startup
async def start_clock():
    app.state.now = lambda: datetime.now(timezone.utc)  # swapped out in tests


@app.get("/time")
async def time(request):
    return {"now": request.app.state.now().isoformat()}


@app.post("/echo")
async def echo(request):
    return await request.json()


@app.websocket("/shout")
async def shout(ws):
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_text(text.upper())


# --8<-- [end:app]


# --8<-- [start:fixture]
@pytest.fixture
def client():
    with TestClient(app) as client:  # `with` runs startup and shutdown
        yield client


def test_echo_returns_the_json_sent(client):
    response = client.post("/echo", json={"hello": "world"})
    assert response.status_code == 200
    assert response.json() == {"hello": "world"}


def test_echo_refuses_malformed_json(client):
    response = client.post(
        "/echo", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.text.startswith("Invalid JSON")


# --8<-- [end:fixture]


# --8<-- [start:state]
def test_time_uses_the_clock_in_app_state(client):
    # The fixture ran startup already; the next test's startup resets this.
    app.state.now = lambda: datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert client.get("/time").json() == {"now": "2030-01-01T00:00:00+00:00"}


# --8<-- [end:state]


# --8<-- [start:websocket]
def test_shout_upper_cases_each_message(client):
    with client.websocket_connect("/shout") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "HELLO"


# --8<-- [end:websocket]


# --8<-- [start:messages]
def test_echo_sends_one_body_message(client):
    client.post("/echo", json=[1, 2])
    sent = [
        event.message
        for event in client.last_conversation.events
        if event.direction == "send"
    ]
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", b"5"),
                (b"content-type", b"application/json"),
            ],
        },
        {"type": "http.response.body", "body": b"[1,2]"},
    ]


# --8<-- [end:messages]


# --8<-- [start:async]
@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_echo_with_the_async_client():
    async with AsyncTestClient(app) as client:
        response = await client.post("/echo", json={"async": True})
    assert response.json() == {"async": True}


@pytest.mark.anyio
async def test_shout_with_the_async_client():
    async with (
        AsyncTestClient(app) as client,
        client.websocket_connect("/shout") as ws,
    ):
        await ws.send_text("hello")
        assert await ws.receive_text() == "HELLO"


# --8<-- [end:async]
