"""Scaling past one process: a counter in memory counts per process; a counter
in a shared store counts for all of them.

Serve it with `uvicorn examples.scaling_howto:app --workers 4`, then run
`curl localhost:8000/hits` a few times and compare the two numbers. The
shared count is kept next to this file, in examples/scaling_howto.db; delete
that file to start counting from zero again.
"""

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from microasgi import App

app = App()
app.state.hits_in_memory = 0  # each worker process has its own copy
app.state.shared_db = Path(__file__).with_suffix(".db")  # the example's own state


def count_shared_hit(path):
    """Add one to a counter every process sees (a file, on one machine)."""
    with closing(sqlite3.connect(path, timeout=5)) as db, db:
        db.execute("CREATE TABLE IF NOT EXISTS counter (id PRIMARY KEY, hits)")
        db.execute(
            "INSERT INTO counter VALUES (1, 1) "
            "ON CONFLICT (id) DO UPDATE SET hits = hits + 1"
        )
        return db.execute("SELECT hits FROM counter").fetchone()[0]


@app.get("/hits")
async def hits(request):
    state = request.app.state
    state.hits_in_memory += 1
    shared = await request.app.thread_pool.run(count_shared_hit, state.shared_db)
    mine = state.hits_in_memory
    return {"pid": os.getpid(), "this_process": mine, "all_processes": shared}
