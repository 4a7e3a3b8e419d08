"""The middleware microasgi ships: each a small pure-ASGI class.

Add one with ``app.add_middleware(Cls, **options)``; the last added is the
outermost, so it sees the request first and the response last. The error
middleware is not here: it is part of every app (``microasgi/core/errors.py``).
"""

from microasgi.batteries.middleware.cors import CORSMiddleware
from microasgi.batteries.middleware.gzip import GZipMiddleware
from microasgi.batteries.middleware.httpsredirect import HTTPSRedirectMiddleware
from microasgi.batteries.middleware.sessions import SessionMiddleware
from microasgi.batteries.middleware.trustedhost import TrustedHostMiddleware

__all__ = [
    "CORSMiddleware",
    "GZipMiddleware",
    "HTTPSRedirectMiddleware",
    "SessionMiddleware",
    "TrustedHostMiddleware",
]
