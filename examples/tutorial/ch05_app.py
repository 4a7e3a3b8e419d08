"""Chapter 5: an App whose decorators register routes and whose handlers
return plain values.

Serve it with `uvicorn examples.tutorial.ch05_app:app`.
"""

from examples.tutorial.ch03_response import JSONResponse, Response
from examples.tutorial.ch04_router import Router


class App(Router):
    def route(self, path, methods=("GET",)):
        def register(handler):
            self.add_route(path, handler, methods)
            return handler  # the function itself stays as it was

        return register

    def get(self, path):
        return self.route(path, ["GET"])

    def post(self, path):
        return self.route(path, ["POST"])

    async def call_handler(self, handler, request, params):
        result = await handler(request, **params)
        if isinstance(result, Response):
            return result
        if isinstance(result, str):
            return Response(result)
        if isinstance(result, dict | list):
            return JSONResponse(result)
        raise TypeError(
            f"handler {handler.__name__!r} returned {type(result).__name__}; "
            "return a Response, str, dict or list"
        )


app = App()


@app.get("/")
async def home(request):
    return "Home\n"


@app.get("/users/{user_id:int}")
async def show_user(request, user_id):
    return {"id": user_id}


@app.post("/echo")
async def echo(request):
    return await request.json()
