"""One module per framework, each building the same benchmark app.

Every module defines ``create_app(route_count, middleware_count)`` and a
module-level ``app`` (100 routes, no middleware) for serving with uvicorn.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Framework name -> module, in the order results are shown. ``raw`` comes first:
#: it is the baseline every ratio is taken against.
FRAMEWORKS: dict[str, str] = {
    "raw": "benchmarks.apps.raw_app",
    "microasgi": "benchmarks.apps.microasgi_app",
    "microasgi-response": "benchmarks.apps.microasgi_responses_app",
    "starlette": "benchmarks.apps.starlette_app",
    "falcon": "benchmarks.apps.falcon_app",
    "blacksheep": "benchmarks.apps.blacksheep_app",
}


class FrameworkUnavailableError(RuntimeError):
    """The framework is not installed (or not finished) in this environment."""


def load(framework: str) -> ModuleType:
    """Import the app module of ``framework``, or say why it cannot be had."""
    if framework not in FRAMEWORKS:
        known = ", ".join(FRAMEWORKS)
        raise ValueError(f"unknown framework {framework!r}; choose from {known}.")
    try:
        return importlib.import_module(FRAMEWORKS[framework])
    except ImportError as exc:
        hint = (
            "run from the repository root"
            if framework.startswith("microasgi")
            else "pip install -r benchmarks/requirements.txt"
        )
        raise FrameworkUnavailableError(
            f"{framework} is unavailable ({exc}); {hint}."
        ) from exc


#: Frameworks with apps for the WebSocket echo and upload-memory benchmarks.
EXTRAS: dict[str, str] = {
    "microasgi": "benchmarks.apps.extras_microasgi",
    "starlette": "benchmarks.apps.extras_starlette",
}


def load_extras(framework: str, feature: str) -> ModuleType:
    """The extras module of ``framework`` if it has ``feature`` (websocket, forms)."""
    if framework not in EXTRAS:
        raise FrameworkUnavailableError(
            f"{framework!r} has no {feature} app; choose from {', '.join(EXTRAS)}"
        )
    try:
        module = importlib.import_module(EXTRAS[framework])
    except ImportError as exc:
        raise FrameworkUnavailableError(f"{framework} is unavailable ({exc})") from exc
    reason = module.missing(feature)
    if reason is not None:
        raise FrameworkUnavailableError(
            f"{framework} has no {feature} support: {reason}"
        )
    return module
