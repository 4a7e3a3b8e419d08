"""Watching ASGI: an app that breaks the spec, an echo WebSocket, a handler
that blocks the event loop in debug mode, and a test that prints the
conversation of one request.

Trace them with `microasgi trace examples.watching_howto:broken GET /`,
`microasgi trace examples.watching_howto:app --ws /echo --send hi` and
`microasgi trace examples.watching_howto:app /slow`; run the tests with
`python -m pytest -s examples/watching_howto.py`.
"""

import time
from pathlib import Path

from microasgi import App

# isort: split
# --8<-- [start:test-imports]
from examples.hello import app as hello_app
from microasgi.replay import assert_replays
from microasgi.testclient import TestClient
from microasgi.tooling.trace import format_conversation

# --8<-- [end:test-imports]


# --8<-- [start:broken]
async def broken(scope, receive, send):
    await send({"type": "http.response.start", "status": 200})
    await send({"type": "http.response.body", "body": "Hello"})


# --8<-- [end:broken]


# --8<-- [start:debug]
app = App(debug=True)


@app.get("/slow")
async def slow(request):
    time.sleep(0.2)  # blocks the event loop
    return "done"


# --8<-- [end:debug]


# --8<-- [start:echo]
@app.websocket("/echo")
async def echo(ws):
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_text(text)


# --8<-- [end:echo]


# --8<-- [start:test]
def test_hello_answers_hello_world():
    client = TestClient(hello_app)
    response = client.get("/")
    print(format_conversation(response.extensions["microasgi.conversation"]))
    assert response.text == "Hello, World!"


# --8<-- [end:test]


# --8<-- [start:replay]
RECORDED = Path(__file__).parent / "conversations"


def test_hello_still_answers_as_recorded():
    assert_replays(hello_app, RECORDED / "hello.json")


# --8<-- [end:replay]
