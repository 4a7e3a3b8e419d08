"""Hello, World with microasgi: `python examples/hello.py`, then open
http://127.0.0.1:8000."""

from microasgi import App

app = App()


@app.get("/")
async def hello(request):
    return "Hello, World!"


if __name__ == "__main__":
    app.run()
