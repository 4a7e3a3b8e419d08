"""Chapter 8: test an ASGI app by calling it: script `receive`, record `send`.

Run the test with `python -m pytest examples/tutorial/ch08_call_directly.py`.
"""

import asyncio

from examples.tutorial.ch01_hello import app


async def call(app, scope, messages):
    """Call `app` once; `receive` plays `messages`, `send` records."""
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_hello_sends_start_then_body():
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [],
    }
    request = [{"type": "http.request", "body": b"", "more_body": False}]
    sent = asyncio.run(call(app, scope, request))
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        },
        {"type": "http.response.body", "body": b"Hello, World!"},
    ]
