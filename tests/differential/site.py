"""The files on disk both apps serve: one file, a static tree, one file outside it."""

from __future__ import annotations

import os
from pathlib import Path

# A fixed modification time, so Last-Modified and If-Modified-Since cases
# give the same answer on every run.
MTIME = 1_700_000_000  # Tue, 14 Nov 2023 22:13:20 GMT
DATA = b"".join(b"line %03d of the data file\n" % number for number in range(40))

STATIC_FILES = {
    "hello.txt": b"Hello from a static file\n",
    "style.css": b"body { color: black; }\n",
    "data.json": b'{"static": true}\n',
    "archive.tar.gz": b"not really a tarball",
    "with space.txt": b"a name with a space\n",
    "caf\u00e9.txt": b"a name with an accent\n",
    "sub/index.html": b"<h1>sub index</h1>\n",
    "sub/page.html": b"<p>a page</p>\n",
    "404.html": b"<h1>custom not found</h1>\n",
}


def make_site(root: Path) -> Path:
    """Write ``root/data.txt``, ``root/static/...`` and ``root/secret.txt``."""
    files = {"data.txt": DATA, "secret.txt": b"outside the static directory\n"}
    files.update({f"static/{name}": body for name, body in STATIC_FILES.items()})
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        os.utime(path, (MTIME, MTIME))
    return root
