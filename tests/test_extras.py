"""A missing optional package is named, with the command that installs it.

Each test runs Python in a subprocess whose import system refuses one
package, as if it were not installed, and checks the error the user sees.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from microasgi.core.extras import PACKAGES, missing_package

# Installed first in the subprocess: refuses to find the packages named in argv.
BLOCKER = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in sys.argv[1:]:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocker())
"""


def run_without(packages: list[str], code: str) -> subprocess.CompletedProcess[str]:
    script = BLOCKER + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script, *packages],
        capture_output=True,
        text=True,
        timeout=60,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_extras_testclient_without_httpx_names_the_test_extra() -> None:
    result = run_without(["httpx"], "from microasgi import TestClient")
    assert result.returncode == 1
    assert last_line(result) == (
        "microasgi.core.extras.MissingPackageError: TestClient needs the 'httpx' "
        "package, which is not installed; install the 'test' extra: "
        "pip install 'microasgi[test]'"
    )


def test_extras_testclient_module_without_anyio_names_the_test_extra() -> None:
    result = run_without(["anyio"], "import microasgi.testing.client")
    assert "pip install 'microasgi[test]'" in last_line(result)


def test_extras_templates_without_jinja2_says_to_reinstall() -> None:
    result = run_without(["jinja2"], "from microasgi import Templates")
    assert last_line(result) == (
        "microasgi.core.extras.MissingPackageError: Templates needs the 'jinja2' "
        "package, which is not installed; it is installed with microasgi itself, "
        "so reinstall that: pip install microasgi (or pip install jinja2)"
    )


def test_extras_forms_without_python_multipart_names_the_pip_name() -> None:
    result = run_without(["python_multipart"], "import microasgi.core.forms")
    assert "request.form() needs the 'python-multipart' package" in last_line(result)
    assert "pip install python-multipart" in last_line(result)


def test_extras_app_run_without_uvicorn_names_the_package() -> None:
    code = """
    from microasgi import App
    App().run()
    """
    result = run_without(["uvicorn"], code)
    assert "Serving (app.run(), microasgi run) needs the 'uvicorn' package" in (
        last_line(result)
    )


def test_extras_cli_run_without_uvicorn_names_the_package() -> None:
    code = """
    from microasgi.tooling.cli import main
    main(["run", "examples.hello:app"])
    """
    result = run_without(["uvicorn"], code)
    assert result.stderr == (
        "microasgi run: error: Serving (app.run(), microasgi run) needs the "
        "'uvicorn' package, which is not installed; it is installed with microasgi "
        "itself, so reinstall that: pip install microasgi (or pip install uvicorn)\n"
    )


def test_extras_import_microasgi_needs_no_optional_package() -> None:
    code = """
    import microasgi
    app = microasgi.App()
    print("ok", app.__class__.__name__)
    """
    result = run_without(sorted(PACKAGES), code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok App"


def test_extras_redis_names_the_redis_extra() -> None:
    error = missing_package(
        ModuleNotFoundError("No module named 'redis'", name="redis")
    )
    assert str(error) == (
        "Hub('redis://...') needs the 'redis' package, which is not installed; "
        "install the 'redis' extra: pip install 'microasgi[redis]'"
    )
    assert error.name == "redis"
    assert isinstance(error, ModuleNotFoundError)  # what callers already catch


@pytest.mark.parametrize("name", ["redis.asyncio", "httpx._client"])
def test_extras_submodule_counts_as_its_package(name: str) -> None:
    error = missing_package(ModuleNotFoundError(f"No module named {name!r}", name=name))
    assert "pip install 'microasgi[" in str(error)


def test_extras_unknown_module_error_is_unchanged() -> None:
    original = ModuleNotFoundError("No module named 'idna'", name="idna")
    assert missing_package(original) is original


def test_extras_every_extra_is_declared_in_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    for package in PACKAGES.values():
        if package.extra is not None:
            assert any(
                requirement.startswith(package.pip_name)
                for requirement in declared[package.extra]
            ), (package.extra, package.pip_name)


def test_extras_hub_on_redis_without_redis_names_the_redis_extra() -> None:
    result = run_without(
        ["redis"],
        """
        from microasgi import Hub
        Hub("memory://")  # one process needs nothing more
        Hub("redis://127.0.0.1:6379/0")
        """,
    )
    assert last_line(result) == (
        "microasgi.core.extras.MissingPackageError: "
        "Hub('redis://...') needs the 'redis' package, which is not installed; "
        "install the 'redis' extra: "
        "pip install 'microasgi[redis]'"
    )
