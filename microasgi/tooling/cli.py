"""The ``microasgi`` command: ``run``, ``trace`` and ``routes``.

``microasgi run module:app`` serves an app with uvicorn; ``microasgi trace
module:app GET /`` runs one request in-process and prints the ASGI
conversation; ``microasgi routes module:app`` lists the routes, and with
``--explain 'GET /x'`` says how that request is routed. An app is named as
``pkg.module:attribute`` (the attribute defaults to ``app``) or as a file,
``path/to/file.py[:attribute]``; the current directory is on ``sys.path``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microasgi.core.extras import MissingPackageError, missing_package
from microasgi.core.routing import Mount, Router, WebSocketRoute
from microasgi.testing.conversation import BODY_LIMIT
from microasgi.tooling.loading import AppLoadError, AppTarget, load_app


class CommandLineError(Exception):
    """What was typed cannot be used: a bad path, header or request line."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        status: int = args.command(args)
    except (AppLoadError, CommandLineError, MissingPackageError) as exc:
        print(f"microasgi {args.name}: error: {exc}", file=sys.stderr)
        return 1
    return status


# The commands -------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    """``microasgi run``: serve the app with uvicorn."""
    try:
        import uvicorn
    except ModuleNotFoundError as exc:
        raise missing_package(exc) from None

    app = load_app(args.target)  # fail here, with a clear message, not in uvicorn
    options: dict[str, Any] = {"host": args.host, "port": args.port}
    if args.reload or args.workers:  # uvicorn imports the app again, by name
        target = AppTarget.parse(args.target)
        app = target.import_string
        options.update(reload=args.reload, workers=args.workers, app_dir=target.app_dir)
    uvicorn.run(app, **options)
    return 0


def trace_command(args: argparse.Namespace) -> int:
    """``microasgi trace``: one request in-process, its conversation printed."""
    from microasgi.tooling.layers import format_layers, mermaid
    from microasgi.tooling.trace import TraceRequest, format_trace, trace, trace_json

    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")  # to stderr
    app = load_app(args.target)
    request = TraceRequest(
        *_method_and_path(args.method, args.path),
        body=_read_body(args.data),
        headers=[_parse_header(header) for header in args.header],
        websocket=args.ws,
        texts=args.send,
        extensions=args.extension,
    )
    try:
        traces = asyncio.run(
            trace(
                app, request, lifespan=args.lifespan, timeout=args.timeout,
                layers=args.layers,
            )
        )  # fmt: skip
    except TypeError as exc:
        raise CommandLineError(str(exc)) from None
    if args.save:
        from microasgi.testing.replay import Recording, save

        save(Recording.of(traces[0].conversation), args.save)
        print(f"saved the conversation to {args.save}", file=sys.stderr)
    output_format = "json" if args.json else args.format
    if output_format == "json":
        print(json.dumps([trace_json(one) for one in traces], indent=2))
    elif output_format == "mermaid":
        request_trace = next(
            one for one in traces if one.conversation.scope["type"] != "lifespan"
        )
        print(mermaid(request_trace.as_layers()))
    else:
        color = _use_color(args.color)
        print("\n\n".join(format_trace(one, color, args.max_body) for one in traces))
        if args.layers:
            print("\nlayers, outermost first, and what each changed:")
            print(format_layers(traces[0].layers))
    for one in traces:
        if one.error is not None:
            traceback.print_exception(one.error, file=sys.stderr)
    return 1 if any(_failed(trace_json(one)) for one in traces) else 0


def _failed(data: dict[str, Any]) -> bool:
    """Whether a trace (as JSON data) shows an error, a timeout or a breach."""
    outcome = data["outcome"]
    breaches = [event["breach"] for event in data["events"]] + [outcome["breach"]]
    return bool(outcome["error"] or outcome["timed_out"] or any(breaches))


def _method_and_path(method: str, path: str | None) -> tuple[str, str]:
    if path is None:  # `microasgi trace app /items`: GET
        method, path = "GET", method
    if not path.startswith(("/", "http://", "https://", "ws://", "wss://")):
        raise CommandLineError(
            f"the path must start with '/', got {path!r}; e.g. microasgi trace "
            "examples.hello:app GET /"
        )
    if not method.isalpha():
        raise CommandLineError(f"{method!r} is not an HTTP method; e.g. GET or POST")
    return method.upper(), path


def _read_body(data: str | None) -> bytes | None:
    if data is None or not data.startswith("@"):
        return None if data is None else data.encode()
    try:
        return Path(data[1:]).read_bytes()  # -d @file.json, as with curl
    except OSError as exc:
        raise CommandLineError(
            f"cannot read the body from {data[1:]!r}: {exc}"
        ) from None


def _parse_header(header: str) -> tuple[bytes, bytes]:
    name, colon, value = header.partition(":")
    if not colon or not name.strip() or " " in name.strip():
        raise CommandLineError(f"a header is written 'Name: value', got {header!r}")
    return name.strip().lower().encode("latin-1"), value.strip().encode("latin-1")


def _use_color(choice: str) -> bool:
    if choice == "auto":
        return sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return choice == "always"


def routes_command(args: argparse.Namespace) -> int:
    """``microasgi routes``: the route table, or how one request is routed."""
    from microasgi.tooling.explain import explain

    app = load_app(args.target)
    if not isinstance(app, Router):
        raise CommandLineError(
            f"{args.target} is {type(app).__name__}, not a microasgi App or Router, "
            "so its routes cannot be listed"
        )
    if args.explain:
        try:
            print(explain(app, args.explain))
        except ValueError as exc:
            raise CommandLineError(str(exc)) from None
    else:
        print(format_routes(app))
    return 0


def format_routes(router: Router) -> str:
    """A table of the routes: methods, path, name and handler; mounts included."""
    rows = [("METHODS", "PATH", "NAME", "HANDLER"), *_route_rows(router, "")]
    widths = [max(len(row[column]) for row in rows) + 2 for column in range(3)]
    lines = [
        "".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + row[3]
        for row in rows
    ]
    lines.append("(a GET route answers HEAD too; OPTIONS is answered for you)")
    return "\n".join(lines)


def _route_rows(router: Router, prefix: str) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for route in router.routes:
        if isinstance(route, Mount):
            path = prefix + (route.prefix or "/")
            rows.append(("MOUNT", path, route.name or "", _qualified(route.app)))
            if isinstance(route.app, Router):
                rows.extend(_route_rows(route.app, prefix + route.prefix))
            continue
        methods = ",".join(sorted(route.methods))
        if isinstance(route, WebSocketRoute):
            methods = "WEBSOCKET"
        path = prefix + route.path
        rows.append((methods, path, str(route.name), _qualified(route.endpoint)))
    return rows


def _qualified(thing: Any) -> str:
    if not hasattr(thing, "__qualname__"):
        thing = type(thing)  # an app object: name its class
    return f"{getattr(thing, '__module__', '?')}.{thing.__qualname__}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microasgi", description="Serve, trace and inspect ASGI apps."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    app_help = "the app: pkg.module:app, or path/to/file.py[:app]"

    run = commands.add_parser("run", help="serve an app with uvicorn")
    run.set_defaults(command=run_command, name="run")
    run.add_argument("target", metavar="APP", help=app_help)
    run.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    run.add_argument("--port", type=int, default=8000, help="default: 8000")
    run.add_argument("--reload", action="store_true", help="restart on changes")
    run.add_argument("--workers", type=int, help="number of worker processes")

    trace = commands.add_parser(
        "trace", help="run one request in-process and print its ASGI messages"
    )
    trace.set_defaults(command=trace_command, name="trace")
    trace.add_argument("target", metavar="APP", help=app_help)
    trace.add_argument("method", metavar="METHOD", help="GET, POST... (or the path)")
    trace.add_argument("path", metavar="PATH", nargs="?", help="e.g. /items/3?q=x")
    trace.add_argument("-d", "--data", metavar="BODY", help="body; @file reads one")
    trace.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="add a request header",
    )
    trace.add_argument("--ws", action="store_true", help="open a WebSocket instead")
    trace.add_argument(
        "--send",
        action="append",
        default=[],
        metavar="TEXT",
        help="with --ws: a text message to send (repeatable)",
    )
    trace.add_argument(
        "--extension",
        action="append",
        default=[],
        metavar="NAME",
        help="offer an ASGI extension, e.g. http.response.pathsend (repeatable)",
    )
    trace.add_argument(
        "--lifespan",
        action="store_true",
        help="run lifespan startup before and shutdown after",
    )
    trace.add_argument(
        "--layers",
        action="store_true",
        help="show the messages at every middleware boundary (a microasgi App)",
    )
    trace.add_argument(
        "--format",
        choices=["text", "json", "mermaid"],
        default="text",
        help="text (default), json, or a mermaid sequence diagram",
    )
    trace.add_argument(
        "--save",
        metavar="FILE",
        help="write the conversation to FILE, for microasgi.replay in a test",
    )
    trace.add_argument("--json", action="store_true", help="print JSON")
    trace.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    trace.add_argument("--timeout", type=float, default=10.0, help="seconds (10)")
    trace.add_argument(
        "--max-body",
        type=int,
        default=BODY_LIMIT,
        help=f"bytes of a body shown ({BODY_LIMIT}; 0: all)",
    )

    routes = commands.add_parser("routes", help="list routes, or explain one request")
    routes.set_defaults(command=routes_command, name="routes")
    routes.add_argument("target", metavar="APP", help=app_help)
    routes.add_argument(
        "--explain",
        metavar="'METHOD /PATH'",
        help="say how this request is routed, and why",
    )
    return parser
