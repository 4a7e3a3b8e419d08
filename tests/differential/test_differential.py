"""The same requests to the same app in microasgi and in Starlette.

Each case must get the same answer from both, after normalising what may
legitimately differ (``compare.py``), or differ only as ``differences.py``
lists. See ``__init__.py`` for the layout.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

import httpx
import pytest

from microasgi.testing.validate import validate

from . import differences, microasgi_app, starlette_app
from .cases import CASES, Case
from .client import answer
from .compare import diff, normalise_cookie, normalise_headers
from .differences import ANY_PART, DIFFERENCES, Difference, check, docs_table
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
    assert sum(1 + len(case.setup) for case in CASES) >= 300


def test_check_fails_on_an_unlisted_difference() -> None:
    found = {"status": (200, 201)}
    assert check("query: ?a=1", found) == [
        "new difference in status: microasgi 200, Starlette 201"
    ]


def test_check_accepts_a_listed_difference() -> None:
    found = {"status": (204, 405), "body": (b"", b"Method Not Allowed")}
    assert check("routing (found): OPTIONS /", found) == []


def test_check_fails_when_a_deliberate_difference_is_gone() -> None:
    [problem] = check("routing (found): OPTIONS /", {})
    assert "'automatic-options' no longer occurs" in problem


def test_check_lets_a_pending_difference_go(monkeypatch: pytest.MonkeyPatch) -> None:
    pending = Difference(
        "some-bug",
        ("catch_all: GET /nowhere",),
        ANY_PART,
        "a 500",
        "a 404",
        "the 404 is right",
        pending="bug 1 of the correctness list",
    )
    monkeypatch.setattr(differences, "DIFFERENCES", [*DIFFERENCES, pending])
    assert check("catch_all: GET /nowhere", {"status": (500, 404)}) == []
    assert check("catch_all: GET /nowhere", {}) == []


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


def test_cookie_deletions_compare_alike() -> None:
    by_max_age = normalise_cookie("a=; Max-Age=0; Path=/")
    by_date = normalise_cookie('a=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/')
    assert by_max_age == by_date == "a=<deleted>; path=/"


def test_cookie_attribute_order_and_case_do_not_matter() -> None:
    assert normalise_cookie("a=1; SameSite=Lax; Path=/") == normalise_cookie(
        "a=1; path=/; samesite=lax"
    )


def test_cookie_values_still_matter() -> None:
    assert normalise_cookie("a=1; Path=/") != normalise_cookie("a=2; Path=/")


def test_list_headers_compare_as_sets() -> None:
    ours = normalise_headers(httpx.Headers({"allow": "GET, HEAD", "vary": "Origin"}))
    theirs = normalise_headers(httpx.Headers({"allow": "HEAD,GET", "vary": "origin"}))
    assert ours == theirs
