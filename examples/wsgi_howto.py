"""WSGIApp options: a Flask app that takes uploads, mounted with more threads
and a larger body limit than the defaults.

Serve it with `uvicorn examples.wsgi_howto:app`, then
`curl --data-binary @some-file localhost:8000/legacy/upload`.
"""

from flask import Flask, request

from microasgi import App, WSGIApp

flask_app = Flask(__name__)


@flask_app.post("/upload")
def upload():
    return f"Flask read {len(request.get_data())} bytes"


app = App()

# --8<-- [start:options]
legacy = WSGIApp(flask_app, workers=20, max_body_size=10 * 1024 * 1024)
app.mount("/legacy", legacy)
# --8<-- [end:options]
