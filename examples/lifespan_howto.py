"""Lifespan and shared state: open what every request needs once, at startup,
and close it at shutdown.

Serve it with `uvicorn examples.lifespan_howto:app`; uvicorn prints
"Application startup complete." once `lifespan` below has reached `yield`.
"""

import sqlite3
import tempfile
from contextlib import asynccontextmanager, closing
from pathlib import Path

from microasgi import App


# --8<-- [start:factory]
@asynccontextmanager
async def lifespan(app):
    # Startup: runs before the server accepts the first request. If it
    # raises, the server reports the error and refuses to start.
    folder = tempfile.TemporaryDirectory()
    app.state.db_path = Path(folder.name) / "notes.db"
    with closing(sqlite3.connect(app.state.db_path)) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    yield
    # Shutdown: runs after the server stopped taking requests.
    folder.cleanup()


app = App(lifespan=lifespan)
# --8<-- [end:factory]


# --8<-- [start:hooks]
@app.on_startup
async def load_settings():
    app.state.greeting = "Hello"


@app.on_shutdown
def say_goodbye():  # hooks may be plain functions too
    print("bye")


# --8<-- [end:hooks]


# --8<-- [start:use]
@app.get("/")
async def home(request):
    state = request.app.state  # the same object as app.state
    return {"greeting": state.greeting, "database": state.db_path.name}


# --8<-- [end:use]
