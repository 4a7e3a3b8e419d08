"""The third-party packages microasgi imports, and what to install for each.

``import microasgi`` needs none of them: each battery imports its package
when first used. If the package is missing, :func:`missing_package` turns the
bare ``No module named 'httpx'`` into an error that names the feature and
the command that installs it.

Example:
    >>> try:
    ...     import httpx
    ... except ModuleNotFoundError as exc:
    ...     raise missing_package(exc) from None
"""

from __future__ import annotations

from dataclasses import dataclass


class MissingPackageError(ModuleNotFoundError):
    """A package microasgi needs for a feature is not installed."""


@dataclass(frozen=True)
class Package:
    """A package microasgi imports: its name on PyPI, what needs it, who installs it."""

    pip_name: str
    needed_by: str
    extra: str | None  # None: a dependency of microasgi itself

    @property
    def install_hint(self) -> str:
        if self.extra is None:
            return (
                f"it is installed with microasgi itself, so reinstall that: "
                f"pip install microasgi (or pip install {self.pip_name})"
            )
        return (
            f"install the {self.extra!r} extra: pip install 'microasgi[{self.extra}]'"
        )


# Keyed by import name, the name a ModuleNotFoundError carries.
PACKAGES = {
    "httpx": Package("httpx", "TestClient", "test"),
    "anyio": Package("anyio", "TestClient", "test"),
    "redis": Package("redis", "Hub('redis://...')", "redis"),
    "jinja2": Package("jinja2", "Templates", None),
    "python_multipart": Package("python-multipart", "request.form()", None),
    "uvicorn": Package("uvicorn", "Serving (app.run(), microasgi run)", None),
}


def missing_package(exc: ModuleNotFoundError) -> ModuleNotFoundError:
    """``exc`` reworded to say what needs the package and how to install it.

    An error about any other module (a package's own broken import) is
    returned unchanged.
    """
    top_level = (exc.name or "").partition(".")[0]
    package = PACKAGES.get(top_level)
    if package is None:
        return exc
    message = (
        f"{package.needed_by} needs the {package.pip_name!r} package, which is "
        f"not installed; {package.install_hint}"
    )
    return MissingPackageError(message, name=exc.name)
