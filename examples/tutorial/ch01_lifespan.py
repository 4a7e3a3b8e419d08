"""Chapter 1: the same app, now also answering the server's lifespan talk.

Serve it with `uvicorn examples.tutorial.ch01_lifespan:app`.
"""


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    elif scope["type"] == "http":
        await hello(send)


async def lifespan(receive, send):
    """One lifespan scope lives as long as the server: startup, then shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            print("starting up: open database pools here")
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            print("shutting down: close them here")
            await send({"type": "lifespan.shutdown.complete"})
            return


async def hello(send):
    body = b"Hello, World!"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
