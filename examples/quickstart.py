"""A first app: a text route and a JSON route with a path parameter.

Serve it with `uvicorn examples.quickstart:app` (or
`python examples/quickstart.py`), then open http://127.0.0.1:8000.
"""

from microasgi import App

app = App()


@app.get("/")
async def hello(request):
    return "Hello, World!"


@app.get("/items/{item_id:int}")
async def read_item(request, item_id: int):
    return {"id": item_id, "q": request.query_params.get("q")}


if __name__ == "__main__":
    app.run()
