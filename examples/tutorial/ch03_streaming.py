"""Chapter 3: send a body in pieces, with `more_body`.

Serve it with `uvicorn examples.tutorial.ch03_streaming:app`, then watch
`curl -N localhost:8000/` print one line a second.
"""

import asyncio


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            # No content-length: the server sends the body chunked.
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    for number in range(1, 4):
        line = f"tick {number}\n".encode()
        await send({"type": "http.response.body", "body": line, "more_body": True})
        await asyncio.sleep(1)
    await send({"type": "http.response.body", "body": b"done\n"})
