"""``microasgi.middleware``, the public path of ``microasgi.batteries.middleware``."""

from microasgi.batteries.middleware import (
    CORSMiddleware,
    GZipMiddleware,
    HTTPSRedirectMiddleware,
    SessionMiddleware,
    TrustedHostMiddleware,
)

__all__ = [
    "CORSMiddleware",
    "GZipMiddleware",
    "HTTPSRedirectMiddleware",
    "SessionMiddleware",
    "TrustedHostMiddleware",
]
