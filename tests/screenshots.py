"""Pictures for the docs, taken by the browser tests.

``tabs_picture`` shows several tabs one above the other, each captioned, at
a width the docs' text column shows unscaled, so the text stays readable: a
picture of "two browser tabs" should show two.
"""

from __future__ import annotations

import base64
import html
from typing import Any

TAB_SIZE = {"width": 540, "height": 600}  # CSS pixels: fits the docs column


def tabs_picture(context: Any, pages: list[Any], captions: list[str]) -> bytes:
    """One PNG of ``pages``, one above the other, each under its caption."""
    figures = []
    for page, caption in zip(pages, captions, strict=True):
        page.set_viewport_size(TAB_SIZE)
        shot = base64.b64encode(page.screenshot()).decode("ascii")
        figures.append(
            f"<figure><figcaption>{html.escape(caption)}</figcaption>"
            f'<img src="data:image/png;base64,{shot}"></figure>'
        )
    sheet = context.new_page()
    try:
        sheet.set_content(
            "<style>body{margin:0;background:#fff}"
            "main{display:inline-flex;flex-direction:column;gap:12px;padding:8px}"
            "figure{margin:0;font:bold 15px system-ui,sans-serif}"
            "figcaption{margin:0 0 4px}"
            "img{display:block;border:1px solid #bbb}</style>"
            f"<main>{''.join(figures)}</main>"
        )
        shot_bytes: bytes = sheet.locator("main").screenshot()
        return shot_bytes
    finally:
        sheet.close()
