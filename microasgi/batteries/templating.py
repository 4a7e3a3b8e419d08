"""``Templates``: render Jinja2 templates into ``HTMLResponse`` objects.

The only module that imports jinja2. Templates are loaded once and cached by
Jinja's loader; ``.html``, ``.htm`` and ``.xml`` templates autoescape, so a
``{{ value }}`` from a user cannot inject markup.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

from microasgi.core.extras import missing_package

try:
    import jinja2
except ModuleNotFoundError as exc:
    raise missing_package(exc) from None

from microasgi.core.background import BackgroundTask, BackgroundTasks
from microasgi.core.outerapps import link_path_for
from microasgi.core.requests import HTTPConnection
from microasgi.core.responses import HTMLResponse


class Templates:
    """A folder of Jinja2 templates; ``response()`` renders one for a request.

    Every template sees ``request`` and ``url_for(name, **params)``, which
    builds the path of a route or mount (``url_for('static', path='site.css')``),
    also one of the app this app is mounted in.
    ``templates.env`` is the Jinja ``Environment``, for filters and globals.
    With ``auto_reload`` (the default) an edited template is picked up on the
    next render; turn it off in production to skip that check.

    Example:
        >>> templates = Templates(Path(__file__).parent / "templates")
        >>> @app.get("/")
        ... async def home(request):
        ...     return templates.response(request, "home.html", {"name": "Ada"})
    """

    def __init__(
        self, directory: str | os.PathLike[str], *, auto_reload: bool = True
    ) -> None:
        if not os.path.isdir(directory):
            raise ValueError(
                f"Templates directory {os.fspath(directory)!r} does not exist "
                f"(looked for {os.path.abspath(directory)!r}); build the path from "
                "the module's location: Path(__file__).parent / 'templates'"
            )
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
            auto_reload=auto_reload,
        )
        self.env.globals["url_for"] = url_for

    def render(self, name: str, context: Mapping[str, Any] | None = None) -> str:
        """Render template ``name`` with ``context`` into a string."""
        try:
            return self.env.get_template(name).render(context or {})
        except jinja2.TemplateNotFound as exc:  # also one it extends or includes
            missing = str(exc.name)
            raise jinja2.TemplateNotFound(missing, self._not_found(missing)) from None

    def _not_found(self, name: str) -> str:
        """Which template is missing, which exist, and the closest to ``name``."""
        existing = self.env.list_templates()
        close = difflib.get_close_matches(name, existing, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listing = ", ".join(existing[:20]) + (", ..." if len(existing) > 20 else "")
        where = ", ".join(getattr(self.env.loader, "searchpath", []))
        return f"no template {name!r} in {where!r}{hint} (there: {listing or 'none'})"

    def response(
        self,
        request: HTTPConnection,
        name: str,
        context: Mapping[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | BackgroundTasks | None = None,
    ) -> HTMLResponse:
        """Render template ``name`` with ``context`` (plus ``request``)."""
        content = self.render(name, {"request": request, **(context or {})})
        return HTMLResponse(content, status_code, headers, media_type, background)


@jinja2.pass_context
def url_for(context: jinja2.runtime.Context, name: str, /, **params: Any) -> str:
    """The path of route ``name`` (of this app or one it is mounted in), below
    the path the app is served at."""
    request = context.get("request")
    if not isinstance(request, HTTPConnection):
        raise RuntimeError(
            "url_for() in a template needs the request: render it with "
            "templates.response(request, ...) or pass {'request': request}"
        )
    return link_path_for(request.scope, name, **params)
