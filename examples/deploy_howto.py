"""Deploying: an app set up to run behind a reverse proxy.

Serve it as the deploying guide shows, for instance:

    ALLOWED_HOSTS=example.com uvicorn examples.deploy_howto:app --workers 4 \
        --proxy-headers --forwarded-allow-ips 127.0.0.1
"""

# --8<-- [start:app]
import os

from microasgi import App
from microasgi.middleware import TrustedHostMiddleware

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")

app = App()  # debug stays False: a 500 must not show tracebacks to the world
app.add_middleware(TrustedHostMiddleware, allowed_hosts=ALLOWED_HOSTS)


@app.get("/health")
async def health(request):
    return "ok"


@app.get("/whoami")
async def whoami(request):
    """What the app sees of a request: handy to check a proxy's set-up."""
    return {
        "url": str(request.url),
        "client": request.client.host if request.client else None,
        "root_path": request.scope.get("root_path", ""),
        "health_path": request.scope.get("root_path", "")
        + request.app.url_path_for("health"),
    }


# --8<-- [end:app]
