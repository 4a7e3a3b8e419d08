"""The differential app, written in microasgi; ``starlette_app.py`` is its twin.

``build(site)`` returns one ASGI app per variant: ``main`` holds the routes,
the others wrap a few small routes in one middleware (or error set-up) each,
as a user would configure it. Handlers answer with what they saw, as JSON, so
the two frameworks' parsing can be compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from microasgi import (
    App,
    FileResponse,
    HTMLResponse,
    HTTPException,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Request,
    Response,
    StaticFiles,
    StreamingResponse,
)
from microasgi.batteries.middleware import (
    CORSMiddleware,
    GZipMiddleware,
    HTTPSRedirectMiddleware,
    SessionMiddleware,
    TrustedHostMiddleware,
)
from microasgi.core.types import ASGIApp

from .shared import (
    LARGE_TEXT,
    SECRET,
    CrashingMiddleware,
    TeapotError,
    describe_form,
)


def build(site: Path) -> dict[str, ASGIApp]:
    """Every variant of the app, by name."""
    return {
        "main": main_app(site),
        "cors": cors_app(),
        "cors_any": cors_any_app(),
        "cors_credentials_any": cors_credentials_any_app(),
        "cors_regex": cors_regex_app(),
        "gzip": gzip_app(site),
        "trusted": trusted_app(),
        "https": https_app(),
        "sessions": sessions_app(),
        "catch_all": catch_all_app(),
        "handler_500": handler_500_app(site),
    }


def main_app(site: Path) -> App:
    app = App()

    @app.get("/")
    async def home(request: Request) -> str:
        return "Hello, World!"

    @app.get("/items/{item_id:int}")
    async def read_item(request: Request, item_id: int) -> dict[str, Any]:
        return {"id": item_id}

    @app.get("/floats/{value:float}")
    async def read_float(request: Request, value: float) -> dict[str, Any]:
        return {"value": value}

    @app.get("/uuids/{value:uuid}")
    async def read_uuid(request: Request, value: Any) -> dict[str, Any]:
        return {"value": str(value)}

    @app.get("/users/me")
    async def read_me(request: Request) -> dict[str, Any]:
        return {"me": True}

    @app.get("/users/{name}")
    async def read_user(request: Request, name: str) -> dict[str, Any]:
        return {"name": name}

    @app.get("/paths/{rest:path}")
    async def read_path(request: Request, rest: str) -> dict[str, Any]:
        return {"rest": rest}

    @app.get("/tags/{tag}")
    async def read_tag(request: Request, tag: str) -> dict[str, Any]:
        return {"tag": tag}

    @app.route("/things", methods=["GET", "POST"])
    async def things(request: Request) -> dict[str, Any]:
        return {"method": request.method}

    @app.put("/things")
    async def put_thing(request: Request) -> dict[str, Any]:
        return {"method": "PUT"}

    @app.get("/slash/")
    async def with_slash(request: Request) -> str:
        return "with slash"

    @app.get("/noslash")
    async def without_slash(request: Request) -> str:
        return "without slash"

    @app.get("/dirs/{name}/")
    async def read_dir(request: Request, name: str) -> dict[str, Any]:
        return {"name": name}

    @app.get("/echo/query")
    async def echo_query(request: Request) -> dict[str, Any]:
        return {"items": request.query_params.multi_items()}

    @app.get("/echo/header")
    async def echo_header(request: Request) -> dict[str, Any]:
        name = request.query_params["name"]
        return {"get": request.headers.get(name), "all": request.headers.getlist(name)}

    @app.get("/echo/url")
    async def echo_url(request: Request) -> dict[str, Any]:
        url = request.url
        return {"url": str(url), "path": url.path, "query": url.query}

    @app.get("/echo/cookies")
    async def echo_cookies(request: Request) -> dict[str, Any]:
        return request.cookies

    @app.post("/echo/form")
    async def echo_form(request: Request) -> list[Any]:
        return await describe_form(await request.form())

    @app.post("/echo/json")
    async def echo_json(request: Request) -> dict[str, Any]:
        return {"json": await request.json()}

    @app.post("/echo/body")
    async def echo_body(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    @app.get("/return/none")
    async def return_none(request: Request) -> None:
        return None

    @app.get("/return/bytes")
    async def return_bytes(request: Request) -> bytes:
        return b"\x00\x01binary"

    @app.get("/return/html")
    async def return_html(request: Request) -> Response:
        return HTMLResponse("<p>caf\u00e9</p>")

    @app.get("/return/unicode")
    async def return_unicode(request: Request) -> dict[str, Any]:
        return {"text": "caf\u00e9 \u2713", "list": [1, 2.5, None, True]}

    @app.get("/return/created")
    async def return_created(request: Request) -> Response:
        return PlainTextResponse("made", status_code=201, headers={"x-made": "yes"})

    @app.get("/return/media")
    async def return_media(request: Request) -> Response:
        return Response("<x/>", media_type="application/xml")

    @app.get("/stream")
    async def stream(request: Request) -> Response:
        async def chunks() -> Any:
            for number in range(3):
                yield f"chunk {number}\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/file")
    async def file(request: Request) -> Response:
        return FileResponse(site / "data.txt")

    @app.get("/download")
    async def download(request: Request) -> Response:
        return FileResponse(site / "data.txt", filename="report.txt")

    @app.get("/download/unicode")
    async def download_unicode(request: Request) -> Response:
        return FileResponse(site / "data.txt", filename="r\u00e9sum\u00e9 2024.txt")

    @app.get("/download/inline")
    async def download_inline(request: Request) -> Response:
        return FileResponse(
            site / "data.txt", filename="data.txt", content_disposition_type="inline"
        )

    @app.get("/file/missing")
    async def file_missing(request: Request) -> Response:
        return FileResponse(site / "missing.txt")

    @app.get("/redirect")
    async def redirect(request: Request) -> Response:
        return RedirectResponse("/")

    @app.get("/redirect/{code:int}")
    async def redirect_with(request: Request, code: int) -> Response:
        return RedirectResponse("/items/1?x=1", status_code=code)

    @app.get("/redirect-unicode")
    async def redirect_unicode(request: Request) -> Response:
        return RedirectResponse("/caf\u00e9 au lait?q=\u00e9")

    @app.get("/redirect-absolute")
    async def redirect_absolute(request: Request) -> Response:
        return RedirectResponse("https://example.com/next")

    @app.get("/cookies/set")
    async def set_cookie(request: Request) -> Response:
        response = PlainTextResponse("set")
        response.set_cookie("plain", "value", max_age=60, httponly=True)
        response.set_cookie("strict", "x", samesite="strict", secure=True, path="/a")
        return response

    @app.get("/cookies/expires")
    async def set_cookie_expires(request: Request) -> Response:
        response = PlainTextResponse("set")
        response.set_cookie("later", "1", expires=3600)
        return response

    @app.get("/cookies/delete")
    async def delete_cookie(request: Request) -> Response:
        response = PlainTextResponse("deleted")
        response.delete_cookie("plain")
        return response

    @app.get("/errors/not-found")
    async def error_not_found(request: Request) -> None:
        raise HTTPException(404, detail="No such item")

    @app.get("/errors/teapot")
    async def error_teapot(request: Request) -> None:
        raise HTTPException(418, headers={"x-brew": "tea"})

    @app.get("/errors/default-detail")
    async def error_default_detail(request: Request) -> None:
        raise HTTPException(409)

    @app.get("/errors/status/{code:int}")
    async def error_status(request: Request, code: int) -> None:
        raise HTTPException(code)

    @app.get("/errors/crash")
    async def error_crash(request: Request) -> None:
        raise ValueError("secret internals")

    @app.get("/errors/custom")
    async def error_custom(request: Request) -> None:
        raise TeapotError("short and stout")

    @app.exception_handler(TeapotError)
    async def handle_teapot(request: Request, exc: TeapotError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=418)

    @app.get("/urls")
    async def urls(request: Request) -> dict[str, Any]:
        return {
            "item": app.url_path_for("read_item", item_id=7),
            "path": app.url_path_for("read_path", rest="a/b c"),
            "tag": app.url_path_for("read_tag", tag="c#"),
        }

    app.mount("/api", api_app())
    app.mount("/static", StaticFiles(site / "static"))
    app.mount("/site", StaticFiles(site / "static", html=True))
    return app


def api_app() -> App:
    """A sub-app mounted at ``/api`` with its own JSON 404."""
    api = App()

    @api.get("/hello")
    async def hello(request: Request) -> dict[str, Any]:
        return {"hello": "api", "root_path": request.scope.get("root_path")}

    @api.get("/url")
    async def url(request: Request) -> dict[str, Any]:
        return {"url": str(request.url), "path": request.url.path}

    @api.get("/dir/")
    async def directory(request: Request) -> str:
        return "api dir"

    @api.exception_handler(404)
    async def not_found(request: Request, exc: HTTPException) -> Response:
        return JSONResponse({"error": "not found in api"}, status_code=404)

    return api


def small_app() -> App:
    """The few routes each middleware variant wraps."""
    app = App()

    @app.get("/")
    async def home(request: Request) -> str:
        return "home"

    @app.route("/items", methods=["GET", "POST"])
    async def items(request: Request) -> dict[str, Any]:
        return {"method": request.method}

    @app.get("/echo/url")
    async def echo_url(request: Request) -> dict[str, Any]:
        return {"url": str(request.url)}

    @app.get("/exposed")
    async def exposed(request: Request) -> Response:
        return PlainTextResponse("exposed", headers={"x-exposed": "1"})

    @app.get("/error")
    async def error(request: Request) -> None:
        raise HTTPException(403, detail="Forbidden here")

    return app


def cors_app() -> App:
    app = small_app()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://good.example"],
        allow_methods=["GET", "POST"],
        allow_headers=["x-custom"],
        allow_credentials=True,
        expose_headers=["x-exposed"],
        max_age=600,
    )
    return app


def cors_any_app() -> App:
    app = small_app()
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
    )
    return app


def cors_credentials_any_app() -> App:
    app = small_app()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    return app


def cors_regex_app() -> App:
    app = small_app()
    app.add_middleware(
        CORSMiddleware, allow_origin_regex=r"https://[a-z]+\.example\.org"
    )
    return app


def gzip_app(site: Path) -> App:
    app = small_app()

    @app.get("/large")
    async def large(request: Request) -> str:
        return LARGE_TEXT

    @app.get("/large-json")
    async def large_json(request: Request) -> list[Any]:
        return [LARGE_TEXT]

    @app.get("/stream")
    async def stream(request: Request) -> Response:
        async def chunks() -> Any:
            for _ in range(4):
                yield LARGE_TEXT

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/encoded")
    async def encoded(request: Request) -> Response:
        headers = {"content-encoding": "br"}
        return Response(b"x" * 1000, headers=headers, media_type="text/plain")

    @app.get("/events")
    async def events(request: Request) -> Response:
        async def chunks() -> Any:
            for number in range(3):
                yield f"data: {number}\n\n" * 50

        return StreamingResponse(chunks(), media_type="text/event-stream")

    @app.get("/file")
    async def file(request: Request) -> Response:
        return FileResponse(site / "data.txt")

    @app.get("/sized/{size:int}")
    async def sized(request: Request, size: int) -> str:
        return "x" * size

    @app.get("/png")
    async def png(request: Request) -> Response:
        return Response(b"\x89PNG" + b"x" * 1000, media_type="image/png")

    app.add_middleware(GZipMiddleware, minimum_size=100)
    return app


def trusted_app() -> App:
    app = small_app()
    app.add_middleware(
        TrustedHostMiddleware,
        allowed_hosts=["example.com", "*.example.org", "www.site.test"],
    )
    return app


def https_app() -> App:
    app = small_app()
    app.add_middleware(HTTPSRedirectMiddleware)
    return app


def sessions_app() -> App:
    app = App()

    @app.get("/session")
    async def read_session(request: Request) -> dict[str, Any]:
        return dict(request.scope["session"])

    @app.post("/session")
    async def write_session(request: Request) -> dict[str, Any]:
        session = request.scope["session"]
        session.update(request.query_params)
        return dict(session)

    @app.post("/session/clear")
    async def clear_session(request: Request) -> dict[str, Any]:
        request.scope["session"].clear()
        return {}

    app.add_middleware(SessionMiddleware, secret_key=SECRET)
    return app


def crashing_sub_app() -> App:
    sub = App()

    @sub.get("/crash")
    async def crash(request: Request) -> None:
        raise RuntimeError("the mounted app broke")

    return sub


def catch_all_app() -> App:
    """``exception_handler(Exception)``: it should take errors, not 404s."""
    app = small_app()

    @app.get("/crash")
    async def crash(request: Request) -> None:
        raise RuntimeError("the handler broke")

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "caught"}, status_code=500)

    return app


def handler_500_app(site: Path) -> App:
    """``exception_handler(500)``: it should answer every unhandled error."""
    app = small_app()

    @app.get("/crash")
    async def crash(request: Request) -> None:
        raise RuntimeError("the handler broke")

    @app.get("/missing-file")
    async def missing_file(request: Request) -> Response:
        return FileResponse(site / "missing.txt")

    @app.exception_handler(500)
    async def on_500(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "custom 500"}, status_code=500)

    app.mount("/sub", crashing_sub_app())
    app.add_middleware(CrashingMiddleware)
    return app
