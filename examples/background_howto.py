"""Background tasks: answer the client first, then do the slow part.

Serve it with `uvicorn examples.background_howto:app`, then
`curl -H 'content-type: application/json' -d '{"email": "ada@example.com"}'
localhost:8000/signup`.
"""

import logging

from microasgi import App, BackgroundTasks, HTTPException, JSONResponse

app = App()
outbox: list[str] = []  # stands in for a mail server


# --8<-- [start:tasks]
async def send_welcome(address: str) -> None:
    outbox.append(f"welcome mail to {address}")


def write_audit_log(event: str) -> None:  # a plain def runs on the thread pool
    logging.getLogger("audit").info(event)


@app.post("/signup")
async def signup(request):
    data = await request.json()
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str) or "@" not in email:
        raise HTTPException(400, 'send {"email": "..."}')
    tasks = BackgroundTasks()
    tasks.add_task(send_welcome, email)
    tasks.add_task(write_audit_log, f"signup {email}")
    return JSONResponse({"ok": True}, status_code=201, background=tasks)


# --8<-- [end:tasks]
