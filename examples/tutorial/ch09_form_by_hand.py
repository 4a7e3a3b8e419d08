"""Chapter 9: what a browser's form sends, parsed by hand.

Serve it with `uvicorn examples.tutorial.ch09_form_by_hand:app` and open
http://127.0.0.1:8000.
"""

from html import escape
from urllib.parse import parse_qsl

from microasgi import App, HTMLResponse

app = App()

FORM = """<!doctype html>
<form method="post" action="/greet">
  <input name="name"> <button>Greet me</button>
</form>
"""


@app.get("/")
async def form_page(request):
    return HTMLResponse(FORM)


@app.post("/greet")
async def greet(request):
    body = await request.body()  # e.g. b"name=Ada+Lovelace"
    fields = dict(parse_qsl(body.decode()))
    name = fields.get("name") or "stranger"
    return HTMLResponse(f"<p>Hello, {escape(name)}!</p>")  # escape user input
