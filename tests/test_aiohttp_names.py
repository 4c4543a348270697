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
import anyio
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


@pytest.mark.parametrize(
    ("login", "password", "encoding"),
    [("user", "pass", "utf-8"), ("jürgen", "pässwörd", "utf-8"), ("ä", "", "latin1")],
)
def test_encode_basic_auth_as_aiohttp(login: str, password: str, encoding: str) -> None:
    ours = anyiohttp.encode_basic_auth(login, password, encoding)
    assert ours == aiohttp.encode_basic_auth(login, password, encoding)
    assert anyiohttp.BasicAuth(login, password, encoding).encode() == ours
    assert anyiohttp.encode_basic_auth("user") == aiohttp.encode_basic_auth("user")
    with pytest.raises(ValueError, match="RFC 7617"):
        anyiohttp.encode_basic_auth("a:b", "c")


@pytest.mark.anyio
async def test_encode_basic_auth_in_a_request_header() -> None:
    async def whoami(request: web.Request) -> web.Response:
        auth = anyiohttp.BasicAuth.decode(request.headers["Authorization"], encoding="utf-8")
        return web.Response(text=f"{auth.login}/{auth.password}")

    app = web.Application()
    app.router.add_get("/", whoami)
    async with TestServer(app) as server, anyiohttp.ClientSession() as session:
        headers = {"Authorization": anyiohttp.encode_basic_auth("jürgen", "s3cret")}
        async with session.get(server.make_url("/"), headers=headers) as resp:
            assert await resp.text() == "jürgen/s3cret"


@pytest.mark.anyio
async def test_read_nowait_on_a_response_and_a_request_body() -> None:
    """After readline(), read_nowait() has the rest of what that read brought in."""
    release = anyio.Event()
    seen: list[bytes] = []

    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"line\nrest")  # one chunk, one segment
        await release.wait()
        await resp.write(b"more")
        return resp

    async def upload(request: web.Request) -> web.Response:
        seen.append(request.content.read_nowait())  # nothing read yet: nothing here
        seen.append(await request.content.readline())
        seen.append(request.content.read_nowait())
        seen.append(await request.content.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/stream", stream)
    app.router.add_post("/upload", upload)
    async with TestServer(app) as server, anyiohttp.ClientSession() as session:
        async with session.get(server.make_url("/stream")) as resp:
            assert await resp.content.readline() == b"line\n"
            got = resp.content.read_nowait()
            assert b"rest".startswith(got)  # what came in with the line, never more
            async with anyio.create_task_group() as tg:
                rest: list[bytes] = []

                async def read_rest() -> None:
                    rest.append(await resp.content.read())

                tg.start_soon(read_rest)
                await anyio.wait_all_tasks_blocked()
                with pytest.raises(RuntimeError, match="waiting for incoming data"):
                    resp.content.read_nowait()
                release.set()
            assert got + rest[0] == b"restmore"
        async with session.post(server.make_url("/upload"), data=b"a\nbc") as resp:
            assert await resp.text() == "ok"
    assert seen[0] == b"" and seen[1] == b"a\n" and seen[2] + seen[3] == b"bc"
