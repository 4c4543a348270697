"""Our client against hypercorn (h11-based ASGI server), in process on the test's own backend."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import pytest
from yarl import URL

import anyiohttp
from anyiohttp._backend import on_asyncio

pytestmark = pytest.mark.anyio

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert scope["type"] == "http"
    size = 0
    more = True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    path = scope["path"]
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}

    async def answer(status: int, body: bytes, extra: list[tuple[bytes, bytes]] = []) -> None:  # noqa: B006
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *extra],
            }
        )
        await send({"type": "http.response.body", "body": body})

    if path == "/echo":
        info = {
            "method": scope["method"],
            "query": scope["query_string"].decode(),
            "length": size,
            "client_port": scope["client"][1],
            "cookie": headers.get("cookie", ""),
            "content_type": headers.get("content-type", ""),
        }
        await answer(200, json.dumps(info).encode(), [(b"content-type", b"application/json")])
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(200):
            await send({"type": "http.response.body", "body": b"line %d\n" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/redirect":
        await answer(302, b"", [(b"location", b"/echo?from=redirect")])
    elif path == "/cookie":
        await answer(200, b"set", [(b"set-cookie", b"flavour=oat; Path=/")])
    else:
        await answer(404, b"no such path")


@asynccontextmanager
async def hypercorn_server() -> AsyncIterator[URL]:
    """hypercorn serving asgi_app on a socket bound to 127.0.0.1:0, stopped after the block."""
    from hypercorn.config import Config

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]
    config.accesslog = None
    config.graceful_timeout = 1.0
    stop = anyio.Event()
    if on_asyncio():
        from hypercorn.asyncio import serve
    else:
        from hypercorn.trio import serve  # type: ignore[assignment]
    async with anyio.create_task_group() as tg:
        tg.start_soon(partial(serve, asgi_app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
        with anyio.fail_after(10):
            while True:
                try:
                    probe = await anyio.connect_tcp("127.0.0.1", port)
                except OSError:
                    await anyio.sleep(0.02)
                    continue
                await probe.aclose()
                break
        try:
            yield URL.build(scheme="http", host="127.0.0.1", port=port)
        finally:
            stop.set()


async def test_keep_alive_reuses_one_connection() -> None:
    async with hypercorn_server() as url, anyiohttp.ClientSession(base_url=url) as session:
        ports = set()
        for i in range(5):
            async with session.get("/echo", params={"i": str(i)}) as resp:
                assert resp.status == 200
                info = await resp.json()
                assert info["query"] == f"i={i}"
                ports.add(info["client_port"])
        assert len(ports) == 1


async def test_uploads_json_form_and_streamed() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(80):
            yield b"x" * 65536  # 5 MiB, chunked

    async with hypercorn_server() as url, anyiohttp.ClientSession(base_url=url) as session:
        async with session.post("/echo", data=chunks()) as resp:
            assert (await resp.json())["length"] == 80 * 65536
        async with session.post("/echo", json={"a": 1}) as resp:
            info = await resp.json()
            assert info["content_type"] == "application/json"
            assert info["length"] == len(b'{"a": 1}')
        async with session.put("/echo", data={"k": "v w"}) as resp:
            info = await resp.json()
            assert info["method"] == "PUT"
            assert info["content_type"] == "application/x-www-form-urlencoded"


async def test_chunked_stream_lines() -> None:
    async with hypercorn_server() as url, anyiohttp.ClientSession(base_url=url) as session:
        async with session.get("/stream") as resp:
            assert resp.headers.get("Transfer-Encoding") == "chunked"
            lines = [line async for line in resp.content]
        assert lines == [b"line %d\n" % i for i in range(200)]
        # The connection went back to the pool after the last chunk.
        async with session.get("/echo") as resp:
            assert resp.status == 200


async def test_no_body_statuses_head_redirect_and_cookies() -> None:
    jar = anyiohttp.CookieJar(unsafe=True)  # 127.0.0.1 is an IP host: refused by default
    async with (
        hypercorn_server() as url,
        anyiohttp.ClientSession(base_url=url, cookie_jar=jar) as session,
    ):
        async with session.get("/empty") as resp:
            assert resp.status == 204
            assert await resp.read() == b""
        async with session.head("/echo") as resp:
            assert resp.status == 200
            assert await resp.read() == b""
        async with session.post("/redirect", data=b"payload") as resp:
            assert resp.status == 200
            assert [r.status for r in resp.history] == [302]
            info = await resp.json()
            assert (info["method"], info["query"], info["length"]) == ("GET", "from=redirect", 0)
        async with session.get("/cookie") as resp:
            assert await resp.text() == "set"
        async with session.get("/echo") as resp:
            assert (await resp.json())["cookie"] == "flavour=oat"
        async with session.get("/missing") as resp:
            assert resp.status == 404
            assert await resp.text() == "no such path"
