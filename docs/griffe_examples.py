"""A griffe extension for the API reference: read ``Example:`` as ``Examples:``.

microasgi's docstrings end with an ``Example:`` block of ``>>>`` lines.
Google-style parsing treats only the plural title as code examples; under the
singular one, the ``>>>`` lines would render as nested Markdown quotes.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

EXAMPLE_TITLE = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename each docstring's ``Example:`` section to ``Examples:``."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = EXAMPLE_TITLE.sub(r"\1Examples:", obj.docstring.value)
