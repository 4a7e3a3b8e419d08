"""The standard middleware, stacked in a sensible order.

Serve it with `uvicorn examples.middleware_howto:app`. Plain HTTP is
redirected before anything else runs: `curl -i -H 'Host: example.com'
localhost:8000/` answers 307 with `location: https://example.com/`.
"""

# --8<-- [start:stack]
from microasgi import App
from microasgi.middleware import (
    CORSMiddleware,
    GZipMiddleware,
    HTTPSRedirectMiddleware,
    TrustedHostMiddleware,
)

app = App()
app.add_middleware(GZipMiddleware, minimum_size=1000)
app.add_middleware(CORSMiddleware, allow_origins=["https://example.com"])
app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com"])
app.add_middleware(HTTPSRedirectMiddleware)
# --8<-- [end:stack]


@app.get("/")
async def home(request):
    return "Hello from inside four middleware"
