"""Chapter 1: an ASGI app with no framework at all.

Serve it with `uvicorn examples.tutorial.ch01_hello:app`.
"""


async def app(scope, receive, send):
    if scope["type"] != "http":
        return  # uvicorn also offers a "lifespan" scope; chapter 1 skips it
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": b"Hello, World!"})
