"""A request cancelled while one of its trace callbacks awaits gives its pool slot back.

With ``TCPConnector(limit=1)`` a leaked slot means the next request waits
forever: each case cancels a request inside one callback, then the next
requests must complete.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio

VICTIM = "victim"


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/")


class Trap:
    """Trace callbacks: the victim request blocks forever in ``signal``."""

    def __init__(self, signal: str) -> None:
        self.signal = signal
        self.entered = anyio.Event()
        self.queued = anyio.Event()
        self.config = anyiohttp.TraceConfig()
        for name in (
            "on_connection_queued_start",
            "on_connection_queued_end",
            "on_connection_create_start",
            "on_connection_create_end",
            "on_connection_reuseconn",
            "on_request_redirect",
            "on_request_end",
        ):
            getattr(self.config, name).append(self._callback(name))

    def _callback(self, name: str) -> Any:
        async def callback(session: Any, ctx: SimpleNamespace, params: Any) -> None:
            if ctx.trace_request_ctx != VICTIM:
                return
            if name == "on_connection_queued_start":
                self.queued.set()
            if name == self.signal:
                self.entered.set()
                await anyio.sleep_forever()

        return callback


async def fetch(session: anyiohttp.ClientSession, url: URL, ctx: str | None = None) -> str:
    async with session.get(url, trace_request_ctx=ctx) as resp:
        return await resp.text()


@pytest.mark.parametrize(
    "signal",
    [
        "on_connection_queued_start",
        "on_connection_queued_end",
        "on_connection_create_start",
        "on_connection_create_end",
        "on_connection_reuseconn",
        "on_request_redirect",
        "on_request_end",
    ],
)
async def test_cancel_in_a_trace_callback_leaves_the_pool_usable(signal: str) -> None:
    gate = anyio.Event()

    async def held(request: web.Request) -> web.StreamResponse:
        """A body that does not come whole with the head: its response holds the slot."""
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"o")
        await gate.wait()
        await resp.write(b"k")
        return resp

    app = web.Application()
    app.router.add_get("/", ok)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/held", held)
    trap = Trap(signal)
    connector = anyiohttp.TCPConnector(limit=1)
    async with (
        run_app(app) as url,
        anyiohttp.ClientSession(connector=connector, trace_configs=[trap.config]) as session,
    ):
        if signal == "on_connection_reuseconn":
            assert await fetch(session, url) == "ok"  # an idle connection to reuse
        holder = None
        if signal.startswith("on_connection_queued"):
            holder = await session.get(url / "held")  # the only slot: the victim queues
        target = url / "redirect" if signal == "on_request_redirect" else url
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(fetch, session, target, VICTIM)
                if holder is not None:
                    await trap.queued.wait()
                    if signal == "on_connection_queued_end":
                        gate.set()
                        assert await holder.text() == "ok"  # the slot goes to the victim
                await trap.entered.wait()
                tg.cancel_scope.cancel()
        if holder is not None:
            holder.release()
        gate.set()
        # The slot came back: the next requests get a connection (limit=1).
        with anyio.fail_after(5):
            assert await fetch(session, url) == "ok"
            assert await fetch(session, url / "redirect") == "ok"
