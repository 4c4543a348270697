"""``await server.close()`` / ``await client.close()`` inside the block, as
aiohttp test code does: the server shuts down then (its port is released,
its app cleaned up), a second close is a no-op, using it afterwards is a
clear error, and the block (or the fixture) still ends cleanly."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.testing import RawTestServer, TestClient, TestServer

pytestmark = pytest.mark.anyio


class Lifetime:
    """Records an app's startup and cleanup."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def app(self) -> web.Application:
        async def hello(request: web.Request) -> web.Response:
            return web.Response(text="hello")

        async def on_startup(app: web.Application) -> None:
            self.events.append("startup")

        async def on_cleanup(app: web.Application) -> None:
            self.events.append("cleanup")

        app = web.Application()
        app.router.add_get("/", hello)
        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)
        return app


async def refused(port: int) -> None:
    """Nothing listens on 127.0.0.1:``port`` any more."""
    async with anyiohttp.ClientSession() as session:
        with pytest.raises(anyiohttp.ClientConnectorError):
            await session.get(f"http://127.0.0.1:{port}/")


async def test_server_close_inside_its_block() -> None:
    life = Lifetime()
    async with TestServer(life.app()) as server:
        port = server.port
        assert port is not None and not server.closed
        await server.close()
        assert life.events == ["startup", "cleanup"]  # the app's whole life, now
        assert server.closed and server.started and server.port is None
        await refused(port)
        with pytest.raises(RuntimeError, match="TestServer is closed"):
            server.make_url("/")
        await server.close()  # a no-op
    assert life.events == ["startup", "cleanup"]
    await server.close()  # still a no-op after the block


async def test_server_close_from_another_task() -> None:
    life = Lifetime()
    async with TestServer(life.app()) as server:
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.close)
            tg.start_soon(server.close)  # both return once it is closed
        assert server.closed and life.events == ["startup", "cleanup"]


async def test_a_closed_server_cannot_be_restarted_or_used_by_a_client() -> None:
    server = TestServer(Lifetime().app())
    await server.close()  # never started: nothing to do (as aiohttp)
    assert not server.closed
    async with server:
        pass
    with pytest.raises(RuntimeError, match="closed: make a new one"):
        async with server:
            pass
    with pytest.raises(RuntimeError, match="is closed"):
        async with TestClient(server):
            pass


async def test_client_close_inside_its_block_closes_the_server_it_started() -> None:
    life = Lifetime()
    async with TestClient(TestServer(life.app())) as client:
        resp = await client.get("/")
        port = client.port
        assert port is not None
        await client.close()
        assert client.closed and client.session.closed
        assert client.server.closed and life.events == ["startup", "cleanup"]
        assert client.port is None
        await refused(port)
        with pytest.raises(RuntimeError, match="TestClient is closed"):
            await client.get("/")
        with pytest.raises(RuntimeError, match="TestClient is closed"):
            await client.ws_connect("/")
        assert resp.closed  # released by the close, as aiohttp
        await client.close()  # a no-op


async def test_client_close_leaves_a_server_it_did_not_start() -> None:
    async with TestServer(Lifetime().app()) as server:
        async with TestClient(server) as first:
            await first.close()
        assert not server.closed
        async with TestClient(server) as second:
            assert await (await second.get("/")).text() == "hello"
        assert not server.closed


async def test_client_close_closes_its_websockets() -> None:
    seen: list[Any] = []
    handler_done = anyio.Event()

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            seen.append(msg.data)
        seen.append(ws.close_code)
        handler_done.set()
        return ws

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    async with TestClient(TestServer(app)) as client:
        ws = await client.ws_connect("/ws")
        await ws.send_str("hi")
        await client.close()
        assert ws.closed
        with anyio.fail_after(10):
            await handler_done.wait()
    assert seen == ["hi", 1000]


async def test_close_reports_work_left_running_once() -> None:
    started = anyio.Event()

    async def leaves_a_task(request: web.Request) -> web.Response:
        async def forever() -> None:
            started.set()
            await anyio.sleep_forever()

        request.app.task_group.start_soon(forever)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", leaves_a_task)
    async with TestClient(TestServer(app, shutdown_timeout=0.1)) as client:
        await (await client.get("/")).read()
        await started.wait()
        with pytest.raises(RuntimeError, match="left work running"):
            await client.close()
        await client.close()  # reported once: the block ends without it


async def test_start_server_is_a_no_op_inside_the_block_only() -> None:
    client = TestClient(TestServer(Lifetime().app()))
    with pytest.raises(RuntimeError, match="async with TestClient"):
        await client.start_server()
    with pytest.raises(RuntimeError, match="async with TestClient"):
        await client.server.start_server()
    async with client:
        await client.start_server()
        await client.server.start_server()
        assert (await client.get("/")).status == 200


async def test_sync_with_is_refused() -> None:
    server = TestServer(Lifetime().app())
    with pytest.raises(TypeError, match="async with"):
        with server:  # type: ignore[misc]
            pass
    with pytest.raises(TypeError, match="async with"):
        with TestClient(server):  # type: ignore[misc]
            pass


async def test_close_inside_the_fixtures(
    anyiohttp_client: Any, anyiohttp_server: Any, anyiohttp_raw_server: Any
) -> None:
    life = Lifetime()
    client = await anyiohttp_client(life.app())
    assert (await client.get("/")).status == 200
    await client.close()  # the fixture's task holds it: closed from the test's
    assert life.events == ["startup", "cleanup"]
    with pytest.raises(RuntimeError, match="closed"):
        await client.get("/")

    other = Lifetime()
    server = await anyiohttp_server(other.app())
    port = server.port
    await server.close()
    await server.close()
    assert other.events == ["startup", "cleanup"]
    await refused(port)

    async def raw(request: web.BaseRequest) -> web.Response:
        return web.Response(text="raw")

    raw_server = await anyiohttp_raw_server(raw)
    raw_client = await anyiohttp_client(raw_server)
    await raw_client.close()
    assert not raw_server.closed  # the raw server fixture's, not the client's
    await raw_server.close()
    assert raw_server.closed


async def test_handler_property_and_runner() -> None:
    async def raw(request: web.BaseRequest) -> web.Response:
        return web.Response(text="raw")

    server = RawTestServer(raw)
    assert server.runner is None and not server.started
    with pytest.raises(RuntimeError, match="not serving"):
        server.handler  # noqa: B018
    async with server:
        runner = server.runner
        assert runner is not None and server.handler is runner.server
        assert server.handler.handler is raw
    assert server.runner is runner  # kept after the close, as aiohttp


FIXTURE_CLOSE_TEST = """
import anyio
import pytest
from anyiohttp import web

pytestmark = pytest.mark.anyio

cleaned = []


def make_app():
    async def hello(request):
        return web.Response(text="hi")

    async def on_cleanup(app):
        cleaned.append(1)

    app = web.Application()
    app.router.add_get("/", hello)
    app.on_cleanup.append(on_cleanup)
    return app


async def test_close_early(anyiohttp_client):
    client = await anyiohttp_client(make_app())
    assert (await client.get("/")).status == 200
    await client.close()
    await client.close()
    assert cleaned


async def test_server_close_early(anyiohttp_server, anyiohttp_client):
    server = await anyiohttp_server(make_app())
    client = await anyiohttp_client(server)
    await server.close()
    await client.close()


async def test_work_left_running_is_raised_by_close(anyiohttp_client):
    started = anyio.Event()

    async def leaves_a_task(request):
        request.app.task_group.start_soon(anyio.sleep_forever)
        started.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", leaves_a_task)
    client = await anyiohttp_client(app, server_kwargs={"shutdown_timeout": 0.1})
    await (await client.get("/")).read()
    await started.wait()
    with pytest.raises(RuntimeError, match="left work running"):
        await client.close()


async def test_following(anyiohttp_client):
    client = await anyiohttp_client(make_app())
    assert await (await client.get("/")).text() == "hi"
"""


def test_closing_early_in_a_test_leaves_a_clean_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_close_early=FIXTURE_CLOSE_TEST)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--timeout=60", timeout=120
    )
    result.assert_outcomes(passed=8)
