"""Chapter 7: turn an exception into a 500, but only if nothing was sent yet.

Serve it with `uvicorn examples.tutorial.ch07_catch_errors:app`, then
`curl -i localhost:8000/boom` and `curl -i localhost:8000/half`.
"""

import logging

from examples.tutorial.ch03_response import Response

logger = logging.getLogger("tutorial")


class CatchErrors:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_and_track_start(message):
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_track_start)
        except Exception:
            logger.exception("error in %s %s", scope["method"], scope["path"])
            if response_started:
                raise  # too late for a 500: the server drops the connection
            response = Response("Internal Server Error\n", status_code=500)
            await response(scope, receive, send)


async def fragile(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/boom":
        raise ValueError("failed before anything was sent")
    if scope["path"] == "/half":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("failed after the status line went out")
    await Response("Fine\n")(scope, receive, send)


app = CatchErrors(fragile)
