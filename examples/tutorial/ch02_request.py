"""Chapter 2: a `Request` class that wraps the scope and `receive`.

Serve it with `uvicorn examples.tutorial.ch02_request:app`, then
`curl 'localhost:8000/?name=Ada'` or
`curl -H 'content-type: application/json' -d '{"name": "Ada"}' localhost:8000/`.
"""

import json
from urllib.parse import parse_qsl

from examples.tutorial.ch02_read_body import read_body


class Request:
    def __init__(self, scope, receive):
        self.scope = scope
        self.receive = receive
        self._body = None

    @property
    def method(self):
        return self.scope["method"]

    @property
    def path(self):
        return self.scope["path"]

    @property
    def headers(self):
        # Header names arrive lower-cased, as bytes. A dict keeps only the
        # last of repeated headers; microasgi's Headers keeps them all.
        return {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in self.scope["headers"]
        }

    @property
    def query_params(self):
        return dict(parse_qsl(self.scope["query_string"].decode("latin-1")))

    async def body(self):
        if self._body is None:  # receive() gives each message only once
            self._body = await read_body(self.receive)
        return self._body

    async def json(self):
        return json.loads(await self.body())


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    request = Request(scope, receive)
    if request.headers.get("content-type") == "application/json":
        name = (await request.json()).get("name", "stranger")
    else:
        name = request.query_params.get("name", "stranger")
    reply = f"Hello, {name}! ({request.method} {request.path})\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": reply})
