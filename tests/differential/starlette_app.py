"""The differential app, written in Starlette; ``microasgi_app.py`` is its twin.

Each route does what its microasgi twin does, in Starlette's idiom: routes in
a list, path parameters from ``request.path_params``, and a Response object
where microasgi lets a handler return a ``str``, ``dict`` or ``None``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

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


def main_app(site: Path) -> Starlette:
    async def home(request: Request) -> Response:
        return PlainTextResponse("Hello, World!")

    async def read_item(request: Request) -> Response:
        return JSONResponse({"id": request.path_params["item_id"]})

    async def read_float(request: Request) -> Response:
        return JSONResponse({"value": request.path_params["value"]})

    async def read_uuid(request: Request) -> Response:
        return JSONResponse({"value": str(request.path_params["value"])})

    async def read_me(request: Request) -> Response:
        return JSONResponse({"me": True})

    async def read_user(request: Request) -> Response:
        return JSONResponse({"name": request.path_params["name"]})

    async def read_path(request: Request) -> Response:
        return JSONResponse({"rest": request.path_params["rest"]})

    async def read_tag(request: Request) -> Response:
        return JSONResponse({"tag": request.path_params["tag"]})

    async def things(request: Request) -> Response:
        return JSONResponse({"method": request.method})

    async def put_thing(request: Request) -> Response:
        return JSONResponse({"method": "PUT"})

    async def with_slash(request: Request) -> Response:
        return PlainTextResponse("with slash")

    async def without_slash(request: Request) -> Response:
        return PlainTextResponse("without slash")

    async def read_dir(request: Request) -> Response:
        return JSONResponse({"name": request.path_params["name"]})

    async def echo_query(request: Request) -> Response:
        return JSONResponse({"items": request.query_params.multi_items()})

    async def echo_header(request: Request) -> Response:
        name = request.query_params["name"]
        headers = request.headers
        return JSONResponse({"get": headers.get(name), "all": headers.getlist(name)})

    async def echo_url(request: Request) -> Response:
        url = request.url
        return JSONResponse({"url": str(url), "path": url.path, "query": url.query})

    async def echo_cookies(request: Request) -> Response:
        return JSONResponse(request.cookies)

    async def echo_form(request: Request) -> Response:
        async with request.form() as form:  # closes the uploads
            return JSONResponse(await describe_form(form))

    async def echo_json(request: Request) -> Response:
        return JSONResponse({"json": await request.json()})

    async def echo_body(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    async def return_none(request: Request) -> Response:
        return Response(status_code=204)

    async def return_bytes(request: Request) -> Response:
        return Response(b"\x00\x01binary", media_type="application/octet-stream")

    async def return_html(request: Request) -> Response:
        return HTMLResponse("<p>caf\u00e9</p>")

    async def return_unicode(request: Request) -> Response:
        return JSONResponse({"text": "caf\u00e9 \u2713", "list": [1, 2.5, None, True]})

    async def return_created(request: Request) -> Response:
        return PlainTextResponse("made", status_code=201, headers={"x-made": "yes"})

    async def return_media(request: Request) -> Response:
        return Response("<x/>", media_type="application/xml")

    async def stream(request: Request) -> Response:
        async def chunks() -> Any:
            for number in range(3):
                yield f"chunk {number}\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    async def file(request: Request) -> Response:
        return FileResponse(site / "data.txt")

    async def download(request: Request) -> Response:
        return FileResponse(site / "data.txt", filename="report.txt")

    async def download_unicode(request: Request) -> Response:
        return FileResponse(site / "data.txt", filename="r\u00e9sum\u00e9 2024.txt")

    async def download_inline(request: Request) -> Response:
        return FileResponse(
            site / "data.txt", filename="data.txt", content_disposition_type="inline"
        )

    async def file_missing(request: Request) -> Response:
        return FileResponse(site / "missing.txt")

    async def redirect(request: Request) -> Response:
        return RedirectResponse("/")

    async def redirect_with(request: Request) -> Response:
        code = request.path_params["code"]
        return RedirectResponse("/items/1?x=1", status_code=code)

    async def redirect_unicode(request: Request) -> Response:
        return RedirectResponse("/caf\u00e9 au lait?q=\u00e9")

    async def redirect_absolute(request: Request) -> Response:
        return RedirectResponse("https://example.com/next")

    async def set_cookie(request: Request) -> Response:
        response = PlainTextResponse("set")
        response.set_cookie("plain", "value", max_age=60, httponly=True)
        response.set_cookie("strict", "x", samesite="strict", secure=True, path="/a")
        return response

    async def set_cookie_expires(request: Request) -> Response:
        response = PlainTextResponse("set")
        response.set_cookie("later", "1", expires=3600)
        return response

    async def delete_cookie(request: Request) -> Response:
        response = PlainTextResponse("deleted")
        response.delete_cookie("plain")
        return response

    async def error_not_found(request: Request) -> Response:
        raise HTTPException(404, detail="No such item")

    async def error_teapot(request: Request) -> Response:
        raise HTTPException(418, headers={"x-brew": "tea"})

    async def error_default_detail(request: Request) -> Response:
        raise HTTPException(409)

    async def error_status(request: Request) -> Response:
        raise HTTPException(request.path_params["code"])

    async def error_crash(request: Request) -> Response:
        raise ValueError("secret internals")

    async def error_custom(request: Request) -> Response:
        raise TeapotError("short and stout")

    async def handle_teapot(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=418)

    async def urls(request: Request) -> Response:
        app = request.app
        return JSONResponse(
            {
                "item": app.url_path_for("read_item", item_id=7),
                "path": app.url_path_for("read_path", rest="a/b c"),
                "tag": app.url_path_for("read_tag", tag="c#"),
            }
        )

    routes = [
        Route("/", home),
        Route("/items/{item_id:int}", read_item),
        Route("/floats/{value:float}", read_float),
        Route("/uuids/{value:uuid}", read_uuid),
        Route("/users/me", read_me),
        Route("/users/{name}", read_user),
        Route("/paths/{rest:path}", read_path),
        Route("/tags/{tag}", read_tag),
        Route("/things", things, methods=["GET", "POST"]),
        Route("/things", put_thing, methods=["PUT"]),
        Route("/slash/", with_slash),
        Route("/noslash", without_slash),
        Route("/dirs/{name}/", read_dir),
        Route("/echo/query", echo_query),
        Route("/echo/header", echo_header),
        Route("/echo/url", echo_url),
        Route("/echo/cookies", echo_cookies),
        Route("/echo/form", echo_form, methods=["POST"]),
        Route("/echo/json", echo_json, methods=["POST"]),
        Route("/echo/body", echo_body, methods=["POST"]),
        Route("/return/none", return_none),
        Route("/return/bytes", return_bytes),
        Route("/return/html", return_html),
        Route("/return/unicode", return_unicode),
        Route("/return/created", return_created),
        Route("/return/media", return_media),
        Route("/stream", stream),
        Route("/file", file),
        Route("/download", download),
        Route("/download/unicode", download_unicode),
        Route("/download/inline", download_inline),
        Route("/file/missing", file_missing),
        Route("/redirect", redirect),
        Route("/redirect/{code:int}", redirect_with),
        Route("/redirect-unicode", redirect_unicode),
        Route("/redirect-absolute", redirect_absolute),
        Route("/cookies/set", set_cookie),
        Route("/cookies/expires", set_cookie_expires),
        Route("/cookies/delete", delete_cookie),
        Route("/errors/not-found", error_not_found),
        Route("/errors/teapot", error_teapot),
        Route("/errors/default-detail", error_default_detail),
        Route("/errors/status/{code:int}", error_status),
        Route("/errors/crash", error_crash),
        Route("/errors/custom", error_custom),
        Route("/urls", urls),
        Mount("/api", api_app()),
        Mount("/static", StaticFiles(directory=site / "static")),
        Mount("/site", StaticFiles(directory=site / "static", html=True)),
    ]
    return Starlette(routes=routes, exception_handlers={TeapotError: handle_teapot})


def api_app() -> Starlette:
    """A sub-app mounted at ``/api`` with its own JSON 404."""

    async def hello(request: Request) -> Response:
        root_path = request.scope.get("root_path")
        return JSONResponse({"hello": "api", "root_path": root_path})

    async def url(request: Request) -> Response:
        return JSONResponse({"url": str(request.url), "path": request.url.path})

    async def directory(request: Request) -> Response:
        return PlainTextResponse("api dir")

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "not found in api"}, status_code=404)

    routes = [Route("/hello", hello), Route("/url", url), Route("/dir/", directory)]
    return Starlette(routes=routes, exception_handlers={404: not_found})


def small_routes() -> list[Route]:
    """The few routes each middleware variant wraps."""

    async def home(request: Request) -> Response:
        return PlainTextResponse("home")

    async def items(request: Request) -> Response:
        return JSONResponse({"method": request.method})

    async def echo_url(request: Request) -> Response:
        return JSONResponse({"url": str(request.url)})

    async def exposed(request: Request) -> Response:
        return PlainTextResponse("exposed", headers={"x-exposed": "1"})

    async def error(request: Request) -> Response:
        raise HTTPException(403, detail="Forbidden here")

    return [
        Route("/", home),
        Route("/items", items, methods=["GET", "POST"]),
        Route("/echo/url", echo_url),
        Route("/exposed", exposed),
        Route("/error", error),
    ]


def cors_app() -> Starlette:
    cors = Middleware(
        CORSMiddleware,
        allow_origins=["https://good.example"],
        allow_methods=["GET", "POST"],
        allow_headers=["x-custom"],
        allow_credentials=True,
        expose_headers=["x-exposed"],
        max_age=600,
    )
    return Starlette(routes=small_routes(), middleware=[cors])


def cors_any_app() -> Starlette:
    cors = Middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
    )
    return Starlette(routes=small_routes(), middleware=[cors])


def cors_credentials_any_app() -> Starlette:
    cors = Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    return Starlette(routes=small_routes(), middleware=[cors])


def cors_regex_app() -> Starlette:
    cors = Middleware(
        CORSMiddleware, allow_origin_regex=r"https://[a-z]+\.example\.org"
    )
    return Starlette(routes=small_routes(), middleware=[cors])


def gzip_app(site: Path) -> Starlette:
    async def large(request: Request) -> Response:
        return PlainTextResponse(LARGE_TEXT)

    async def large_json(request: Request) -> Response:
        return JSONResponse([LARGE_TEXT])

    async def stream(request: Request) -> Response:
        async def chunks() -> Any:
            for _ in range(4):
                yield LARGE_TEXT

        return StreamingResponse(chunks(), media_type="text/plain")

    async def encoded(request: Request) -> Response:
        headers = {"content-encoding": "br"}
        return Response(b"x" * 1000, headers=headers, media_type="text/plain")

    async def events(request: Request) -> Response:
        async def chunks() -> Any:
            for number in range(3):
                yield f"data: {number}\n\n" * 50

        return StreamingResponse(chunks(), media_type="text/event-stream")

    async def file(request: Request) -> Response:
        return FileResponse(site / "data.txt")

    async def sized(request: Request) -> Response:
        return PlainTextResponse("x" * request.path_params["size"])

    async def png(request: Request) -> Response:
        return Response(b"\x89PNG" + b"x" * 1000, media_type="image/png")

    routes = [
        *small_routes(),
        Route("/sized/{size:int}", sized),
        Route("/png", png),
        Route("/large", large),
        Route("/large-json", large_json),
        Route("/stream", stream),
        Route("/encoded", encoded),
        Route("/events", events),
        Route("/file", file),
    ]
    gzip = Middleware(GZipMiddleware, minimum_size=100)
    return Starlette(routes=routes, middleware=[gzip])


def trusted_app() -> Starlette:
    trusted = Middleware(
        TrustedHostMiddleware,
        allowed_hosts=["example.com", "*.example.org", "www.site.test"],
    )
    return Starlette(routes=small_routes(), middleware=[trusted])


def https_app() -> Starlette:
    redirect = Middleware(HTTPSRedirectMiddleware)
    return Starlette(routes=small_routes(), middleware=[redirect])


def sessions_app() -> Starlette:
    async def read_session(request: Request) -> Response:
        return JSONResponse(dict(request.session))

    async def write_session(request: Request) -> Response:
        request.session.update(request.query_params)
        return JSONResponse(dict(request.session))

    async def clear_session(request: Request) -> Response:
        request.session.clear()
        return JSONResponse({})

    routes = [
        Route("/session", read_session, methods=["GET"]),
        Route("/session", write_session, methods=["POST"]),
        Route("/session/clear", clear_session, methods=["POST"]),
    ]
    sessions = Middleware(SessionMiddleware, secret_key=SECRET)
    return Starlette(routes=routes, middleware=[sessions])


def crashing_sub_app() -> Starlette:
    async def crash(request: Request) -> Response:
        raise RuntimeError("the mounted app broke")

    return Starlette(routes=[Route("/crash", crash)])


async def crash(request: Request) -> Response:
    raise RuntimeError("the handler broke")


def catch_all_app() -> Starlette:
    """``exception_handlers={Exception: ...}``: it takes errors, not 404s."""

    async def on_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "caught"}, status_code=500)

    routes = [*small_routes(), Route("/crash", crash)]
    return Starlette(routes=routes, exception_handlers={Exception: on_error})


def handler_500_app(site: Path) -> Starlette:
    """``exception_handlers={500: ...}``: it answers every unhandled error."""

    async def missing_file(request: Request) -> Response:
        return FileResponse(site / "missing.txt")

    async def on_500(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "custom 500"}, status_code=500)

    routes = [
        *small_routes(),
        Route("/crash", crash),
        Route("/missing-file", missing_file),
        Mount("/sub", crashing_sub_app()),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(CrashingMiddleware)],
        exception_handlers={500: on_500},
    )
