"""What a handler must look like: ``handler(request, **path_params)``.

Checked when a route is added, so a handler that could never be called the
way microasgi calls it fails at import with the signature to write, instead
of on its first request (or, worse, silently, with a parameter left at its
default forever). Habits from other frameworks are the usual cause: FastAPI
handlers take no request and receive query parameters as arguments.
"""

from __future__ import annotations

import inspect
from typing import Any

from microasgi.core.concurrency import is_async_callable
from microasgi.core.paths import PathTemplate


def check_handler(kind: str, path: str, template: PathTemplate, func: Any) -> None:
    """Refuse a handler that cannot be called as ``handler(request, **path_params)``.

    A handler receives the request (or the WebSocket) first and the path
    parameters by name, nothing else: a parameter nothing would fill is a
    mistake to report now, not a value to leave at its default forever.
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return  # builtins and the like: nothing to check
    parameters = list(signature.parameters.values())
    name = getattr(func, "__name__", repr(func))
    first = "ws" if kind == "WEBSOCKET" else "request"
    where = f"handler {name!r} for {kind} {path}"
    positional = [
        p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if not positional and not any(p.kind == p.VAR_POSITIONAL for p in parameters):
        raise TypeError(
            f"{where} takes no arguments; it is called as {name}({first}, "
            "**path_params)"
        )
    if positional and _takes_a_value_first(positional[0], template):
        fixed = ", ".join([first, *(_spell(p) for p in parameters)])
        raise TypeError(
            f"{where} takes {_spell(positional[0])!r} first, but handlers take the "
            f"{first} first and path parameters after it, by name; write: "
            f"{_def(func)} {name}({fixed})"
        )
    takes_any = any(p.kind == p.VAR_KEYWORD for p in parameters)
    accepted = {p.name for p in parameters[1:] if p.kind != p.POSITIONAL_ONLY}
    for param in template.param_names:
        if param not in accepted and not takes_any:
            raise TypeError(
                f"{where} has no parameter {param!r}; "
                f"add it: def {name}({first}, {param}): ..."
            )
    for parameter in parameters[1:]:
        if _filled_by_path(parameter, template):
            continue
        raise TypeError(_not_a_path_parameter(where, first, parameter))


VALUE_TYPES = {"str", "int", "float", "bool", "bytes", "dict", "list"}


def _filled_by_path(parameter: inspect.Parameter, template: PathTemplate) -> bool:
    """Whether the path fills ``parameter`` (or it needs no filling).

    ``*args`` and ``**kwargs`` take whatever comes, and a name starting with
    ``_`` is the handler's own business: ``lambda request, _n=n: ...`` binds
    a loop variable.
    """
    if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
        return True
    return parameter.name in template.param_names or (
        parameter.name.startswith("_") and parameter.default is not parameter.empty
    )


def _takes_a_value_first(parameter: inspect.Parameter, template: PathTemplate) -> bool:
    """Whether the first parameter looks like a value, not the request."""
    annotation = parameter.annotation
    if isinstance(annotation, type):
        annotation = annotation.__name__
    return parameter.name in template.param_names or annotation in VALUE_TYPES


def _not_a_path_parameter(where: str, first: str, parameter: inspect.Parameter) -> str:
    param = parameter.name
    default = "" if parameter.default is parameter.empty else f", {parameter.default!r}"
    return (
        f"{where} has a parameter {param!r} that is not in the path, so nothing "
        f"would ever pass it: a handler gets the {first} and the path parameters, "
        f"nothing else. Read a query parameter from the {first}: "
        f"{param} = {first}.query_params.get({param!r}{default}); or put "
        f"{{{param}}} in the path"
    )


def _spell(parameter: inspect.Parameter) -> str:
    """``name: type``, the annotation written as in source."""
    annotation = parameter.annotation
    if annotation is parameter.empty:
        return parameter.name
    if isinstance(annotation, type):
        annotation = annotation.__name__
    return f"{parameter.name}: {annotation}"


def _def(func: Any) -> str:
    return "async def" if is_async_callable(func) else "def"
