"""``StaticFiles``: an ASGI app serving the files of one directory, and no others.

Mount it (``app.mount("/static", StaticFiles("static"), name="static")``) and
it answers ``GET``/``HEAD`` for the files below that directory with a
:class:`~microasgi.batteries.fileresponse.FileResponse` (so ETags, 304 and ranges come
for free). Whatever the request path holds, the file is found by path
components and checked to lie inside the directory after symlinks are
resolved, before anything is opened; everything else is a 404, never a 500.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from urllib.parse import quote

from microasgi.batteries.fileresponse import FileResponse, guess_media_type
from microasgi.core.concurrency import pool_of
from microasgi.core.responses import PlainTextResponse, RedirectResponse, Response
from microasgi.core.rootpath import mount_prefix, route_path
from microasgi.core.types import Message, Receive, Scope, Send

NOT_FOUND = PlainTextResponse("Not Found", status_code=404)
METHOD_NOT_ALLOWED = PlainTextResponse(
    "Method Not Allowed", status_code=405, headers={"allow": "GET, HEAD"}
)


@dataclass(frozen=True)
class FoundPath:
    """A path inside the served directory and what ``os.stat`` says of it."""

    path: str
    stat: os.stat_result

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.stat.st_mode)

    @property
    def is_directory(self) -> bool:
        return stat.S_ISDIR(self.stat.st_mode)


class StaticFiles:
    """Serve the files below ``directory``; directories are never listed.

    With ``html=True`` a directory answers with its ``index.html`` (after a
    redirect from ``/dir`` to ``/dir/``) and a miss with ``404.html`` if there
    is one. A symlink is served only if it points inside the directory, unless
    ``follow_symlink=True`` lets symlinks placed there point anywhere.

    Example:
        >>> app.mount("/static", StaticFiles("static"), name="static")
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        given = os.fspath(directory)
        # Resolved like the paths inside it will be, so the two compare alike.
        self.directory = (
            os.path.abspath(given) if follow_symlink else os.path.realpath(given)
        )
        self.html = html
        self.follow_symlink = follow_symlink
        if check_dir and not os.path.isdir(self.directory):
            raise RuntimeError(
                f"StaticFiles directory {given!r} does not exist (looked for "
                f"{self.directory!r}); create it, or build the path from the "
                "module's location: Path(__file__).parent / 'static'"
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1000, "reason": ""})
            return
        if scope["type"] != "http":
            raise ValueError(f"StaticFiles serves http scopes, not {scope['type']!r}")
        if scope["method"] not in ("GET", "HEAD"):
            await METHOD_NOT_ALLOWED(scope, receive, send)
            return
        response = await pool_of(scope).run(self.find_response, scope)
        response_started = False

        async def send_and_track_start(message: Message) -> None:
            nonlocal response_started
            response_started = True
            await send(message)

        try:
            await response(scope, receive, send_and_track_start)
        except OSError:
            # The file went away or cannot be read (permissions) after it was
            # found; if nothing was sent yet, that is still just a 404.
            if response_started:
                raise
            await NOT_FOUND(scope, receive, send)

    def find_response(self, scope: Scope) -> Response:
        """The response for a GET or HEAD; runs on the thread pool (disk access)."""
        parts = safe_parts(route_path(scope))
        found = None if parts is None else self.find(parts)
        if found is None or parts is None:
            return self.not_found()
        if found.is_file:
            return file_response(found, parts[-1])
        if found.is_directory and self.html:
            index = self.find([*parts, "index.html"])
            if index is not None and index.is_file:
                if not scope["path"].endswith("/"):
                    return redirect_to_directory(scope, parts)
                return file_response(index, "index.html")
        return self.not_found()

    def find(self, parts: list[str]) -> FoundPath | None:
        """What lies at ``parts`` below the directory, if it is really inside."""
        joined = os.path.join(self.directory, *parts)
        try:
            if self.follow_symlink:
                # ``parts`` hold no "..", so the joined path stays inside.
                path = os.path.normpath(joined)
            else:
                path = os.path.realpath(joined)
                # Compare whole components: "/srv/static2" is not in "/srv/static".
                if os.path.commonpath([self.directory, path]) != self.directory:
                    return None
            return FoundPath(path, os.stat(path))
        except (OSError, ValueError):  # missing, no permission, name too long...
            return None

    def not_found(self) -> Response:
        """``404.html`` in html mode, if there is one; else a plain 404."""
        if self.html:
            page = self.find(["404.html"])
            if page is not None and page.is_file:
                return FileResponse(
                    page.path,
                    media_type="text/html",
                    status_code=404,
                    stat_result=page.stat,
                )
        return NOT_FOUND


def safe_parts(path: str) -> list[str] | None:
    """The path's segments, or ``None`` if any of them could lead elsewhere.

    The server already percent-decoded the path once; decoding it again would
    turn a literal ``%2e%2e`` file name into ``..``, so it is not done.
    Backslashes, NUL bytes and colons (drive letters, Windows file streams)
    have no place in a static file's URL on any system, so they are refused.
    """
    if "\x00" in path or "\\" in path:
        return None
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if any(part == ".." or ":" in part for part in parts):
        return None
    return parts


def file_response(found: FoundPath, name: str) -> FileResponse:
    # The media type follows the requested name, not a symlink's target.
    media_type = guess_media_type(name)
    return FileResponse(found.path, media_type=media_type, stat_result=found.stat)


def redirect_to_directory(scope: Scope, parts: list[str]) -> Response:
    """Send ``/dir`` to ``/dir/``, so the page's relative links work."""
    segments = [quote(part, safe="") for part in parts]
    location = quote(mount_prefix(scope)) + "/".join(["", *segments, ""])
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        location += "?" + query
    return RedirectResponse(location)
