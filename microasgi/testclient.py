"""``microasgi.testclient``, the public path of ``microasgi.testing.client``."""

from microasgi.testing.client import (
    AsyncTestClient,
    AsyncWebSocketTestSession,
    Conversation,
    Event,
    LifespanError,
    TestClient,
    WebSocketClosedError,
    WebSocketDenialError,
    WebSocketTestSession,
)

__all__ = [
    "AsyncTestClient",
    "AsyncWebSocketTestSession",
    "Conversation",
    "Event",
    "LifespanError",
    "TestClient",
    "WebSocketClosedError",
    "WebSocketDenialError",
    "WebSocketTestSession",
]
