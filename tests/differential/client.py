"""Send a case to one app in-process, with httpx's ASGI transport."""

from __future__ import annotations

import httpx

from .cases import Case, Step
from .compare import Answer

# httpx adds these by default; a case's own headers are all the app should see
# (a default Accept-Encoding would turn on GZip for every request).
HTTPX_DEFAULTS = ("accept", "accept-encoding", "user-agent", "connection")


async def answer(app: object, case: Case) -> Answer:
    """The app's normalised answer to ``case`` (after its setup requests)."""
    transport = httpx.ASGITransport(
        app=app,  # type: ignore[arg-type]
        raise_app_exceptions=False,  # an app's crash is an answer to compare
        root_path=case.root_path,
    )
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as client:
        for name in HTTPX_DEFAULTS:
            del client.headers[name]
        validators: dict[str, str] = {}
        for step in case.setup:
            response = await send(client, step, validators)
            validators = {
                "{etag}": response.headers.get("etag", ""),
                "{last_modified}": response.headers.get("last-modified", ""),
            }
        return Answer.of(await send(client, case.request, validators))


async def send(
    client: httpx.AsyncClient, step: Step, validators: dict[str, str]
) -> httpx.Response:
    headers: list[tuple[str, str | bytes]] = []
    for name, value in step.headers:
        if isinstance(value, str):
            for placeholder, filled in validators.items():
                value = value.replace(placeholder, filled)
        headers.append((name, value))
    return await client.request(
        step.method, step.target, headers=headers, content=step.body
    )
