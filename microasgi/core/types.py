"""The ASGI vocabulary: type aliases for scopes, messages and callables.

Scope keys microasgi adds (documented here so nothing travels hidden):

- ``scope["app"]``: the :class:`~microasgi.App` serving the request.
- ``scope["path_params"]``: the path parameters of the matched route.
- ``scope["microasgi.body"]``: the request body once a :class:`~microasgi.Request`
  has read it in full (with ``body()``, or ``stream()``/``form()`` up to 1 MiB),
  so that a later ``Request`` on the same scope (say, the handler's, after a
  middleware read the body) can read it again.
- ``scope["microasgi.receive"]``: for each ``receive`` callable, the
  :class:`~microasgi.core.sharedreceive.SharedReceive` that reads it for this
  request, shared by the body readers and a streaming response's watcher.
- ``scope["microasgi.form"]``: the parsed form, cached the same way, so uploads
  are spooled once and closed once when the response is done.
- ``scope["extensions"]["microasgi.server_errors"]``: offered by the test
  client; the app passes every error it answers with a 500 to its
  ``"report"`` callable, so that the test raises it.
- ``scope["microasgi.outer_apps"]``: in an app mounted in an ``App``, the
  ``OuterApp(app, root_path)`` of each ``App`` the request went through,
  innermost first (see :mod:`microasgi.core.outerapps`). A mounted ``App`` uses
  their exception handlers for errors it has none for, and its templates'
  ``url_for`` finds their route names.
- ``scope["session"]``: the session dict ``SessionMiddleware`` loads from its
  signed cookie; ``request.session`` reads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
RawHeaders = list[tuple[bytes, bytes]]
