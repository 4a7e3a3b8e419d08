"""Chapter 4: a table of routes, matched with regular expressions.

Serve it with `uvicorn examples.tutorial.ch04_regex:app`, then try
`curl -i localhost:8000/users/7` and `curl -i -X DELETE localhost:8000/`.
"""

import re

from examples.tutorial.ch03_response import JSONResponse, Response


async def home(scope):
    return Response("Home\n")


async def show_user(scope, user_id):
    return JSONResponse({"id": int(user_id)})


ROUTES = [
    # (method, pattern, handler); named groups become keyword arguments
    ("GET", re.compile(r"/"), home),
    ("GET", re.compile(r"/users/(?P<user_id>[0-9]+)"), show_user),
]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    allowed = set()
    for method, pattern, handler in ROUTES:
        match = pattern.fullmatch(scope["path"])
        if match is None:
            continue
        if method == scope["method"]:
            response = await handler(scope, **match.groupdict())
            break
        allowed.add(method)  # right path, wrong method: remember for 405
    else:
        if allowed:
            allow = ", ".join(sorted(allowed))
            response = Response("Method Not Allowed\n", 405, {"allow": allow})
        else:
            response = Response("Not Found\n", status_code=404)
    await response(scope, receive, send)
