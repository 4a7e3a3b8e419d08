"""An mkdocs hook: fill in the line counts the tutorial quotes.

The tutorial sends readers to the module each chapter rebuilt, with its size:
``microasgi/core/paths.py`` followed by ``(N lines)``. A number written by hand
goes stale with the next commit, so the pages say ``N`` and this hook puts in
the real count at every build; a module that does not exist fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

# A module path in backticks, then "(N lines)", possibly on the next line.
LINE_COUNT = re.compile(r"`(?P<path>microasgi/[\w/]+\.py)`(?P<space>\s+)\(N lines\)")


def count_lines(path: Path) -> int:
    return len(path.read_text("utf-8").splitlines())


def fill_line_counts(markdown: str, root: Path) -> str:
    """``markdown`` with each ``(N lines)`` after a module replaced by its count."""

    def fill(found: re.Match[str]) -> str:
        module = root / found["path"]
        if not module.is_file():
            raise PluginError(f"the docs quote the size of {found['path']}, "
                              "which does not exist")  # fmt: skip
        return f"`{found['path']}`{found['space']}({count_lines(module)} lines)"

    return LINE_COUNT.sub(fill, markdown)


def on_page_markdown(markdown: str, /, **kwargs: Any) -> str:
    root = Path(kwargs["config"]["config_file_path"]).parent
    return fill_line_counts(markdown, root)
