"""The built docs work offline: no CDN, diagrams drawn, figures filled in.

The site is built once; a page with Mermaid diagrams is then opened in
Debian's headless Chromium (skipped when missing) while every request that
leaves 127.0.0.1 is refused, as it would fail on a machine without network.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# What a page loads (scripts, images, styles, fonts), as opposed to links.
REMOTE_RE = re.compile(
    r"""<(?:script|img|link|iframe)\b[^>]*(?:src|href)=["'](?:https?:)?//"""
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed")
    site_dir = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site_dir],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return site_dir


@pytest.fixture(scope="module")
def site_url(site: Path) -> Iterator[str]:
    """The built site, served on a free 127.0.0.1 port by a thread."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_docs_site_loads_nothing_from_other_hosts(site: Path) -> None:
    remote = [
        f"{page.relative_to(site)}: {found[0]}"
        for page in sorted(site.rglob("*.html"))
        for found in REMOTE_RE.finditer(page.read_text("utf-8"))
    ]
    assert remote == []


def test_docs_site_ships_mermaid(site: Path) -> None:
    script = site / "js" / "mermaid.min.js"
    assert script.stat().st_size > 1_000_000
    page = (site / "tutorial" / "01-raw-asgi" / "index.html").read_text("utf-8")
    assert 'src="../../js/mermaid.min.js"' in page
    assert '<pre class="mermaid">' in page


def test_docs_site_line_counts_are_the_real_ones(site: Path) -> None:
    page = (site / "tutorial" / "04-routing" / "index.html").read_text("utf-8")
    real = len((ROOT / "microasgi" / "core" / "routing.py").read_text().splitlines())
    assert f"<code>microasgi/core/routing.py</code> ({real} lines)" in page
    assert "(N lines)" not in page


def test_docs_site_draws_mermaid_diagrams_offline(site_url: str) -> None:
    if CHROMIUM is None:
        pytest.skip("no chromium binary found (install Debian's 'chromium')")
    sync_api = pytest.importorskip("playwright.sync_api")
    refused: list[str] = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(site_url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.route("**/*", only_loopback)
            page.goto(f"{site_url}/tutorial/01-raw-asgi/")
            # The theme swaps each <pre class="mermaid"> for a <div> holding
            # the drawing (in a closed shadow root) once Mermaid has run.
            drawn = page.locator("div.mermaid")
            sync_api.expect(drawn).to_have_count(1)
            assert page.locator("pre.mermaid").count() == 0
            box = drawn.bounding_box()
            assert box is not None and box["height"] > 150
        finally:
            browser.close()
    assert refused == []
