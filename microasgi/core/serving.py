"""Serving an app with uvicorn, for ``app.run()`` and ``microasgi run``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from microasgi.core.extras import missing_package


def serve(
    app: Any, host: str = "127.0.0.1", port: int = 8000, reload: bool = False,
    **options: Any,
) -> None:  # fmt: skip
    """Run ``app`` with uvicorn until interrupted.

    With ``reload=True`` uvicorn must import the app itself, so we find the
    ``module:attribute`` name that refers to it in the ``__main__`` script.
    """
    try:
        import uvicorn
    except ModuleNotFoundError as exc:
        raise missing_package(exc) from None

    target: Any = app
    if reload:
        target, app_dir = _import_string(app)
        options.setdefault("app_dir", app_dir)
    uvicorn.run(target, host=host, port=port, reload=reload, **options)


def _import_string(app: Any) -> tuple[str, str]:
    main = sys.modules["__main__"]
    filename = getattr(main, "__file__", None)
    names = [name for name, value in vars(main).items() if value is app]
    if filename is None or not names:
        raise RuntimeError(
            "app.run(reload=True) needs the app defined at the top level of the "
            "script you run; or use: microasgi run module:app --reload"
        )
    path = Path(filename).resolve()
    return f"{path.stem}:{names[0]}", str(path.parent)
