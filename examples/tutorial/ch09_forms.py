"""Chapter 9: a guestbook with `request.form()` and POST/redirect/GET.

Serve it with `uvicorn examples.tutorial.ch09_forms:app` and open
http://127.0.0.1:8000.
"""

from html import escape

from microasgi import App, HTMLResponse, RedirectResponse

app = App()
app.state.entries = []  # in memory, per process: fine for a tutorial


@app.get("/")
async def guestbook(request):
    items = "".join(
        f"<li><b>{escape(name)}</b>: {escape(text)}</li>"
        for name, text in request.app.state.entries
    )
    return HTMLResponse(
        "<!doctype html><h1>Guestbook</h1>"
        f"<ul>{items}</ul>"
        '<form method="post" action="/sign">'
        '<input name="name" placeholder="name"> '
        '<input name="text" placeholder="message"> <button>Sign</button></form>'
    )


@app.post("/sign")
async def sign(request):
    form = await request.form()  # urlencoded or multipart, limits enforced
    name, text = text_field(form, "name"), text_field(form, "text")
    if name and text:
        request.app.state.entries.append((name, text))
    # 303 See Other: the browser follows with a GET, so reloading the page
    # does not post the form again.
    return RedirectResponse(request.app.url_path_for("guestbook"), status_code=303)


def text_field(form, key):
    """A text field's value, stripped; "" if it is missing or a file."""
    value = form.get(key, "")
    return value.strip() if isinstance(value, str) else ""
