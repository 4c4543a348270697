"""A response's life as aiohttp's: connection reuse after bodiless answers, 101s,
closed once read, wait_for_close, reading after the session closed, the total
timeout over a body that keeps coming, repr, and closing a session early."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


def counting_app() -> tuple[web.Application, set[object]]:
    """Answers ``?status=N``; records the client's address of each request."""
    peers: set[object] = set()

    async def answer(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        status = int(request.query.get("status", "200"))
        return web.Response(status=status, text=None if status in (204, 304) else "hello")

    app = web.Application()
    app.router.add_route("*", "/", answer)
    return app, peers


async def test_a_kept_alive_connection_is_reused_after_head_204_and_304() -> None:
    app, peers = counting_app()
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        for method, status in [
            ("GET", 200),
            ("HEAD", 200),
            ("GET", 204),
            ("GET", 304),
            ("GET", 200),
        ]:
            async with session.request(method, url.with_query(status=status)) as resp:
                assert resp.status == status
                assert await resp.read() == (b"hello" if method == "GET" and status == 200 else b"")
            assert resp.closed
    assert len(peers) == 1  # one connection served them all


async def test_a_plain_request_may_carry_upgrade_headers() -> None:
    app, peers = counting_app()
    upgrade = {"Upgrade": "h2c", "Connection": "Upgrade"}
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.get(url, headers=upgrade) as resp:
                assert resp.status == 200 and await resp.read() == b"hello"
    assert len(peers) == 1


@asynccontextmanager
async def raw_server(
    handle: Callable[[anyio.abc.SocketStream], Awaitable[None]],
) -> AsyncIterator[URL]:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def serve_one(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            try:
                await handle(stream)
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                pass

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve_one)
        yield URL(f"http://127.0.0.1:{port}/")
        tg.cancel_scope.cancel()


async def switch_without_asking(stream: anyio.abc.SocketStream, says_upgrade: bool) -> None:
    """Answer the request with a 101 (naming an Upgrade or not) and bytes that are not HTTP."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    upgrade = b"Upgrade: foo\r\nConnection: upgrade\r\n" if says_upgrade else b""
    await stream.send(b"HTTP/1.1 101 Switching Protocols\r\n" + upgrade + b"\r\nnot-http")
    await anyio.sleep(5)


async def what_a_101_gives(session: Any, url: URL, proposes: bool) -> tuple[object, ...]:
    """status, the body, whether the response is closed and keeps its connection."""
    headers = {"Upgrade": "foo", "Connection": "upgrade"} if proposes else {}
    with anyio.fail_after(5):
        async with session.get(str(url), headers=headers) as resp:
            return resp.status, await resp.read(), resp.closed, resp.connection is not None


@pytest.mark.parametrize("proposes", [True, False], ids=["proposed", "unasked"])
@pytest.mark.parametrize("says_upgrade", [True, False])
async def test_a_101_that_is_not_a_websocket_is_returned_as_aiohttp_does(
    says_upgrade: bool, proposes: bool, anyio_backend_name: str
) -> None:
    """A 101 is the final response whether the request proposed an upgrade or not (h11
    alone refuses one it did not propose; aiohttp and llhttp return it), on both parsers."""

    async def switch(stream: anyio.abc.SocketStream) -> None:
        await switch_without_asking(stream, says_upgrade)

    async with raw_server(switch) as url, anyiohttp.ClientSession() as session:
        # As aiohttp: with an Upgrade header the connection stays for whoever
        # takes it over; without one it is closed.
        expected = (101, b"", not says_upgrade, says_upgrade)
        assert await what_a_101_gives(session, url, proposes) == expected
        assert "in_use=0 " in repr(session.connector)
    if anyio_backend_name == "asyncio":  # aiohttp itself, on the same server
        aiohttp = pytest.importorskip("aiohttp")
        async with raw_server(switch) as url, aiohttp.ClientSession() as session:
            assert await what_a_101_gives(session, url, proposes) == expected


async def test_a_response_is_closed_once_its_body_was_read() -> None:
    app, _ = counting_app()
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        resp = await session.get(url)
        assert await resp.content.read(5) == b"hello"  # exactly the body, no read past it
        assert resp.closed
        assert "idle=1 " in repr(session.connector)  # back in the pool already
        resp = await session.get(url)
        await resp.wait_for_close()  # as aiohttp: does not read; the unread body closes
        assert resp.closed
        with pytest.raises(anyiohttp.ClientConnectionError):
            await resp.read()


async def test_reading_after_the_session_closed() -> None:
    gate = anyio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"part")
        await gate.wait()
        return resp

    app, _ = counting_app()
    app.router.add_get("/slow", slow)
    async with run_app(app) as url:
        async with anyiohttp.ClientSession() as session:
            small = await session.get(url)
            await anyio.sleep(0.05)  # its body is in with the head
            streaming = await session.get(url / "slow")
        # A body that had arrived can still be read; one cut off by the close is an error.
        assert await small.read() == b"hello"
        with pytest.raises(anyiohttp.ClientConnectionError, match="Connection closed"):
            await streaming.read()
        gate.set()


async def test_the_total_timeout_holds_while_a_body_keeps_coming() -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        while True:
            await resp.write(b"x" * 65536)

    app = web.Application()
    app.router.add_get("/", endless)
    timeout = anyiohttp.ClientTimeout(total=0.3)
    async with run_app(app) as url, anyiohttp.ClientSession(timeout=timeout) as session:
        with anyio.fail_after(10):  # a guard; the total timeout ends it long before
            async with session.get(url) as resp:
                with pytest.raises(anyiohttp.ServerTimeoutError, match="Total timeout"):
                    async for _ in resp.content.iter_any():
                        pass
        assert "in_use=0 " in repr(session.connector)


async def test_repr_shows_the_status_line_then_the_headers() -> None:
    app, _ = counting_app()
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            first, headers, end = repr(resp).split("\n")
        assert first == f"<ClientResponse({url}) [200 OK]>"
        assert headers.startswith("<CIMultiDictProxy(") and "'Content-Length': '5'" in headers
        assert end == ""


async def test_closing_a_session_inside_its_block() -> None:
    app, _ = counting_app()
    async with run_app(app) as url:
        async with anyiohttp.ClientSession() as session:
            async with session.get(url) as resp:
                assert resp.status == 200
            await session.close()
            assert session.closed
            await session.close()  # a second close does nothing
            with pytest.raises(RuntimeError, match="closed"):
                await session.get(url)
        # Leaving the block after the early close is fine, and so is a close after it.
        await session.close()


async def what_read_until_eof_gives(session: Any, url: URL, flag: bool) -> tuple[object, ...]:
    """Whether the response is closed at once, its body, and whether it is closed after."""
    async with session.get(str(url), read_until_eof=flag) as resp:
        at_once = resp.closed
        return at_once, await resp.read(), resp.closed


@pytest.mark.parametrize("flag", [True, False])
async def test_read_until_eof_as_aiohttp(flag: bool, anyio_backend_name: str) -> None:
    """A body only the server's close ends (no Content-Length, not chunked) is read to
    the close by default; read_until_eof=False takes it as empty (and the connection,
    out of step, is closed), as aiohttp does."""

    async def until_close(stream: anyio.abc.SocketStream) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive()
        await stream.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")
        await anyio.sleep(0.2)  # then the close ends the body

    expected = (False, b"until close", True) if flag else (True, b"", True)
    async with raw_server(until_close) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(5):
            assert await what_read_until_eof_gives(session, url, flag) == expected
        assert "in_use=0 idle=0 " in repr(session.connector)
    if anyio_backend_name == "asyncio":  # aiohttp itself, on the same server
        aiohttp = pytest.importorskip("aiohttp")
        async with raw_server(until_close) as url, aiohttp.ClientSession() as session:
            assert await what_read_until_eof_gives(session, url, flag) == expected


async def what_a_get_gives(session: Any, url: URL) -> tuple[object, ...]:
    """closed and the connection right after the head, then the body and closed."""
    resp = await session.get(str(url))
    try:
        at_once = resp.closed, resp.connection is None
        return *at_once, await resp.read(), resp.closed
    finally:
        resp.release()


@pytest.mark.parametrize("whole", [True, False], ids=["whole", "in-parts"])
async def test_closed_at_once_when_the_body_came_with_the_head(
    whole: bool, anyio_backend_name: str
) -> None:
    """As aiohttp: a small body that arrived with the head is taken at once (no read
    past it) and the response is closed, its connection back in the pool, before
    anything reads it; a body still coming keeps the response open until read."""

    async def answer(stream: anyio.abc.SocketStream) -> None:
        for _ in range(2):  # the second request reuses the connection
            data = b""
            while b"\r\n\r\n" not in data:
                data += await stream.receive()
            head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
            if whole:
                await stream.send(head + b"hello")  # one write: it all arrives at once
            else:
                await stream.send(head + b"hel")
                await anyio.sleep(0.2)
                await stream.send(b"lo")

    async def both(session: Any, url: URL) -> list[tuple[object, ...]]:
        with anyio.fail_after(5):
            return [await what_a_get_gives(session, url) for _ in range(2)]

    if whole:
        expected = [(True, True, b"hello", True)] * 2
    else:
        expected = [(False, False, b"hello", True)] * 2
    async with raw_server(answer) as url, anyiohttp.ClientSession() as session:
        assert await both(session, url) == expected
        assert "in_use=0 idle=1 " in repr(session.connector)
    if anyio_backend_name == "asyncio":  # aiohttp itself, on the same server
        aiohttp = pytest.importorskip("aiohttp")
        async with raw_server(answer) as url, aiohttp.ClientSession() as session:
            assert await both(session, url) == expected
