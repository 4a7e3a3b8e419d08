"""Chapter 4: a Router with path templates, a dict for static paths, 404 and 405.

Serve it with `uvicorn examples.tutorial.ch04_router:app`, then try
`curl localhost:8000/users/7` and `curl -i localhost:8000/users/seven`.
"""

import re

from examples.tutorial.ch02_request import Request
from examples.tutorial.ch03_response import JSONResponse, Response

CONVERTERS = {"str": (r"[^/]+", str), "int": (r"[0-9]+", int)}
PARAMETER = re.compile(r"{(\w+)(?::(\w+))?}")  # {name} or {name:converter}


def compile_path(path):
    """'/users/{user_id:int}' -> a regex with named groups, plus converters."""
    pattern, converters, end = "", {}, 0
    for match in PARAMETER.finditer(path):
        name, kind = match.group(1), match.group(2) or "str"
        regex, to_python = CONVERTERS[kind]
        pattern += re.escape(path[end : match.start()]) + f"(?P<{name}>{regex})"
        converters[name] = to_python
        end = match.end()
    return re.compile(pattern + re.escape(path[end:])), converters


class Router:
    def __init__(self):
        self.static = {}  # path -> {method: handler}: one dict lookup
        self.dynamic = {}  # template -> (regex, converters, {method: handler})

    def add_route(self, path, handler, methods=("GET",)):
        if "{" not in path:
            handlers = self.static.setdefault(path, {})
        else:
            if path not in self.dynamic:
                self.dynamic[path] = (*compile_path(path), {})
            handlers = self.dynamic[path][2]
        for method in methods:
            handlers[method] = handler

    def find(self, path):
        """The handlers for `path`, by method, and the path parameters."""
        if path in self.static:
            return self.static[path], {}
        for regex, converters, handlers in self.dynamic.values():
            match = regex.fullmatch(path)
            if match is not None:
                params = {
                    name: converters[name](text)
                    for name, text in match.groupdict().items()
                }
                return handlers, params
        return {}, {}

    async def call_handler(self, handler, request, params):
        return await handler(request, **params)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        handlers, params = self.find(scope["path"])
        handler = handlers.get(scope["method"])
        if handler is not None:
            request = Request(scope, receive)
            response = await self.call_handler(handler, request, params)
        elif handlers:
            allow = ", ".join(sorted(handlers))
            response = Response("Method Not Allowed\n", 405, {"allow": allow})
        else:
            response = Response("Not Found\n", status_code=404)
        await response(scope, receive, send)


async def home(request):
    return Response("Home\n")


async def show_user(request, user_id):
    return JSONResponse({"id": user_id})


app = Router()
app.add_route("/", home)
app.add_route("/users/{user_id:int}", show_user)
