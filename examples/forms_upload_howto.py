"""Forms and uploads: text fields, a file saved under a name we choose, and a
raw body streamed chunk by chunk.

Serve it with `uvicorn examples.forms_upload_howto:app`, then:

    curl -F name=Ada -F avatar=@photo.png localhost:8000/profile
    curl -T big.iso localhost:8000/checksum
"""

import hashlib
import shutil
import tempfile
import uuid
from pathlib import Path

from microasgi import App, HTTPException, UploadFile

# --8<-- [start:limits]
app = App(
    max_body_size=20 * 1024 * 1024,  # 20 MiB for the whole request
    max_files=1,  # one file per form is all this app expects
)
app.state.upload_dir = Path(tempfile.gettempdir()) / "microasgi-uploads"
# --8<-- [end:limits]

IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg"}


# --8<-- [start:profile]
@app.post("/profile")
async def profile(request):
    form = await request.form()
    name = form.get("name")
    if not isinstance(name, str) or not name.strip():
        raise HTTPException(400, detail="name: a non-empty text field is required")
    avatar = form.get("avatar")
    if not isinstance(avatar, UploadFile) or not avatar.filename:
        raise HTTPException(400, detail="avatar: choose a file to upload")
    suffix = IMAGE_TYPES.get(avatar.content_type or "")
    if suffix is None:
        raise HTTPException(415, detail="avatar: send a PNG or JPEG image")
    directory = request.app.state.upload_dir
    saved_as = await request.app.thread_pool.run(save, avatar, directory, suffix)
    return {"name": name, "size": avatar.size, "saved_as": saved_as}


def save(upload, directory, suffix):
    """Copy an upload to disk under a fresh name; blocking, so run it on the
    thread pool. Never use the client's filename as a path: it may hold `../` or worse.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{uuid.uuid4().hex}{suffix}"
    upload.file.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    return target.name


# --8<-- [end:profile]


# --8<-- [start:stream]
@app.put("/checksum")
async def checksum(request):
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.stream():  # max_body_size still applies
        digest.update(chunk)
        size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


# --8<-- [end:stream]
