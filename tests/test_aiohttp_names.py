"""aiohttp's names in aiohttp's places: what a port imports from where aiohttp has it.

Each name is used the way aiohttp code uses it, against a server on a real
socket, on both backends; aiohttp itself runs beside ours where the two can
be compared directly.
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import aiohttp.client
import pytest

import anyiohttp
import anyiohttp.client
import anyiohttp.helpers
import anyiohttp.streams
import anyiohttp.worker
from anyiohttp import web
from anyiohttp.testing import TestServer


def test_the_names_are_where_aiohttp_has_them() -> None:
    assert anyiohttp.EMPTY_PAYLOAD is anyiohttp.streams.EMPTY_PAYLOAD
    assert anyiohttp.ETag is anyiohttp.helpers.ETag
    assert anyiohttp.client.ClientWSTimeout is anyiohttp.ClientWSTimeout
    assert anyiohttp.client.ClientWebSocketResponse is anyiohttp.ClientWebSocketResponse
    assert anyiohttp.client.WSMessageTypeError is anyiohttp.WSMessageTypeError
    assert web.PrefixedSubAppResource is web.routing.PrefixedSubAppResource
    for name in ("EMPTY_PAYLOAD", "ETag", "GunicornWebWorker"):
        assert hasattr(aiohttp, name)
    for name in ("ClientWSTimeout", "ClientWebSocketResponse", "WSMessageTypeError"):
        assert hasattr(aiohttp.client, name)


def test_the_gunicorn_worker_is_loaded_on_first_use() -> None:
    # The worker brings gunicorn and the server along, so `import anyiohttp`
    # does not load it; asking for the name does, as in aiohttp.
    assert anyiohttp.GunicornWebWorker is anyiohttp.worker.GunicornWebWorker
    assert "anyiohttp.worker" in sys.modules
    with pytest.raises(AttributeError, match="GunicornUVLoopWebWorker"):
        anyiohttp.GunicornUVLoopWebWorker  # noqa: B018  # the attribute access is the test


async def _echo_ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_bytes(msg.data.encode())
    return ws


async def _body(request: web.Request) -> web.Response:
    etags = request.if_none_match or ()
    return web.Response(
        text=f"{request.content is anyiohttp.EMPTY_PAYLOAD} "
        + ",".join(f"{e.value}:{e.is_weak}" for e in etags)
    )


def _app() -> tuple[web.Application, list[Any]]:
    app = web.Application()
    app.router.add_get("/ws", _echo_ws)
    app.router.add_route("*", "/body", _body)
    sub = web.Application()
    sub.router.add_get("/", _body)
    resources = [app.add_subapp("/sub", sub)]
    return app, resources


@pytest.mark.anyio
async def test_the_client_websocket_names() -> None:
    app, _ = _app()
    async with TestServer(app) as server, anyiohttp.ClientSession() as session:
        timeout = anyiohttp.client.ClientWSTimeout(ws_receive=5.0, ws_close=5.0)
        async with session.ws_connect(server.make_url("/ws"), timeout=timeout) as ws:
            assert isinstance(ws, anyiohttp.client.ClientWebSocketResponse)
            await ws.send_str("hi")
            with pytest.raises(anyiohttp.client.WSMessageTypeError):
                await ws.receive_str()  # the echo is binary


@pytest.mark.anyio
async def test_empty_payload_etag_and_the_subapp_resource() -> None:
    app, resources = _app()
    assert isinstance(resources[0], web.PrefixedSubAppResource)
    async with TestServer(app) as server, anyiohttp.ClientSession() as session:
        headers = {"If-None-Match": 'W/"a", "b"'}
        async with session.get(server.make_url("/body"), headers=headers) as resp:
            assert await resp.text() == "True a:True,b:False"
        async with session.post(server.make_url("/body"), data=b"x") as resp:
            assert await resp.text() == "False "
        async with session.get(server.make_url("/sub/")) as resp:
            assert await resp.text() == "True "
    assert anyiohttp.ETag("a", is_weak=True) == anyiohttp.ETag(value="a", is_weak=True)
