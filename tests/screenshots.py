"""Pictures for the docs, taken by the browser tests.

``side_by_side`` shows several tabs next to each other, each captioned, at a
size that stays readable in the docs' text column: a picture of "two
browsers" should show two.
"""

from __future__ import annotations

import base64
import html
from typing import Any

TAB_SIZE = {"width": 540, "height": 600}  # CSS pixels, for each tab


def side_by_side(context: Any, pages: list[Any], captions: list[str]) -> bytes:
    """One PNG of ``pages`` next to each other, each above its caption."""
    figures = []
    for page, caption in zip(pages, captions, strict=True):
        page.set_viewport_size(TAB_SIZE)
        shot = base64.b64encode(page.screenshot()).decode("ascii")
        figures.append(
            f'<figure><img src="data:image/png;base64,{shot}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    sheet = context.new_page()
    try:
        sheet.set_content(
            "<style>body{margin:0;background:#fff}"
            "main{display:inline-flex;gap:16px;padding:12px}"
            "figure{margin:0;text-align:center;font:15px system-ui,sans-serif}"
            "img{display:block;border:1px solid #bbb}</style>"
            f"<main>{''.join(figures)}</main>"
        )
        shot_bytes: bytes = sheet.locator("main").screenshot()
        return shot_bytes
    finally:
        sheet.close()
