"""The seam debug tools attach through, so the core never imports them.

``App(debug=True)`` looks up two entry point groups when it builds its
middleware stack: ``microasgi.debug_checks`` (one factory of the checks
that warn about blocking handlers and more: ``microasgi/tooling/debug.py``)
and ``microasgi.debug_tools`` (functions that wrap the stack, such as the
live page in ``microasgi/tooling/livepage/``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from microasgi.core.types import ASGIApp

if TYPE_CHECKING:
    from microasgi.core.app import App

DEBUG_TOOLS_GROUP = "microasgi.debug_tools"  # entry points; see attach_debug_tools
DEBUG_CHECKS_GROUP = "microasgi.debug_checks"  # see load_debug_checks


class DebugChecks(Protocol):
    """What a debug checker offers the App (``microasgi.debug_checks`` entry point)."""

    def middleware(self, layer: ASGIApp, cls: Any) -> ASGIApp: ...
    def app(self, stack: ASGIApp) -> ASGIApp: ...


def load_debug_checks(app: App) -> DebugChecks | None:
    """The debug-mode checks, if installed: ``factory(app, thread_pool)``.

    microasgi's own (``microasgi/tooling/debug.py``) is an entry point in the
    ``microasgi.debug_checks`` group, so the core never imports it.
    """
    from importlib.metadata import entry_points  # debug mode only: 5 ms to import

    for entry in entry_points(group=DEBUG_CHECKS_GROUP):
        checks: DebugChecks = entry.load()(app, app.thread_pool)
        return checks
    return None


def attach_debug_tools(app: App, stack: ASGIApp) -> ASGIApp:
    """Let every installed debug tool wrap the stack (debug mode only).

    A tool is an entry point in the ``microasgi.debug_tools`` group naming a
    function ``attach(app, stack) -> stack``; microasgi's live conversation
    page is one. The core knows tools only through this seam.
    """
    from importlib.metadata import entry_points  # debug mode only

    for entry in entry_points(group=DEBUG_TOOLS_GROUP):
        stack = entry.load()(app, stack)
    return stack
