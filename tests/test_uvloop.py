"""On uvloop (anyio's asyncio backend with ``use_uvloop``): server, client and WebSocket.

uvloop's transports have asyncio's interface without subclassing it, and it
may read a socket twice before a task runs: our stream and the WebSocket
engine must cope with both. Plain (not anyio-marked) tests, since the
backend options are set here.
"""

from __future__ import annotations

import anyio
import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.testing import TestServer

uvloop = pytest.importorskip("uvloop")


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello " + request.query.get("n", ""))


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def exchange() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/ws", echo)
    async with TestServer(app) as server, anyiohttp.ClientSession() as session:
        for n in range(20):  # one kept-alive connection
            async with session.get(server.make_url("/"), params={"n": str(n)}) as resp:
                assert await resp.text() == f"hello {n}"
        async with session.ws_connect(server.make_url("/ws")) as ws:
            for n in range(50):
                await ws.send_str(f"message {n}")
                assert await ws.receive_str() == f"message {n}"
            big = b"x" * 600_000  # more than one read of the socket
            await ws.send_bytes(big)
            assert await ws.receive_bytes() == big
            await ws.close()
        assert ws.close_code == 1000


async def bounded() -> None:
    with anyio.fail_after(30):
        await exchange()


def test_server_client_and_websocket_on_uvloop() -> None:
    anyio.run(bounded, backend="asyncio", backend_options={"use_uvloop": True})
