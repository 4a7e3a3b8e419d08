"""What a case is: a request, the app variant it goes to, its set-up requests."""

from __future__ import annotations

from dataclasses import dataclass

# Values are str, or bytes where a test needs bytes outside ASCII on the wire.
Headers = tuple[tuple[str, str | bytes], ...]


@dataclass(frozen=True)
class Step:
    """One HTTP request: a method, a target as sent on the wire, headers, a body."""

    method: str
    target: str
    headers: Headers = ()
    body: bytes = b""


@dataclass(frozen=True)
class Case:
    id: str
    request: Step
    app: str = "main"
    setup: tuple[Step, ...] = ()
    root_path: str = ""


def get(target: str, *headers: tuple[str, str | bytes]) -> Step:
    return Step("GET", target, headers)
