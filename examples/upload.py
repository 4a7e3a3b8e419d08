"""Uploading files: a page whose form posts files, a handler that lists them.

Serve it with `uvicorn examples.upload:app` (or `python examples/upload.py`),
then open http://127.0.0.1:8000.

The form posts the files as multipart/form-data; the handler lists what
arrived. A filename is whatever the client sent: escape it before showing it,
and never use it as a path on the server.
"""

from html import escape

from microasgi import App, HTMLResponse, UploadFile

# Bodies are capped at 1 MiB by default; allow bigger uploads here.
app = App(max_body_size=10 * 1024 * 1024)

PAGE = """<!doctype html>
<title>Upload</title>
<h1>Upload files</h1>
<form action="/upload" method="post" enctype="multipart/form-data">
  <p><label>Your name <input name="name"></label></p>
  <p><input type="file" name="files" multiple></p>
  <p><button>Upload</button></p>
</form>
"""


@app.get("/")
async def form_page(request):
    return HTMLResponse(PAGE)


@app.post("/upload")
async def upload(request):
    form = await request.form()
    # Check the types: a client may send text where the page has a file input.
    # A file input left empty still sends one part, with an empty filename.
    files = [
        item
        for item in form.getlist("files")
        if isinstance(item, UploadFile) and item.filename
    ]
    rows = "".join(
        f"<li>{escape(upload.filename)}: {upload.size} bytes, "
        f"{escape(upload.content_type or 'unknown type')}</li>"
        for upload in files
    )
    name = form.get("name")
    name = escape(name) if isinstance(name, str) and name else "someone"
    return HTMLResponse(
        f"<!doctype html>\n<title>Uploaded</title>\n"
        f"<h1>{name} uploaded {len(files)} file(s)</h1>\n<ul>{rows}</ul>\n"
        '<p><a href="/">Upload more</a></p>\n'
    )


if __name__ == "__main__":
    app.run()
