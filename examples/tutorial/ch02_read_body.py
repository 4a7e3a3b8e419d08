"""Chapter 2: read the request body from `http.request` messages.

Serve it with `uvicorn examples.tutorial.ch02_read_body:app`, then
`curl -d 'hello there' localhost:8000/echo`.
"""

MAX_BODY_SIZE = 1024 * 1024  # never read an unbounded body into memory


class BodyTooLarge(Exception):
    pass


async def read_body(receive):
    """Collect the body: it may arrive in several `http.request` messages."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("the client went away before sending the body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_SIZE:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    try:
        body = await read_body(receive)
    except BodyTooLarge:
        status, reply = 413, b"Request body too large\n"
    else:
        status = 200
        reply = f"{scope['method']} {scope['path']}: {len(body)} bytes\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(reply)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": reply})
