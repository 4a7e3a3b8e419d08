"""Chapter 6: wrap both channels to watch every ASGI message go by.

Serve it with `uvicorn examples.tutorial.ch06_message_logger:app`, then
`curl -d 'hi' localhost:8000/echo` and read the server's output.
"""

from microasgi import App


class MessageLogger:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        print(f"scope {scope['type']} {scope.get('path', '')}")

        async def receive_and_log():
            message = await receive()
            print(f"  receive {shorten(message)}")
            return message

        async def log_and_send(message):
            print(f"  send    {shorten(message)}")
            await send(message)

        await self.app(scope, receive_and_log, log_and_send)


def shorten(message):
    """The message with bodies replaced by their size, to keep lines short."""
    return {
        key: f"<{len(value)} bytes>" if key == "body" else value
        for key, value in message.items()
    }


app = App()
app.add_middleware(MessageLogger)


@app.post("/echo")
async def echo(request):
    return await request.body()
