"""WebSockets: an echo endpoint, a guarded one, and a custom close on errors.

Serve it with `uvicorn examples.websockets_howto:app`, then talk to it with
`python -m websockets ws://127.0.0.1:8000/echo`.
"""

from microasgi import App, HTTPException, WebSocket

app = App()


# --8<-- [start:echo]
@app.websocket("/echo")
async def echo(ws: WebSocket) -> None:
    await ws.accept()
    async for text in ws.iter_text():  # ends quietly when the client leaves
        await ws.send_text(text)


# --8<-- [end:echo]


# --8<-- [start:guard]
TOKENS = {"s3cret": "ada"}


@app.websocket("/private")
async def private(ws: WebSocket) -> None:
    user = TOKENS.get(ws.query_params.get("token", ""))
    if user is None:
        raise HTTPException(401, "unknown token")  # the handshake gets HTTP 401
    await ws.accept()
    await ws.send_json({"hello": user})
    await ws.close()


# --8<-- [end:guard]


# --8<-- [start:errors]
class TooChatty(Exception):
    """A client sent more messages than it may."""


@app.exception_handler(TooChatty)
async def too_chatty(ws: WebSocket, exc: TooChatty) -> None:
    await ws.close(1008, "slow down")  # 1008: policy violation


@app.websocket("/limited")
async def limited(ws: WebSocket) -> None:
    await ws.accept()
    count = 0
    async for text in ws.iter_text():
        count += 1
        if count > 3:
            raise TooChatty()
        await ws.send_text(text)


# --8<-- [end:errors]
