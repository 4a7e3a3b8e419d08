"""Chapter 3: a `Response` that is itself an ASGI app.

Serve it with `uvicorn examples.tutorial.ch03_response:app`; or serve one
response object on its own: `uvicorn examples.tutorial.ch03_response:hello
--lifespan off`.
"""

import json


class Response:
    media_type = "text/plain; charset=utf-8"

    def __init__(self, content, status_code=200, headers=None):
        self.status_code = status_code
        self.body = self.render(content)
        self.headers = dict(headers or {})
        self.headers.setdefault("content-type", self.media_type)
        self.headers["content-length"] = str(len(self.body))

    def render(self, content):
        return content.encode() if isinstance(content, str) else content

    async def __call__(self, scope, receive, send):
        raw_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
        ]
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": raw_headers,
            }
        )
        await send({"type": "http.response.body", "body": self.body})


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content):
        return json.dumps(content).encode()


hello = Response("Hello from a Response object!\n")


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/json":
        response = JSONResponse({"path": scope["path"], "method": scope["method"]})
    else:
        response = Response("Hello, World!\n")
    await response(scope, receive, send)
