"""The requests: each case is sent, unchanged, to both apps.

A case is one request to one app variant (``main`` unless it says otherwise),
after optional ``setup`` requests on the same client: their cookies are kept,
and ``{etag}`` / ``{last_modified}`` in the case's headers are filled in from
the last setup answer, so conditional requests name each app's own validators.
Case ids read ``area: what``; ``differences.py`` refers to them by pattern.
Each module holds the cases of one area.
"""

from __future__ import annotations

from .base import Case, Step
from .bodies import (
    json_cases,
    large_body_cases,
    limit_cases,
    multipart_cases,
    urlencoded_cases,
)
from .errors import error_cases, redirect_cases
from .files import file_cases, response_cases, static_cases
from .middleware import cors_cases, gzip_cases, host_cases, https_cases, session_cases
from .parsing import cookie_cases, header_cases, query_cases
from .routing import routing_cases

__all__ = ["CASES", "Case", "Step"]


def all_cases() -> list[Case]:
    """Every case, in a stable order."""
    groups = [
        routing_cases,
        query_cases,
        header_cases,
        cookie_cases,
        urlencoded_cases,
        multipart_cases,
        json_cases,
        limit_cases,
        large_body_cases,
        response_cases,
        file_cases,
        static_cases,
        redirect_cases,
        error_cases,
        cors_cases,
        gzip_cases,
        host_cases,
        https_cases,
        session_cases,
    ]
    return [case for group in groups for case in group()]


CASES = all_cases()
