"""``root_path``: the path prefix an app is served below, and the one rule for it.

An app behind a proxy that strips ``/pre`` from every request is told the
prefix by its server (``uvicorn --root-path /pre``), which puts it in the
scope's ``root_path``. Servers differ on ``path``: the ASGI spec (and uvicorn)
puts ``root_path`` in front of it, so ``GET /items`` arrives as ``/pre/items``;
hypercorn, daphne and granian send ``/items`` as they received it. A mount
does it the spec's way: its app gets ``root_path`` extended by the mount's
prefix and ``path`` unchanged.

Where a request enters an ``App`` or a ``WSGIApp``, :func:`include_root_path`
brings the scope into the spec's form, so every mount below sees one
convention. Everything that matches routes, mounts or files reads
:func:`route_path`, which is right for both; links are ``root_path`` plus a
route's path, and ``request.url`` uses :func:`full_path`.

One case stays ambiguous: on a server of the second kind, a request whose
path itself starts with the prefix (``/pre/x``, from a client that asked for
``/pre/pre/x``) is taken as already prefixed, as Starlette does too.
"""

from __future__ import annotations

from microasgi.core.paths import quote_path
from microasgi.core.types import Scope


def includes(path: str, root_path: str) -> bool:
    """Whether ``path`` starts with the whole of ``root_path`` (segment-wise:
    ``/pre/x`` and ``/pre`` do, ``/prefix`` does not)."""
    root_path = root_path.rstrip("/")
    return path == root_path or path.startswith(root_path + "/")


def full_path(scope: Scope) -> str:
    """The request path with ``root_path`` in front, whatever the server sent."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or includes(path, root_path):
        return path
    return root_path.rstrip("/") + path


def include_root_path(scope: Scope) -> None:
    """Put ``root_path`` in front of ``path`` and ``raw_path`` if the server
    left it out, as the ASGI spec has it. Doing it twice changes nothing."""
    path = full_path(scope)
    if path == scope["path"]:
        return
    scope["path"] = path
    raw_path = scope.get("raw_path")
    if raw_path is not None:
        prefix = quote_path(scope["root_path"].rstrip("/")).encode("ascii")
        scope["raw_path"] = prefix + raw_path


def route_path(scope: Scope) -> str:
    """The path below ``root_path``: what routes, mounts and files match on."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and includes(path, root_path):
        return path[len(root_path.rstrip("/")) :] or "/"
    return path


def mount_prefix(scope: Scope) -> str:
    """``root_path`` without its trailing slash (``""`` at the top): what a
    path below this app is written after, in links and ``SCRIPT_NAME``."""
    root_path: str = scope.get("root_path", "")
    return root_path.rstrip("/")
