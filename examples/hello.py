"""Hello, World with microasgi.

Serve it with `uvicorn examples.hello:app` (or `python examples/hello.py`,
which calls `app.run()`), then open http://127.0.0.1:8000.
"""

from microasgi import App

app = App()


@app.get("/")
async def hello(request):
    return "Hello, World!"


if __name__ == "__main__":
    app.run()
