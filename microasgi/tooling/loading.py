"""Finding an ASGI app by the name given on the command line.

An app is named as ``pkg.module:attribute`` (the attribute defaults to
``app``) or as a file, ``path/to/file.py[:attribute]``, which is imported the
way ``python path/to/file.py`` would run it: with its directory on
``sys.path``. Whatever is found must look like an ASGI app, an async callable
taking ``(scope, receive, send)``; if not, :class:`AppLoadError` says why.

Example:
    >>> app = load_app("examples.hello:app")
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from microasgi.core.concurrency import is_async_callable


class AppLoadError(Exception):
    """The named app cannot be found, or is not an ASGI app."""


@dataclass(frozen=True)
class AppTarget:
    """Where an app lives (a module or a file) and the attribute that holds it."""

    location: str
    attribute: str = "app"

    @classmethod
    def parse(cls, target: str) -> AppTarget:
        """``"pkg.mod:app"``, ``"pkg.mod"`` or ``"dir/file.py:app"``."""
        location, colon, attribute = target.rpartition(":")
        if not colon or not all(part.isidentifier() for part in attribute.split(".")):
            return cls(target)  # no attribute given, or a Windows drive letter
        return cls(location, attribute)

    @property
    def is_file(self) -> bool:
        location = self.location
        return location.endswith(".py") or "/" in location or os.sep in location

    @property
    def app_dir(self) -> str:
        """The directory to put on ``sys.path`` to import it by name."""
        return str(Path(self.location).parent) if self.is_file else "."

    @property
    def import_string(self) -> str:
        """The ``module:attribute`` name uvicorn imports (from :attr:`app_dir`)."""
        module = Path(self.location).stem if self.is_file else self.location
        return f"{module}:{self.attribute}"

    def __str__(self) -> str:
        return f"{self.location}:{self.attribute}"


def load_app(target: str) -> Any:
    """Import the ASGI app named ``module:attribute`` or ``file.py:attribute``."""
    name = AppTarget.parse(target)
    module = _import_file(name.location) if name.is_file else _import(name.location)
    app: Any = module
    for part in name.attribute.split("."):
        if not hasattr(app, part):
            found = ", ".join(_asgi_names(module)) or "none"
            raise AppLoadError(
                f"{name.location!r} has no attribute {name.attribute!r}; ASGI apps "
                f"it defines: {found}. Name one as '{name.location}:NAME'"
            )
        app = getattr(app, part)
    problem = asgi_problem(app, str(name))
    if problem is not None:
        raise AppLoadError(problem)
    return app


def _import_file(location: str) -> ModuleType:
    path = Path(location)
    if not path.is_file():
        raise AppLoadError(f"no file {location!r} (looked from {os.getcwd()})")
    sys.path.insert(0, str(path.resolve().parent))  # as `python file.py` does
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"cannot import {location!r}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _import(location: str) -> ModuleType:
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (location + ".").startswith(exc.name + "."):
            raise  # the module exists, but something it imports does not
        suggestion = _colon_for_dot(location)
        if suggestion is not None:
            raise AppLoadError(
                f"no module named {location!r}; did you mean {suggestion!r}? "
                "A colon separates the module from the app in it: module:attribute"
            ) from None
        raise AppLoadError(
            f"no module named {exc.name!r} (looked in {os.getcwd()} and on "
            "sys.path); name a module like 'pkg.mod:app' or a file like "
            "'examples/hello.py'"
        ) from None


def _colon_for_dot(location: str) -> str | None:
    """``"items_api:app"`` for ``"items_api.app"``, if that module has an ``app``."""
    module_name, dot, attribute = location.rpartition(".")
    if not dot:
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return f"{module_name}:{attribute}" if hasattr(module, attribute) else None


def _asgi_names(module: ModuleType) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and asgi_problem(value, name) is None
    ]


def asgi_problem(app: Any, name: str) -> str | None:
    """Why ``app`` is not an ASGI app, or None if it looks like one."""
    expected = "an ASGI app is an async callable: async def app(scope, receive, send)"
    if isinstance(app, type):
        return (
            f"{name} is the class {app.__name__}, not an app; create one in your "
            f"module (app = {app.__name__}()) and name that"
        )
    if not callable(app):
        return f"{name} is {type(app).__name__}, not an app; {expected}"
    if not is_async_callable(app):
        return (
            f"{name} is a plain (sync) callable, maybe a WSGI app or a factory; "
            f"{expected}. Wrap a WSGI app in microasgi.WSGIApp; call a factory in "
            "your module (app = create_app())"
        )
    try:
        inspect.signature(app).bind(None, None, None)
    except TypeError:
        return (
            f"{name} takes {inspect.signature(app)}, so it is not an app (a route "
            f"handler?); {expected}"
        )
    except ValueError:
        pass  # no signature to check
    return None
