"""Streaming responses: send a body piece by piece, as it is produced.

Serve it with `uvicorn examples.streaming_howto:app`, then
`curl -N localhost:8000/countdown` or `curl localhost:8000/squares.csv`.
"""

import asyncio
import csv
import io

from microasgi import App, StreamingResponse

STEP_SECONDS = 1.0

app = App()


# --8<-- [start:async]
@app.get("/countdown")
async def countdown(request):
    async def lines():
        for number in range(3, 0, -1):
            yield f"{number}...\n"
            await asyncio.sleep(STEP_SECONDS)
        yield "liftoff!\n"

    return StreamingResponse(lines(), media_type="text/plain")


# --8<-- [end:async]


# --8<-- [start:sync]
@app.get("/squares.csv")
async def squares(request):
    def rows():  # a plain generator: each step runs on the thread pool
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for number in range(1, 1001):
            writer.writerow([number, number * number])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    headers = {"content-disposition": 'attachment; filename="squares.csv"'}
    return StreamingResponse(rows(), media_type="text/csv", headers=headers)


# --8<-- [end:sync]
