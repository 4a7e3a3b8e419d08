"""ASGI extensions: early hints, trailers and files the server sends itself.

Each feature is used when the server offers its extension and quietly left
out when it does not, so this app runs the same under any server. Serve it
with `uvicorn examples.extensions_howto:app`, or under granian (pathsend) or
hypercorn over HTTP/2 (early hints, trailers) to see the extensions used.
See what each sends with, for example,
`microasgi trace examples.extensions_howto:app / --extension http.response.early_hint`.
"""

import asyncio
import hashlib
from pathlib import Path

from microasgi import App, FileResponse, HTMLResponse, StaticFiles, StreamingResponse

HERE = Path(__file__).parent

app = App()


# --8<-- [start:early-hints]
@app.get("/")
async def home(request):
    await request.send_early_hints(
        [
            "</static/site.css>; rel=preload; as=style",
            "</static/app.js>; rel=preload; as=script",
        ]
    )
    await asyncio.sleep(0.05)  # the slow part: the browser fetches meanwhile
    return HTMLResponse('<link rel="stylesheet" href="/static/site.css"><h1>Home</h1>')


# --8<-- [end:early-hints]


# --8<-- [start:trailers]
@app.get("/squares.csv")
async def squares(request):
    digest = hashlib.sha256()

    async def rows():
        for number in range(1, 1001):
            line = f"{number},{number * number}\n".encode()
            digest.update(line)
            yield line

    return StreamingResponse(
        rows(),
        media_type="text/csv",
        headers={"trailer": "x-checksum"},
        trailers=lambda: {"x-checksum": digest.hexdigest()},
    )


# --8<-- [end:trailers]


# --8<-- [start:files]
app.mount("/static", StaticFiles(HERE / "site" / "static"), name="static")


@app.get("/source")
async def source(request):
    return FileResponse(__file__, filename="extensions_howto.py")


# --8<-- [end:files]
