"""The same requests to the same app in microasgi and in Starlette.

Each case must get the same answer from both, after normalising what may
legitimately differ (``compare.py``), or differ only as ``differences.py``
lists. See ``__init__.py`` for the layout.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from microasgi.validate import validate

from . import microasgi_app, starlette_app
from .cases import CASES, Case
from .client import answer
from .compare import diff
from .differences import DIFFERENCES, Difference, check, docs_table
from .site import make_site

pytestmark = pytest.mark.anyio

GUARANTEES = Path(__file__).parents[2] / "docs" / "explanation" / "guarantees.md"


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, object]]:
    """Each variant as ``(microasgi app, Starlette app)``."""
    site = make_site(tmp_path_factory.mktemp("site"))
    ours, theirs = microasgi_app.build(site), starlette_app.build(site)
    # microasgi's side is also held to the ASGI spec while it answers.
    return {name: (validate(ours[name]), theirs[name]) for name in ours}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_same_answer_as_starlette(
    case: Case, apps: dict[str, tuple[object, object]]
) -> None:
    ours, theirs = apps[case.app]
    found = diff(await answer(ours, case), await answer(theirs, case))
    problems = check(case.id, found)
    assert not problems, "\n".join(problems)


def test_enough_requests() -> None:
    sent = sum(1 + len(case.setup) for case in CASES)
    assert len(CASES) >= 300
    assert sent >= 300


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("entry", DIFFERENCES, ids=[d.name for d in DIFFERENCES])
def test_listed_difference_names_existing_cases(entry: Difference) -> None:
    for pattern in entry.cases:
        assert any(fnmatchcase(case.id, pattern) for case in CASES), (
            f"{entry.name}: no case id matches {pattern!r}"
        )


def test_difference_names_are_unique() -> None:
    names = [entry.name for entry in DIFFERENCES]
    assert len(names) == len(set(names))


def test_docs_list_the_same_differences() -> None:
    text = GUARANTEES.read_text()
    table = docs_table()
    assert table in text, (
        "docs/explanation/guarantees.md must hold the table of differences.py; "
        f"paste this in:\n\n{table}"
    )
