"""Chapter 4: routing is choosing what to do from `scope["path"]`.

Serve it with `uvicorn examples.tutorial.ch04_if_elif:app`.
"""

from examples.tutorial.ch03_response import JSONResponse, Response


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/":
        response = Response("Home\n")
    elif path == "/about":
        response = Response("About us\n")
    elif path.startswith("/users/") and path[len("/users/") :].isdigit():
        user_id = int(path[len("/users/") :])
        response = JSONResponse({"id": user_id})
    else:
        response = Response("Not Found\n", status_code=404)
    await response(scope, receive, send)
