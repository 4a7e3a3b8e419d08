"""An App mounted in another App: what it takes from the apps around it.

When an ``App`` hands a request to a mounted app, it records itself (and the
``root_path`` it is served at) in the child scope under
``scope["microasgi.outer_apps"]``, innermost first. A mounted ``App`` then
answers an error it has no handler for with the outer apps' handlers, and
its templates' ``url_for`` finds the outer apps' route names.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, NamedTuple

from microasgi.core.rootpath import mount_prefix
from microasgi.core.types import Scope

if TYPE_CHECKING:
    from microasgi.core.app import App
    from microasgi.core.errors import ErrorHandler

OUTER_APPS = "microasgi.outer_apps"


class OuterApp(NamedTuple):
    """An App a request went through on its way to an app mounted in it."""

    app: App
    root_path: str


def enter_mount(scope: Scope, app: App, prefix: str) -> Scope:
    """The scope for the app ``app`` mounted at ``prefix``: ``root_path``
    extended, as the ASGI spec says, and ``app`` recorded as an outer app."""
    root_path = mount_prefix(scope)
    child_scope = dict(scope)
    child_scope["root_path"] = root_path + prefix
    child_scope[OUTER_APPS] = (OuterApp(app, root_path), *outer_apps(scope))
    return child_scope


def outer_apps(scope: Scope) -> tuple[OuterApp, ...]:
    """The Apps this request went through before the one serving it."""
    found: tuple[OuterApp, ...] = scope.get(OUTER_APPS, ())
    return found


def outer_error_handler(scope: Scope, exc: Exception) -> ErrorHandler | None:
    """The handler for ``exc`` of an App the serving one is mounted in, if any."""
    for outer in outer_apps(scope):
        handler = outer.app.find_error_handler(exc)
        if handler is not None:
            return handler
    return None


def link_path_for(scope: Scope, name: str, /, **params: Any) -> str:
    """The path a browser uses for route ``name``, ``root_path`` included.

    The name is looked up in the app serving the request, then in each App it
    is mounted in (innermost first), so a mounted app can link to the others.
    """
    app: App = scope["app"]
    root_path = mount_prefix(scope)
    try:
        return root_path + app.url_path_for(name, **params)
    except LookupError as not_here:
        for outer in outer_apps(scope):
            with contextlib.suppress(LookupError):
                return outer.root_path + outer.app.url_path_for(name, **params)
        raise not_here
