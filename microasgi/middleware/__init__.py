"""The middleware microasgi ships: each a small pure-ASGI class.

Add one with ``app.add_middleware(Cls, **options)``; the last added is the
outermost, so it sees the request first and the response last.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microasgi.middleware.cors import CORSMiddleware
    from microasgi.middleware.gzip import GZipMiddleware
    from microasgi.middleware.httpsredirect import HTTPSRedirectMiddleware
    from microasgi.middleware.sessions import SessionMiddleware
    from microasgi.middleware.trustedhost import TrustedHostMiddleware

__all__ = [
    "CORSMiddleware",
    "GZipMiddleware",
    "HTTPSRedirectMiddleware",
    "SessionMiddleware",
    "TrustedHostMiddleware",
]

# Each loads on first use: the app imports microasgi.middleware.errors, and
# that should not pull in every middleware with it.
_MODULES = {
    "CORSMiddleware": "cors",
    "GZipMiddleware": "gzip",
    "HTTPSRedirectMiddleware": "httpsredirect",
    "SessionMiddleware": "sessions",
    "TrustedHostMiddleware": "trustedhost",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
