"""A Flask app living inside microasgi.

Serve it with `uvicorn examples.flask_inside:app` (or
`python examples/flask_inside.py`), then open http://127.0.0.1:8000/ and
http://127.0.0.1:8000/legacy/."""

from flask import Flask, url_for

from microasgi import App, WSGIApp

flask_app = Flask(__name__)


@flask_app.get("/")
def legacy_home():
    # url_for knows the mount prefix: Flask sees it as SCRIPT_NAME.
    return f"Hello from Flask, served at {url_for('legacy_home')}"


app = App()


@app.get("/")
async def home(request):
    return "Hello from microasgi; the Flask app lives under /legacy/"


app.mount("/legacy", WSGIApp(flask_app))

if __name__ == "__main__":
    app.run()
