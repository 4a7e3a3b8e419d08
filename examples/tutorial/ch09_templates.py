"""Chapter 9: the guestbook again, its HTML now in a Jinja2 template.

Serve it with `uvicorn examples.tutorial.ch09_templates:app` and open
http://127.0.0.1:8000.
"""

from pathlib import Path

from microasgi import App, RedirectResponse, Templates

templates = Templates(Path(__file__).parent / "templates")

app = App()
app.state.entries = []


@app.get("/")
async def guestbook(request):
    context = {"entries": request.app.state.entries}
    return templates.response(request, "guestbook.html", context)


@app.post("/sign")
async def sign(request):
    form = await request.form()
    name, text = text_field(form, "name"), text_field(form, "text")
    if name and text:
        request.app.state.entries.append({"name": name, "text": text})
    return RedirectResponse(request.app.url_path_for("guestbook"), status_code=303)


def text_field(form, key):
    """A text field's value, stripped; "" if it is missing or a file."""
    value = form.get(key, "")
    return value.strip() if isinstance(value, str) else ""
