"""Chapter 6: a middleware that answers by itself, and the order of middleware.

Serve it with `uvicorn examples.tutorial.ch06_answer_early:app`, then compare
`curl -i localhost:8000/` with `curl -i -H 'x-api-key: secret' localhost:8000/`.
"""

from microasgi import App, PlainTextResponse
from microasgi.core.datastructures import Headers


class RequireAPIKey:
    def __init__(self, app, key):
        self.app = app
        self.key = key

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] == "http"
            and Headers(scope["headers"]).get("x-api-key") != self.key
        ):
            # Answer early: a Response is an ASGI app, so call it.
            response = PlainTextResponse("Unauthorized\n", status_code=401)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Tag:
    """Add an x-seen-by header, to show which middleware saw the response."""

    def __init__(self, app, name):
        self.app = app
        self.name = name

    async def __call__(self, scope, receive, send):
        async def send_with_tag(message):
            if message["type"] == "http.response.start":
                tag = (b"x-seen-by", self.name.encode())
                message = {**message, "headers": [*message["headers"], tag]}
            await send(message)

        await self.app(scope, receive, send_with_tag)


app = App()
app.add_middleware(Tag, name="inner")
app.add_middleware(RequireAPIKey, key="secret")
app.add_middleware(Tag, name="outer")  # added last, so outermost


@app.get("/")
async def home(request):
    return "Welcome in\n"
