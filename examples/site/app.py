"""A small site: a Jinja2 page, static CSS, a session visit counter, a download.

Serve it with `uvicorn examples.site.app:app` (or `python examples/site/app.py`)
and open http://127.0.0.1:8000. Set SECRET_KEY in the environment so sessions
survive a restart.
"""

import os
import secrets
from pathlib import Path

from microasgi import (
    App,
    FileResponse,
    HTTPException,
    RedirectResponse,
    StaticFiles,
    Templates,
)
from microasgi.middleware import SessionMiddleware

# --8<-- [start:setup]
HERE = Path(__file__).parent  # paths from the module, not the working directory

app = App()
app.mount("/static", StaticFiles(HERE / "static"), name="static")
templates = Templates(HERE / "templates")
# --8<-- [end:setup]

# --8<-- [start:sessions]
# A random key is safe, but differs per process and forgets sessions on restart.
secret_key = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)
app.add_middleware(SessionMiddleware, secret_key=secret_key)
# --8<-- [end:sessions]


# --8<-- [start:home]
@app.get("/")
async def home(request):
    visits = request.session.get("visits", 0) + 1
    request.session["visits"] = visits  # changed, so a new cookie is sent
    theme = request.cookies.get("theme", "light")
    context = {"visits": visits, "theme": theme}
    return templates.response(request, "index.html", context)


@app.post("/forget")
async def forget(request):
    request.session.clear()  # emptied, so the cookie is deleted
    return RedirectResponse(request.app.url_path_for("home"), status_code=303)


# --8<-- [end:home]


# --8<-- [start:cookie]
@app.post("/theme/{theme}")
async def choose_theme(request, theme: str):
    response = RedirectResponse(request.app.url_path_for("home"), status_code=303)
    if theme in ("light", "dark"):
        response.set_cookie("theme", theme, max_age=365 * 24 * 3600, httponly=True)
    return response


# --8<-- [end:cookie]


# --8<-- [start:download]
DOWNLOADS = {"guide": HERE / "downloads" / "guide.txt"}


@app.get("/download/{name}")
async def download(request, name: str):
    path = DOWNLOADS.get(name)  # never build a path from user input
    if path is None or not path.is_file():
        raise HTTPException(404, f"No download called {name!r}")
    return FileResponse(path, filename="microasgi-guide.txt")


# --8<-- [end:download]


if __name__ == "__main__":
    app.run()
