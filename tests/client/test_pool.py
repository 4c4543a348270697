"""The connection pool: reuse, limits, fairness, expiry, timeouts."""

from __future__ import annotations

import aiohttp
import anyio
import pytest

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


class Tracker:
    """A server that reports peer ports and counts concurrent connections."""

    def __init__(self) -> None:
        self.open = 0
        self.most = 0
        self.app = web.Application()
        self.app.router.add_get("/port", self.port)
        self.app.router.add_get("/slow", self.slow)

    async def port(self, request: web.Request) -> web.Response:
        return web.Response(text=str(request.transport.get_extra_info("peername")[1]))

    async def slow(self, request: web.Request) -> web.Response:
        await anyio.sleep(0.05)
        return web.Response(text=str(request.transport.get_extra_info("peername")[1]))


async def test_sequential_requests_reuse_one_connection() -> None:
    tracker = Tracker()
    async with run_app(tracker.app) as url, anyiohttp.ClientSession() as session:
        ports = set()
        for _ in range(10):
            async with session.get(url / "port") as resp:
                ports.add(await resp.text())
    assert len(ports) == 1


async def test_unread_response_is_not_returned_to_the_pool() -> None:
    tracker = Tracker()
    async with run_app(tracker.app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url / "port") as resp:
            first = resp.status  # body never read
        async with session.get(url / "port") as resp:
            second_port = await resp.text()
        async with session.get(url / "port") as resp:
            third_port = await resp.text()
    assert first == 200
    assert second_port == third_port  # the second one (read) was reused


async def test_limit_caps_open_connections_across_concurrent_requests() -> None:
    tracker = Tracker()
    connector = anyiohttp.TCPConnector(limit=2)
    ports: list[str] = []
    async with run_app(tracker.app) as url, anyiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            async with session.get(url / "slow") as resp:
                ports.append(await resp.text())

        in_use: list[int] = []

        async def watch() -> None:
            while len(ports) < 10:
                in_use.append(connector._in_use)
                await anyio.sleep(0.005)

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            for _ in range(10):
                tg.start_soon(one)
    assert len(ports) == 10
    assert len(set(ports)) <= 2
    assert max(in_use) <= 2


async def test_limit_per_host() -> None:
    tracker = Tracker()
    connector = anyiohttp.TCPConnector(limit=0, limit_per_host=1)
    async with run_app(tracker.app) as url, anyiohttp.ClientSession(connector=connector) as session:
        results: list[str] = []

        async def one() -> None:
            async with session.get(url / "slow") as resp:
                results.append(await resp.text())

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one)
    assert len(set(results)) == 1


async def test_waiters_are_served_first_come_first_served() -> None:
    tracker = Tracker()
    connector = anyiohttp.TCPConnector(limit=1)
    order: list[int] = []
    async with run_app(tracker.app) as url, anyiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            async with session.get(url / "slow") as resp:
                await resp.read()
                order.append(i)

        async with anyio.create_task_group() as tg:
            for i in range(6):
                tg.start_soon(one, i)
                await anyio.sleep(0.005)  # queue them in a known order
    assert order == sorted(order)


async def test_idle_connections_expire_after_keepalive_timeout() -> None:
    tracker = Tracker()
    connector = anyiohttp.TCPConnector(keepalive_timeout=0.2)
    async with run_app(tracker.app) as url, anyiohttp.ClientSession(connector=connector) as session:
        first = await (await session.get(url / "port")).text()
        again = await (await session.get(url / "port")).text()
        await anyio.sleep(0.6)
        later = await (await session.get(url / "port")).text()
    assert first == again
    assert later != first


async def test_force_close_never_reuses() -> None:
    tracker = Tracker()
    connector = anyiohttp.TCPConnector(force_close=True)
    async with run_app(tracker.app) as url, anyiohttp.ClientSession(connector=connector) as session:
        ports = {await (await session.get(url / "port")).text() for _ in range(3)}
    assert len(ports) == 3


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize("force_close", [False, True])
async def test_the_connection_header_says_what_the_pool_does(
    anyio_backend: str, version: str, force_close: bool
) -> None:
    """Sent where the version's default is not what the pool does, as aiohttp sends it."""

    async def connection(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Connection", "-"))

    app = web.Application()
    app.router.add_get("/", connection)
    http_version = anyiohttp.HttpVersion10 if version == "1.0" else anyiohttp.HttpVersion11
    sent = []
    async with run_app(app) as url:
        connector = anyiohttp.TCPConnector(force_close=force_close)
        async with anyiohttp.ClientSession(connector=connector, version=http_version) as session:
            async with session.get(url) as resp:
                sent.append(await resp.text())
        if anyio_backend == "asyncio":  # aiohttp beside ours
            connector = aiohttp.TCPConnector(force_close=force_close)
            async with aiohttp.ClientSession(connector=connector, version=http_version) as session:
                async with session.get(url) as resp:
                    sent.append(await resp.text())
    expected = {("1.0", False): "keep-alive", ("1.1", True): "close"}.get((version, force_close))
    assert set(sent) == {expected or "-"}


async def test_a_connection_the_server_closed_while_idle_is_not_used() -> None:
    tracker = Tracker()
    async with run_app(tracker.app, keepalive_timeout=0.1) as url, anyiohttp.ClientSession() as s:
        first = await (await s.get(url / "port")).text()
        await anyio.sleep(1.0)  # the server closes the idle connection
        second = await (await s.get(url / "port")).text()
    assert first != second


async def test_shared_connector_must_be_open_and_outlives_sessions() -> None:
    tracker = Tracker()
    connector = anyiohttp.TCPConnector()
    with pytest.raises(RuntimeError, match="must be open first"):
        async with anyiohttp.ClientSession(connector=connector, connector_owner=False):
            pass
    async with run_app(tracker.app) as url, connector:
        async with anyiohttp.ClientSession(connector=connector, connector_owner=False) as s:
            first = await (await s.get(url / "port")).text()
        async with anyiohttp.ClientSession(connector=connector, connector_owner=False) as s:
            second = await (await s.get(url / "port")).text()
        assert first == second
    assert connector.closed


async def test_total_timeout() -> None:
    async def slow(request: web.Request) -> web.Response:
        await anyio.sleep(5)
        return web.Response()

    app = web.Application()
    app.router.add_get("/", slow)
    async with run_app(app, shutdown_timeout=0.1) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(3):
            with pytest.raises(anyiohttp.ServerTimeoutError) as info:
                await session.get(url, timeout=anyiohttp.ClientTimeout(total=0.2))
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, anyiohttp.ClientError)


@pytest.mark.parametrize("kind", ["total", "sock_read"])
async def test_timeouts_on_a_kept_alive_connection(kind: str) -> None:
    """The second request reuses the connection (the path without a cancel scope)."""

    async def maybe_slow(request: web.Request) -> web.Response:
        if request.query.get("slow"):
            await anyio.sleep(5)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", maybe_slow)
    timeout = (
        anyiohttp.ClientTimeout(total=0.3)
        if kind == "total"
        else anyiohttp.ClientTimeout(sock_read=0.3)
    )
    error = anyiohttp.ServerTimeoutError if kind == "total" else anyiohttp.SocketTimeoutError
    async with (
        run_app(app, shutdown_timeout=0.1) as url,
        anyiohttp.ClientSession(timeout=timeout) as session,
    ):
        assert await (await session.get(url)).text() == "ok"  # now kept alive
        with anyio.fail_after(3):
            with pytest.raises(error) as info:
                await session.get(url.with_query(slow="1"))
        assert isinstance(info.value, TimeoutError)
        assert await (await session.get(url)).text() == "ok"  # the pool carries on


async def test_sock_read_timeout_while_reading_the_body() -> None:
    async def stalls(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"first")
        await anyio.sleep(5)
        return resp

    app = web.Application()
    app.router.add_get("/", stalls)
    async with (
        run_app(app, shutdown_timeout=0.1) as url,
        anyiohttp.ClientSession(timeout=anyiohttp.ClientTimeout(sock_read=0.2)) as session,
    ):
        with anyio.fail_after(3):
            resp = await session.get(url)
            assert await resp.content.readany() == b"first"
            with pytest.raises(anyiohttp.SocketTimeoutError):
                await resp.read()


async def test_connect_timeout() -> None:
    # A listener that never accepts: its backlog fills, then connects hang.
    async with await anyio.create_tcp_listener(local_host="127.0.0.1", backlog=1) as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        held = []
        for _ in range(8):
            try:
                with anyio.fail_after(0.2):
                    held.append(await anyio.connect_tcp("127.0.0.1", port))
            except TimeoutError:
                break
        try:
            async with anyiohttp.ClientSession(
                timeout=anyiohttp.ClientTimeout(sock_connect=0.3)
            ) as session:
                with anyio.fail_after(5), pytest.raises(anyiohttp.ConnectionTimeoutError) as info:
                    await session.get(f"http://127.0.0.1:{port}/")
            assert isinstance(info.value, TimeoutError)
        finally:
            for stream in held:
                await stream.aclose()


async def test_unix_connector(tmp_path: object) -> None:
    import pathlib

    path = str(pathlib.Path(str(tmp_path)) / "s.sock")

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="over unix")

    app = web.Application()
    app.router.add_get("/", hello)
    async with web.AppRunner(app) as runner:
        await web.UnixSite(runner, path).start()
        connector = anyiohttp.UnixConnector(path=path)
        async with anyiohttp.ClientSession(connector=connector) as session:
            assert await (await session.get("http://localhost/")).text() == "over unix"


async def test_a_read_response_is_freed_without_the_garbage_collector() -> None:
    """No reference cycle per request: under load, cycles make the GC the client's cost."""
    import gc
    import weakref

    tracker = Tracker()
    async with run_app(tracker.app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url / "port") as resp:  # a connection to reuse
            await resp.read()
        gc.collect()
        gc.disable()
        try:
            refs = []
            for _ in range(5):
                async with session.get(url / "port") as resp:
                    await resp.read()
                refs.append(weakref.ref(resp))
            async with session.get(url / "port") as resp:
                pass  # released unread: the connection is closed
            refs.append(weakref.ref(resp))
            async with session.head(url / "port") as resp:
                pass  # no body at all
            refs.append(weakref.ref(resp))
            del resp
            assert [ref() for ref in refs] == [None] * 7
        finally:
            gc.enable()
