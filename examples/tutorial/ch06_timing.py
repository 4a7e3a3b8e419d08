"""Chapter 6: a middleware wraps an app, and changes the response by wrapping
`send`.

Serve it with `uvicorn examples.tutorial.ch06_timing:app`, then
`curl -i localhost:8000/`.
"""

import time

from examples.tutorial.ch01_hello import app as hello_app


class Timing:
    """Add a Server-Timing header (browsers' dev tools show it): the
    milliseconds the app took to start its response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # not ours: pass it through
            return
        started = time.perf_counter()

        async def send_with_timing(message):
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                timing = f"app;dur={elapsed:.3f}".encode()
                headers = [*message["headers"], (b"server-timing", timing)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_timing)


app = Timing(hello_app)
