"""examples/app_lifetime.py: a session for the app's life, work after the response."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "examples"))

import app_lifetime

pytestmark = pytest.mark.anyio


async def test_webhook_runs_after_the_response_with_the_apps_session(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = app_lifetime.make_app()
    client = await anyiohttp_client(app)
    session = app[app_lifetime.session_key]
    assert not session.closed
    hook_url = client.make_url("/hook")
    resp = await client.get("/notify", params={"url": str(hook_url)})
    assert resp.status == 202 and await resp.json() == {"queued": True}
    with anyio.fail_after(5):
        while not app[app_lifetime.delivered_key]:
            await anyio.sleep(0.01)
    assert app[app_lifetime.delivered_key] == [200]


async def test_the_session_closes_with_the_app() -> None:
    from anyiohttp.testing import TestServer

    app = app_lifetime.make_app()
    async with TestServer(app):
        session = app[app_lifetime.session_key]
        assert not session.closed
    assert session.closed
