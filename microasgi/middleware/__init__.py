"""The middleware microasgi ships: each a small pure-ASGI class.

Add one with ``app.add_middleware(Cls, **options)``; the last added is the
outermost, so it sees the request first and the response last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microasgi.middleware.cors import CORSMiddleware
from microasgi.middleware.gzip import GZipMiddleware
from microasgi.middleware.httpsredirect import HTTPSRedirectMiddleware
from microasgi.middleware.trustedhost import TrustedHostMiddleware

if TYPE_CHECKING:
    from microasgi.middleware.sessions import SessionMiddleware

__all__ = [
    "CORSMiddleware",
    "GZipMiddleware",
    "HTTPSRedirectMiddleware",
    "SessionMiddleware",
    "TrustedHostMiddleware",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so importing the other middleware stays light.
    if name == "SessionMiddleware":
        from microasgi.middleware.sessions import SessionMiddleware

        return SessionMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
