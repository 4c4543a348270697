"""anyiohttp.request(): one request with a session of its own, as aiohttp.request().

The session is opened as the block is entered and closed as it ends; the
result is only an async context manager, as aiohttp 3.14's is. aiohttp runs
beside ours (on asyncio) where the two can be compared.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import anyio
import pytest
from yarl import URL

import anyiohttp
import anyiohttp.client
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


class Server:
    """Records each request's head and the peer port it came from."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.peer_gone = anyio.Event()
        self.app = web.Application()
        self.app.router.add_route("*", "/echo", self.echo)
        self.app.router.add_get("/redirect", self.redirect)
        self.app.router.add_get("/stream", self.stream)

    async def echo(self, request: web.Request) -> web.Response:
        self.seen.append(
            {
                "port": request.transport.get_extra_info("peername")[1],
                "connection": request.headers.get("Connection"),
                "version": f"{request.version.major}.{request.version.minor}",
            }
        )
        return web.json_response(
            {
                "method": request.method,
                "query": dict(request.query),
                "body": await request.text(),
                "cookies": dict(request.cookies),
                "x": request.headers.get("X-Test"),
            }
        )

    async def redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/echo")

    async def stream(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"first")
        # Until the client is gone (bounded: 10 s): a write then fails.
        with anyio.fail_after(10):
            while True:
                await anyio.sleep(0.01)
                try:
                    await resp.write(b".")
                except (ConnectionError, anyiohttp.ClientConnectionResetError):
                    self.peer_gone.set()
                    return resp


@asynccontextmanager
async def serving() -> AsyncIterator[tuple[Server, URL]]:
    server = Server()
    async with run_app(server.app) as url:
        yield server, url


async def test_a_request_with_a_session_of_its_own(anyio_backend: str) -> None:
    async with serving() as (server, url):
        async with anyiohttp.request("GET", url / "echo") as resp:
            assert resp.status == 200
            body = await resp.json()
        assert resp.closed
        assert body["method"] == "GET"
        if anyio_backend == "asyncio":  # aiohttp's, for the same server
            async with aiohttp.request("GET", url / "echo") as theirs:
                assert await theirs.json() == body
    ours = server.seen[0]
    assert ours["connection"] == "close"  # its pool keeps nothing (force_close)
    if anyio_backend == "asyncio":
        assert server.seen[1]["connection"] == ours["connection"]


def options(lib: Any) -> dict[str, Any]:
    return {
        "params": {"q": "1"},
        "data": b"payload",
        "headers": {"X-Test": "yes"},
        "cookies": {"session": "abc"},  # to the session's jar, as aiohttp does
        "timeout": lib.ClientTimeout(total=10),  # the session's, as aiohttp does
        "version": lib.HttpVersion10,
    }


async def test_its_keyword_arguments_as_aiohttp(anyio_backend: str) -> None:
    kwargs = options(anyiohttp)
    async with serving() as (server, url):
        async with anyiohttp.request("POST", url / "echo", **kwargs) as resp:
            body = await resp.json()
        assert body == {
            "method": "POST",
            "query": {"q": "1"},
            "body": "payload",
            "cookies": {"session": "abc"},
            "x": "yes",
        }
        assert server.seen[0]["version"] == "1.0"
        async with anyiohttp.request("GET", url / "redirect") as resp:
            assert resp.url.path == "/echo" and len(resp.history) == 1
        async with anyiohttp.request("GET", url / "redirect", allow_redirects=False) as resp:
            assert resp.status == 302
        if anyio_backend == "asyncio":
            async with aiohttp.request("POST", url / "echo", **options(aiohttp)) as theirs:
                assert json.loads(await theirs.text()) == body


async def test_it_is_only_an_async_context_manager() -> None:
    async with serving() as (_server, url):
        pending: Any = anyiohttp.request("GET", url / "echo")
        with pytest.raises(TypeError, match="can't be used in 'await' expression"):
            await pending
    with pytest.raises(TypeError, match=r"anyiohttp\.request\(\) takes no loop="):
        anyiohttp.request("GET", "http://127.0.0.1/", loop=object())  # type: ignore[call-arg]
    assert anyiohttp.client.request is anyiohttp.request


async def test_errors_come_out_as_themselves_and_the_session_is_closed() -> None:
    async with serving() as (_server, url):
        with pytest.raises(LookupError, match="in the block"):
            async with anyiohttp.request("GET", url / "echo") as resp:
                raise LookupError("in the block")
        assert resp.closed
    # The server is gone: entering fails with the connection error itself.
    with pytest.raises(anyiohttp.ClientConnectorError):
        async with anyiohttp.request("GET", url / "echo"):
            raise AssertionError("not reached")


async def test_cancelling_the_block_closes_the_connection() -> None:
    async with serving() as (server, url):
        with anyio.CancelScope() as scope:
            async with anyiohttp.request("GET", url / "stream") as resp:
                assert await resp.content.readexactly(5) == b"first"
                scope.cancel()
                await resp.content.read()  # cancelled here, the rest never comes
        assert scope.cancelled_caught
        assert resp.closed
        with anyio.fail_after(5):
            await server.peer_gone.wait()  # the server saw the connection closed


async def test_a_connector_given_is_borrowed_and_stays_open() -> None:
    async with serving() as (server, url):
        async with anyiohttp.TCPConnector() as connector:
            for _ in range(2):
                async with anyiohttp.request("GET", url / "echo", connector=connector) as resp:
                    await resp.read()
            assert not connector.closed
            # Its pool kept the connection: the second request reused it.
            assert server.seen[0]["port"] == server.seen[1]["port"]
            assert server.seen[0]["connection"] is None
