"""Sync handlers: a plain `def` handler runs on the app's thread pool, so it
may call blocking libraries (here the standard library's sqlite3).

Serve it with `uvicorn examples.sync_handlers_howto:app`, then
`curl -H 'content-type: application/json' -d '{"text": "hi"}' localhost:8000/notes`.
"""

import hashlib
import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from microasgi import App, HTTPException

# --8<-- [start:app]
app = App(thread_pool_size=8)  # at most 8 blocking calls at once


def connect(request):
    """A connection per call: sqlite3 connections stay in their own thread."""
    return closing(sqlite3.connect(request.app.state.db_path))


@app.get("/notes")
def list_notes(request):  # plain def: runs on a worker thread
    with connect(request) as db:
        rows = db.execute("SELECT id, text FROM notes ORDER BY id").fetchall()
    return [{"id": note_id, "text": text} for note_id, text in rows]


@app.post("/notes")
async def add_note(request):  # async def: reading the body must be awaited
    data = await request.json()
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise HTTPException(400, detail='send {"text": "..."}')
    text = data["text"]
    note_id = await request.app.thread_pool.run(insert_note, request, text)
    return {"id": note_id, "text": text}


def insert_note(request, text):
    with connect(request) as db, db:  # the second `with db` commits
        return db.execute("INSERT INTO notes (text) VALUES (?)", (text,)).lastrowid


# --8<-- [end:app]


@app.on_startup
def create_database():
    app.state.folder = tempfile.TemporaryDirectory()
    app.state.db_path = Path(app.state.folder.name) / "notes.db"
    with closing(sqlite3.connect(app.state.db_path)) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")


@app.on_shutdown
def remove_database():
    app.state.folder.cleanup()


# --8<-- [start:cpu]
@app.post("/hash")
async def hash_password(request):
    password = (await request.body()) or b"secret"
    salt = os.urandom(16)
    # Slow on purpose (about 0.1 s); on the loop it would stall every request.
    digest = await request.app.thread_pool.run(
        hashlib.pbkdf2_hmac, "sha256", password, salt, 200_000
    )
    return {"salt": salt.hex(), "hash": digest.hex()}


# --8<-- [end:cpu]
