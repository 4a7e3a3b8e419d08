"""The conversation at every middleware boundary, and what each layer changed.

:func:`watch_layers` builds an App's middleware stack with a recorder around
every layer, so one request leaves one :class:`Layer` per boundary: the
scope that layer got and the messages it exchanged with the layer outside
it. Comparing a layer's conversation with the one of the layer inside it
shows what the layer did: a header added, a body compressed, a message
swallowed or sent on its own. :func:`format_layers` prints that as a nested
listing, :func:`mermaid` as a sequence diagram.

Example:
    >>> stack, layers = watch_layers(app)
    >>> # run a request through ``stack``, then:
    >>> print(format_layers(layers))
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from microasgi.core.types import ASGIApp, Message, Receive, Scope, Send
from microasgi.testing.conversation import (
    FIELD_DEFAULTS,
    Conversation,
    Direction,
    Event,
    header_changes,
    recording_channels,
)

if TYPE_CHECKING:
    from microasgi.core.app import App

# Scope keys that change at every layer without meaning anything to a reader.
_QUIET_SCOPE_KEYS = {"app", "microasgi.body", "microasgi.form"}


@dataclass
class Layer:
    """One layer of the stack and the conversation at its outside boundary."""

    name: str
    conversation: Conversation | None = None  # None: the layer was never called
    order: list[int] = field(default_factory=list)  # global order of each event


class LayerRecorder:
    """Wrap one layer; record what crosses its outside boundary."""

    def __init__(self, layer: Layer, app: ASGIApp, counter: itertools.count[int]):
        self.layer = layer
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        conversation = Conversation(dict(scope))
        self.layer.conversation = conversation
        order = self.layer.order

        def record(direction: Direction, message: Message) -> None:
            conversation.record(direction, message)
            order.append(next(self.counter))

        await self.app(scope, *recording_channels(receive, send, record))


def watch_layers(app: App) -> tuple[ASGIApp, list[Layer]]:
    """A stack for ``app`` that records every boundary; layers outermost first."""
    layers: list[Layer] = []
    counter = itertools.count()

    def watch(name: str, layer_app: ASGIApp) -> ASGIApp:
        layer = Layer(name)
        layers.insert(0, layer)  # built innermost first
        return LayerRecorder(layer, layer_app, counter)

    stack = app.build_stack(watch)

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app  # as App.__call__ does
        await stack(scope, receive, send)

    return serve, layers


# What a layer changed ---------------------------------------------------------


def summary(message: Any) -> str:
    """One short line for a message: its type and what matters most in it."""
    if not isinstance(message, Mapping):
        return repr(message)
    kind = str(message.get("type"))
    details = []
    if "status" in message:
        details.append(str(message["status"]))
    for key in ("body", "bytes", "text"):
        if isinstance(message.get(key), bytes | str):
            unit = "bytes" if isinstance(message[key], bytes) else "chars"
            details.append(f"{len(message[key])} {unit}")
    if message.get("more_body"):
        details.append("more")
    if "path" in message:
        details.append(str(message["path"]))
    if "code" in message:
        details.append(f"code {message['code']}")
    return f"{kind} ({', '.join(details)})" if details else kind


def layer_changes(outer: Layer, inner: Layer | None) -> list[str]:
    """What ``outer`` changed between its outside and the layer inside it."""
    if outer.conversation is None:
        return ["never called"]
    if inner is None:
        return []  # the innermost layer: the app itself
    if inner.conversation is None:
        own = [
            f"send {summary(event.message)}: added by this layer"
            for event in outer.conversation.events
            if event.direction == "send"
        ]
        return ["answered by itself; the layers inside were never called", *own]
    changes = _scope_changes(outer.conversation.scope, inner.conversation.scope)
    for direction in ("receive", "send"):
        changes += _message_changes(
            direction,
            [e for e in outer.conversation.events if e.direction == direction],
            [e for e in inner.conversation.events if e.direction == direction],
        )
    return changes


def _scope_changes(outer: Scope, inner: Scope) -> list[str]:
    changes = []
    for key in sorted(set(outer) | set(inner), key=str):
        if key in _QUIET_SCOPE_KEYS or outer.get(key) == inner.get(key):
            continue
        if key not in outer:
            changes.append(f"scope: added {key!r}")
        elif key not in inner:
            changes.append(f"scope: removed {key!r}")
        else:
            changes.append(f"scope: changed {key!r}: {outer[key]!r} -> {inner[key]!r}")
    return changes


def _message_changes(
    direction: str, outer: Sequence[Event], inner: Sequence[Event]
) -> list[str]:
    """Align the two message lists by type and describe the differences.

    For ``send``, the inner layer's messages go out through this one; for
    ``receive``, this layer's messages come in and are passed inward.
    """
    source, target = (inner, outer) if direction == "send" else (outer, inner)
    matcher = difflib.SequenceMatcher(
        a=[_kind(event.message) for event in source],
        b=[_kind(event.message) for event in target],
        autojunk=False,
    )
    changes = []
    only_source = "swallowed" if direction == "send" else "kept, not passed on"
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            for before, after in zip(
                source[a_start:a_end], target[b_start:b_end], strict=True
            ):
                changes += _field_changes(direction, before.message, after.message)
            continue
        for event in source[a_start:a_end]:
            changes.append(f"{direction} {summary(event.message)}: {only_source}")
        for event in target[b_start:b_end]:
            changes.append(f"{direction} {summary(event.message)}: added by this layer")
    return changes


def _field_changes(direction: str, before: Any, after: Any) -> list[str]:
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return []
    prefix = f"{direction} {before.get('type')}:"
    changes = []
    for key in sorted(set(before) | set(after), key=str):
        old = before.get(key, FIELD_DEFAULTS.get(key))
        new = after.get(key, FIELD_DEFAULTS.get(key))
        if old == new or key == "type":
            continue
        if key in ("headers", "trailers") and _pairs(old) and _pairs(new):
            changes += [f"{prefix} {change}" for change in header_changes(old, new)]
        elif key in ("body", "bytes", "text") and isinstance(old, bytes | str):
            size = len(new) if isinstance(new, bytes | str) else 0
            verb = "compressed" if _is_gzip(new) and not _is_gzip(old) else "changed"
            changes.append(f"{prefix} {key} {verb}: {len(old)} -> {size} bytes")
        else:
            changes.append(f"{prefix} {key}: {old!r} -> {new!r}")
    return changes


def _pairs(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 for pair in value
    )


def _is_gzip(data: Any) -> bool:
    return isinstance(data, bytes) and data.startswith(b"\x1f\x8b")


def _kind(message: Any) -> str:
    return str(message.get("type")) if isinstance(message, Mapping) else repr(message)


# Printing ---------------------------------------------------------------------


def format_layers(layers: Sequence[Layer]) -> str:
    """A nested listing, outermost first: each layer and what it changed.

    The innermost layer (the app itself) lists the messages it exchanged.
    """
    lines = ["server"]
    for depth, layer in enumerate(layers):
        indent = "  " * (depth + 1)
        inner = layers[depth + 1] if depth + 1 < len(layers) else None
        lines.append(f"{indent}{layer.name}")
        if inner is None and layer.conversation is not None:
            lines += [
                f"{indent}  {event.direction:<7}  {summary(event.message)}"
                for event in layer.conversation.events
            ]
            continue
        changes = layer_changes(layer, inner) or ["passed everything through unchanged"]
        lines += [f"{indent}  {change}" for change in changes]
    return "\n".join(lines)


def mermaid(layers: Sequence[Layer]) -> str:
    """A Mermaid sequence diagram of every message across every boundary."""
    names = ["Server", *[layer.name for layer in layers]]
    lines = ["sequenceDiagram"]
    lines += [
        f"    participant P{index} as {_mermaid_text(name)}"
        for index, name in enumerate(names)
    ]
    arrows: list[tuple[int, str]] = []
    for depth, layer in enumerate(layers):
        if layer.conversation is None:
            continue
        outside, inside = f"P{depth}", f"P{depth + 1}"
        for order, event in zip(layer.order, layer.conversation.events, strict=True):
            text = _mermaid_text(summary(event.message))
            if event.direction == "receive":
                arrows.append((order, f"    {outside}->>{inside}: {text}"))
            else:
                arrows.append((order, f"    {inside}-->>{outside}: {text}"))
    lines += [arrow for _, arrow in sorted(arrows)]
    for depth, layer in enumerate(layers[:-1]):
        changes = layer_changes(layer, layers[depth + 1])
        if changes:
            note = "<br/>".join(_mermaid_text(change) for change in changes)
            lines.append(f"    Note over P{depth + 1}: {note}")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    # ';' and '#' end or escape a Mermaid statement; keep the text plain.
    return text.replace(";", ",").replace("#", "").replace("\n", " ")
