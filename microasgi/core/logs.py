"""The ``microasgi`` logger, and how its lines look until the app configures logging.

A library should leave logging to the application, but an unconfigured
logger prints its records bare, with no level, so under uvicorn an error
looked like a stray print. Like Flask, microasgi therefore gives its logger a
default handler. It writes to stderr in the server's own shape::

    ERROR:    Exception in handler 'show_item' for GET /items/3

and it steps aside as soon as the root logger has a handler
(``logging.basicConfig()``, ``dictConfig``, ``uvicorn --log-config`` with a
root section): from then on the application's own configuration decides.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

logger = logging.getLogger("microasgi")


class ServerStyleFormatter(logging.Formatter):
    """``LEVEL:`` padded to nine characters, then the message: uvicorn's shape."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return f"{record.levelname + ':':<9} {record.message}"


class DefaultHandler(logging.StreamHandler[TextIO]):
    """Write to the current ``sys.stderr`` while the root logger has no handler."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(ServerStyleFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers:
            return  # the application configured logging: its handlers print this
        self.stream = sys.stderr  # the current one, so a redirected stderr works
        super().emit(record)


default_handler = DefaultHandler()
logger.addHandler(default_handler)
