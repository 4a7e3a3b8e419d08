"""The same Hello, World as a bare ASGI callable, with no framework at all.

Serve it with `uvicorn examples.hello_raw:app`. Every ASGI app is this shape:
an async function of the connection's scope and two channels.
"""


async def app(scope, receive, send):
    if scope["type"] == "lifespan":  # the server's start-up/shut-down talk
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] != "/":
        body, status = b"Not Found", 404
    else:
        body, status = b"Hello, World!", 200
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
