"""The WSGI side of a request: PEP 3333's ``environ`` for an ASGI ``http`` scope.

:func:`build_environ` spells the scope as CGI-style variables (``PATH_INFO``
below the mount's ``SCRIPT_NAME``, ``HTTP_*`` headers, bytes as latin-1
``str``), and :class:`RequestBodyStream` is the raw ``wsgi.input``, pulled
from the client as the WSGI app reads it. :mod:`microasgi.batteries.wsgi`
runs the exchange.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import unquote_to_bytes

from microasgi.core.rootpath import includes, mount_prefix
from microasgi.core.types import Scope

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class RequestBodyStream(io.RawIOBase):
    """The raw body for ``wsgi.input``, pulled from the client as it is read.

    ``io.BufferedReader`` wraps it to give ``read``, ``readline`` and iteration.
    """

    def __init__(self, receive_body: Callable[[], bytes], initial: bytes) -> None:
        self._receive_body = receive_body
        self._pending = initial

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if not self._pending:
            self._pending = self._receive_body()  # b"" at the end of the body
        target = memoryview(buffer).cast("B")
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def build_environ(scope: Scope, wsgi_input: BinaryIO) -> dict[str, Any]:
    """The PEP 3333 ``environ`` for an ASGI ``http`` scope."""
    scheme = scope.get("scheme", "http")
    server = scope.get("server") or ("localhost", None)
    port = server[1] or (443 if scheme == "https" else 80)
    script_name = to_wsgi_str(mount_prefix(scope).encode())
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path_info(scope, script_name),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": wsgi_input,
        "wsgi.input_terminated": True,  # read() ends with the body, chunked too
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = str(client[0])
        environ["REMOTE_PORT"] = str(client[1])
    environ.update(header_variables(scope["headers"]))
    return environ


def to_wsgi_str(data: bytes) -> str:
    """PEP 3333's "bytes-as-str": each byte becomes the same code point."""
    return data.decode("latin-1")


def path_info(scope: Scope, script_name: str) -> str:
    """The percent-decoded request path below ``script_name``."""
    raw_path: bytes | None = scope.get("raw_path")
    if raw_path:
        # raw_path is the path as sent; some servers leave the query on it.
        full_path = to_wsgi_str(unquote_to_bytes(raw_path.partition(b"?")[0]))
    else:
        full_path = to_wsgi_str(scope["path"].encode())
    if script_name and includes(full_path, script_name):
        return full_path[len(script_name) :]
    return full_path


def header_variables(raw_headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """``HTTP_*`` variables, plus ``CONTENT_TYPE`` and ``CONTENT_LENGTH``."""
    variables: dict[str, str] = {}
    for name, value in raw_headers:
        if b"_" in name:
            # "x_user" and "x-user" would both become HTTP_X_USER, letting one
            # header pose as another; drop these, as common WSGI servers do.
            continue
        key = to_wsgi_str(name).upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        if key in variables:
            separator = "; " if key == "HTTP_COOKIE" else ", "
            variables[key] += separator + to_wsgi_str(value)
        else:
            variables[key] = to_wsgi_str(value)
    return variables
