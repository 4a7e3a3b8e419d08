"""An app whose errors the logging tests read back from a real server's log.

``/crash`` raises and ends in a 500; ``/bad`` raises an error that the app's
own exception handler answers with a 400, which is the client's mistake.
"""

from __future__ import annotations

from microasgi import App, JSONResponse, Request


class BadInputError(Exception):
    """The request asked for something that cannot be done."""


app = App()


@app.exception_handler(BadInputError)
async def bad_input(request: Request, exc: BadInputError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)


@app.get("/")
async def ready(request: Request) -> str:
    return "ready"


@app.get("/crash")
async def crash(request: Request) -> str:
    raise RuntimeError("the disk is on fire")


@app.get("/bad")
async def bad(request: Request) -> str:
    raise BadInputError("no such colour")
