"""The WebSocket FAQ examples: broadcast (parallel sources) and logout."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "examples"))

import ws_broadcast
import ws_logout

pytestmark = pytest.mark.anyio


async def test_broadcast_reaches_every_client_and_leaves_nothing_behind(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = ws_broadcast.make_app()
    client = await anyiohttp_client(app)
    broadcast = app[ws_broadcast.broadcast_key]
    async with client.ws_connect("/ws") as ann, client.ws_connect("/ws") as bob:
        with anyio.fail_after(5):
            while broadcast.subscribers < 2:
                await anyio.sleep(0.01)
            await ann.send_str("hello from ann")
            assert await ann.receive_str() == "hello from ann"
            assert await bob.receive_str() == "hello from ann"
            await bob.send_str("hi ann")
            assert await ann.receive_str() == "hi ann"
            assert await bob.receive_str() == "hi ann"
    with anyio.fail_after(5):
        while broadcast.subscribers:
            await broadcast.publish("anyone?")  # closed subscriptions drop out
            await anyio.sleep(0.01)


async def test_broadcast_ticker_runs_in_the_app_task_group(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(ws_broadcast.make_app(with_ticker=True))
    async with client.ws_connect("/ws") as ws:
        with anyio.fail_after(5):
            assert (await ws.receive_str()).startswith("tick ")


async def test_logout_closes_the_users_sockets(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = ws_logout.make_app()
    client = await anyiohttp_client(app)
    async with (
        client.ws_connect("/ws?user=ann") as a1,
        client.ws_connect("/ws?user=ann") as a2,
        client.ws_connect("/ws?user=bob") as b,
    ):
        for ws in (a1, a2, b):
            await ws.send_str("ping")
            assert (await ws.receive_str()).endswith(": ping")
        with anyio.fail_after(5):
            resp = await client.get("/logout?user=ann")
            assert await resp.text() == "closed 2 socket(s) of ann"
            for ws in (a1, a2):
                msg = await ws.receive()
                assert msg.type.name == "CLOSE" and msg.data == 4000
        await b.send_str("still here")
        assert await b.receive_str() == "bob: still here"
