"""The docs build, and cannot drift from the code they describe.

Every ``python`` code block in the tutorial and the how-to guides must be an
include of a file in examples/ (which tests/test_examples.py runs), the line
counts the tutorial quotes are filled in at build time (docs/line_counts.py),
and the reference must list every public name.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import microasgi

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDE_PAGES = sorted([*DOCS.glob("tutorial/*.md"), *DOCS.glob("how-to/*.md")])
TUTORIAL_PAGES = sorted(DOCS.glob("tutorial/*.md"))

FENCE_RE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
SNIPPET_RE = re.compile(r'^--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"$')
PYTHON_LANGUAGES = {"python", "py", "python3"}
LINE_COUNT_RE = re.compile(r"`(?P<path>microasgi/[\w/]+\.py)`\s+\(N lines\)")
WRITTEN_COUNT_RE = re.compile(r"`microasgi/[\w/]+\.py`\s+\(\d+ lines\)")
NAV_PAGE_RE = re.compile(r"^\s*- (?:[^:]+: )?(?P<page>[\w./-]+\.md)\s*$")


def page_id(path: Path) -> str:
    return str(path.relative_to(DOCS))


def code_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Each fenced block as (language, lines inside the fences)."""
    blocks: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE_RE.match(lines[index].strip())
        index += 1
        if opening is None:
            continue
        fence, body = opening["fence"], []
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index])
            index += 1
        index += 1
        blocks.append((opening["lang"].lower(), body))
    return blocks


def block_problems(body: list[str]) -> list[str]:
    """Why a python block is not made of includes of examples, if it is not."""
    lines = [line.strip() for line in body if line.strip()]
    found = [SNIPPET_RE.match(line) for line in lines]
    if not lines or None in found:
        return [
            f"inline code starting {lines[0] if lines else ''!r}: move it to a "
            'file in examples/ and include it with --8<-- "examples/NAME.py"'
        ]
    problems = []
    for include in found:
        assert include is not None
        path = ROOT / include["path"]
        if not include["path"].startswith("examples/") or not path.is_file():
            problems.append(f"{include['path']} is not a file in examples/")
        elif include["section"] and (
            f"# --8<-- [start:{include['section']}]" not in path.read_text()
        ):
            problems.append(f"{include['path']} has no section {include['section']!r}")
    return problems


def test_docs_build_strict(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", tmp_path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "tutorial" / "01-raw-asgi" / "index.html").is_file()


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=page_id)
def test_docs_python_blocks_include_examples(page: Path) -> None:
    problems = [
        problem
        for language, body in code_blocks(page.read_text())
        if language in PYTHON_LANGUAGES
        for problem in block_problems(body)
    ]
    assert problems == [], "\n".join(problems)


def test_docs_every_tutorial_example_is_shown() -> None:
    shown = "".join(page.read_text() for page in TUTORIAL_PAGES)
    files = sorted((ROOT / "examples" / "tutorial").glob("*.py"))
    missing = [
        path.name for path in files if f'"examples/tutorial/{path.name}"' not in shown
    ]
    assert files
    assert missing == []


@pytest.mark.parametrize("page", TUTORIAL_PAGES, ids=page_id)
def test_docs_tutorial_chapter_ends_with_the_real_thing(page: Path) -> None:
    text = page.read_text()
    real_thing = text.partition("## The real thing")[2]
    assert LINE_COUNT_RE.search(real_thing) is not None


def load_line_counts_hook() -> Any:
    spec = importlib.util.spec_from_file_location(
        "line_counts", DOCS / "line_counts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_line_counts_are_never_written_by_hand() -> None:
    written = [
        f"{page_id(page)}: {found[0]}"
        for page in sorted(DOCS.rglob("*.md"))
        for found in WRITTEN_COUNT_RE.finditer(page.read_text())
    ]
    assert written == [], "write (N lines): the docs build counts them"


def test_docs_line_counts_name_modules_that_exist() -> None:
    quoted = {
        found["path"]
        for page in sorted(DOCS.rglob("*.md"))
        for found in LINE_COUNT_RE.finditer(page.read_text())
    }
    assert quoted
    assert sorted(path for path in quoted if not (ROOT / path).is_file()) == []


def test_docs_line_counts_hook_fills_in_the_real_count() -> None:
    hook = load_line_counts_hook()
    real = len((ROOT / "microasgi" / "core" / "app.py").read_text().splitlines())
    markdown = "See `microasgi/core/app.py`\n(N lines), and `other.py` (N lines)."
    assert hook.fill_line_counts(markdown, ROOT) == (
        f"See `microasgi/core/app.py`\n({real} lines), and `other.py` (N lines)."
    )


def test_docs_line_counts_hook_fails_on_a_missing_module() -> None:
    from mkdocs.exceptions import PluginError

    hook = load_line_counts_hook()
    with pytest.raises(PluginError, match=r"microasgi/gone\.py, which does not exist"):
        hook.fill_line_counts("`microasgi/gone.py` (N lines)", ROOT)


def test_docs_nav_lists_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text().splitlines()
    in_nav = {found["page"] for line in config if (found := NAV_PAGE_RE.match(line))}
    pages = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    pages.discard("README.md")  # about the docs, not part of them
    assert sorted(pages - in_nav) == []
    assert sorted(in_nav - pages) == []


def test_docs_reference_lists_every_public_name() -> None:
    reference = (DOCS / "reference.md").read_text()
    missing = []
    for name in microasgi.__all__:
        try:
            value = getattr(microasgi, name)
        except (AttributeError, ImportError):
            continue  # its module is not written yet
        if f"::: {value.__module__}.{name}\n" not in reference:
            missing.append(f"::: {value.__module__}.{name}")
    assert missing == []
