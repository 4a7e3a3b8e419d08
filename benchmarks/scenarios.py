"""The benchmarked requests and the exact answers each must get.

A scenario names the app it runs on (by route and middleware count), the
request, and the expected response. Plain-text bodies are compared byte for
byte; JSON bodies are compared as decoded values, because frameworks differ
only in whitespace. The 404 scenario checks the status alone: each framework
has its own default "not found" body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .apps.common import HELLO, JSON_MESSAGE

TEXT_TYPES = ("text/plain;charset=utf-8",)
JSON_TYPES = ("application/json", "application/json;charset=utf-8")


def canonical(value: Any) -> str:
    """A JSON value as text, so that 42 and 42.0 or 1 and true never compare equal."""
    return json.dumps(value, sort_keys=True)


def _echo_payload(size: int = 1024) -> bytes:
    """A JSON object whose compact encoding is exactly ``size`` bytes."""
    payload: dict[str, Any] = {"id": 1, "tags": ["bench"] * 8, "text": ""}
    base = len(json.dumps(payload, separators=(",", ":")))
    payload["text"] = "x" * (size - base)
    encoded = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    if len(encoded) != size:
        raise RuntimeError(f"echo payload is {len(encoded)} bytes, not {size}")
    return encoded


ECHO_BODY = _echo_payload()


@dataclass(frozen=True)
class Scenario:
    """One request to one app, with the answer it must get."""

    name: str
    description: str
    method: str
    path: str
    status: int = 200
    content_types: tuple[str, ...] = ()  # () means "not checked"
    text: str | None = None
    json_value: Any = None
    body: bytes = b""
    route_count: int = 100
    middleware_count: int = 0
    headers: tuple[tuple[bytes, bytes], ...] = field(default=())

    @property
    def app_key(self) -> tuple[int, int]:
        """Scenarios with the same key share one app instance."""
        return (self.route_count, self.middleware_count)

    def problems(self, status: int, content_type: str | None, body: bytes) -> list[str]:
        """What is wrong with a response; an empty list means it is right."""
        found = []
        if status != self.status:
            found.append(f"status {status}, expected {self.status}")
        normalized = (content_type or "").replace(" ", "").lower()
        if self.content_types and normalized not in self.content_types:
            found.append(
                f"content-type {content_type!r}, expected {self.content_types}"
            )
        if self.text is not None and body != self.text.encode("utf-8"):
            found.append(f"body {body[:80]!r}, expected {self.text!r}")
        if self.json_value is not None:
            try:
                value = json.loads(body)
            except ValueError:
                value = f"<not JSON: {body[:80]!r}>"
            if canonical(value) != canonical(self.json_value):
                found.append(f"JSON body {str(value)[:80]}, expected {self.json_value}")
        return found


def _json(name: str, description: str, path: str, value: Any, **extra: Any) -> Scenario:
    return Scenario(
        name,
        description,
        "GET",
        path,
        content_types=JSON_TYPES,
        json_value=value,
        **extra,
    )


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in [
        Scenario(
            "plaintext",
            "GET / -> Hello, World! (text/plain)",
            "GET",
            "/",
            content_types=TEXT_TYPES,
            text=HELLO,
        ),
        _json(
            "json", "GET /json -> {message} (application/json)", "/json", JSON_MESSAGE
        ),
        _json("param", "GET /items/42, route 100 of 100", "/items/42", {"id": 42}),
        Scenario(
            "notfound",
            "GET /does-not-exist -> 404 (100 routes)",
            "GET",
            "/does-not-exist",
            status=404,
        ),
        Scenario(
            "echo",
            "POST /echo, 1 KiB JSON parsed and returned",
            "POST",
            "/echo",
            content_types=JSON_TYPES,
            json_value=json.loads(ECHO_BODY),
            body=ECHO_BODY,
            headers=(
                (b"content-type", b"application/json"),
                (b"content-length", str(len(ECHO_BODY)).encode()),
            ),
        ),
        Scenario(
            "middleware",
            "GET / through 3 pass-through ASGI middlewares",
            "GET",
            "/",
            content_types=TEXT_TYPES,
            text=HELLO,
            middleware_count=3,
        ),
        _json(
            "routes-10",
            "GET /items/42, route 10 of 10",
            "/items/42",
            {"id": 42},
            route_count=10,
        ),
        _json(
            "routes-1000",
            "GET /items/42, route 1000 of 1000",
            "/items/42",
            {"id": 42},
            route_count=1000,
        ),
    ]
}


def select(names: str | None) -> list[Scenario]:
    """The scenarios named in a comma-separated list (all when ``None``)."""
    if names is None:
        return list(SCENARIOS.values())
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        raise SystemExit(
            f"unknown scenario(s) {', '.join(unknown)}; "
            f"choose from {', '.join(SCENARIOS)}."
        )
    return [SCENARIOS[name] for name in chosen]
