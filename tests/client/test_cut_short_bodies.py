"""A body cut short never passes for a whole one: reads after a cancelled read raise, as aiohttp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import anyio
import anyio.abc
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nContent-Type: application/json\r\n\r\n"


@asynccontextmanager
async def half_body_server() -> AsyncIterator[URL]:
    """Answers every request with Content-Length: 20 and 10 bytes, then waits."""

    async def serve(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            head = b""
            while b"\r\n\r\n" not in head:
                head += await stream.receive()
            body = b'{"a": "123'
            assert len(body) == 10
            await stream.send(HEAD + body)
            await anyio.sleep_forever()

    async with (
        await anyio.create_tcp_listener(local_host="127.0.0.1") as listener,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(listener.serve, serve)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        yield URL.build(scheme="http", host="127.0.0.1", port=port)
        tg.cancel_scope.cancel()


async def cancel_read_once_half_arrived(resp: anyiohttp.ClientResponse) -> None:
    """Run ``resp.read()`` and cancel it once the first 10 bytes were received."""
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(resp.read)
            while resp.content.total_bytes < 10:
                await anyio.sleep(0.01)
            tg.cancel_scope.cancel()


async def test_read_after_a_cancelled_read_raises() -> None:
    async with half_body_server() as url, anyiohttp.ClientSession() as session:
        resp = await session.get(url)
        await cancel_read_once_half_arrived(resp)
        with pytest.raises(anyiohttp.ClientConnectionError, match="Connection closed"):
            await resp.read()
        with pytest.raises(anyiohttp.ClientConnectionError, match="Connection closed"):
            await resp.read()  # and stays so
        assert resp.closed


@pytest.mark.parametrize("method", ["text", "json", "content"])
async def test_other_reads_after_a_cancelled_read_raise(method: str) -> None:
    async with half_body_server() as url, anyiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            await cancel_read_once_half_arrived(resp)
            with pytest.raises(anyiohttp.ClientConnectionError, match="Connection closed"):
                if method == "content":
                    await resp.content.read()
                else:
                    await getattr(resp, method)()


async def test_pool_is_usable_after_a_cancelled_read() -> None:
    async with half_body_server() as url:
        connector = anyiohttp.TCPConnector(limit=1)
        async with anyiohttp.ClientSession(connector=connector) as session:
            resp = await session.get(url)
            await cancel_read_once_half_arrived(resp)
            with anyio.fail_after(5):
                again = await session.get(url)  # the only slot came back
            assert again.status == 200
            again.close()


async def test_chunk_of_a_read_cancelled_in_its_trace_callback_is_not_lost() -> None:
    body = b"".join(bytes([65 + i]) * 40_000 for i in range(10))

    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = len(body)
        await resp.prepare(request)
        for start in range(0, len(body), 40_000):
            await resp.write(body[start : start + 40_000])
            await anyio.sleep(0)
        return resp

    entered = anyio.Event()

    async def on_chunk(session: Any, ctx: SimpleNamespace, params: Any) -> None:
        if not entered.is_set():
            entered.set()
            await anyio.sleep_forever()  # the first chunk's callback is cancelled

    trace = anyiohttp.TraceConfig()
    trace.on_response_chunk_received.append(on_chunk)
    app = web.Application()
    app.router.add_get("/", stream)
    async with (
        run_app(app) as url,
        anyiohttp.ClientSession(trace_configs=[trace]) as session,
        session.get(url) as resp,
    ):
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(resp.content.read, 1000)
                await entered.wait()
                tg.cancel_scope.cancel()
            assert await resp.content.read() == body
