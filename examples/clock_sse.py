"""A live clock over Server-Sent Events.

Serve it with `uvicorn examples.clock_sse:app` (or
`python examples/clock_sse.py`) and open http://127.0.0.1:8000/: the page's
``EventSource`` receives a ``tick`` event every second and shows the time.
If the connection drops, the browser reconnects by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone

from microasgi import App, EventSourceResponse, HTMLResponse, ServerSentEvent

TICK_SECONDS = 1.0

app = App()

PAGE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>microasgi clock</title>
<style>
  body { font: 16px system-ui, sans-serif; text-align: center; margin-top: 20vh; }
  time { font-size: 4rem; font-variant-numeric: tabular-nums; }
</style>
<time id="clock">--:--:--</time>
<p id="status">Connecting...</p>
<script>
  const source = new EventSource("/clock");
  source.addEventListener("tick", (event) => {
    const now = new Date(JSON.parse(event.data).utc);
    document.getElementById("clock").textContent = now.toLocaleTimeString();
    document.getElementById("status").textContent = "Live";
  });
  source.onerror = () => {
    document.getElementById("status").textContent = "Reconnecting...";
  };
</script>
</html>
"""


@app.get("/")
async def page(request):
    return HTMLResponse(PAGE)


# --8<-- [start:clock]
async def ticks() -> AsyncIterator[ServerSentEvent]:
    """One ``tick`` event per second, for as long as the client listens."""
    number = 0
    while True:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        yield ServerSentEvent({"utc": now}, event="tick", id=str(number))
        number += 1
        await asyncio.sleep(TICK_SECONDS)


@app.get("/clock")
async def clock(request):
    # The generator is closed when the client goes away; pings keep proxies
    # from timing the connection out between events.
    return EventSourceResponse(ticks(), ping_interval=15)


# --8<-- [end:clock]


if __name__ == "__main__":
    app.run()
