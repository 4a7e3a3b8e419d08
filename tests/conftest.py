"""Shared fixtures: async tests run on asyncio through anyio's pytest plugin."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# In CI, property tests run the same examples every time: a red build should
# mean a change broke something, not that the dice found something new.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def redis_server(tmp_path):  # type: ignore[no-untyped-def]
    """A real redis-server on a free port, stopped by its PID afterwards."""
    from redis_server import RedisServer

    with RedisServer.started(tmp_path) as server:
        yield server
