"""Serving and shutting down: web.serve, AppRunner and sites, lifecycle order."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from functools import partial

import anyio
import anyio.abc
import httpx
import pytest

from anyiohttp import web

from ..conftest import raw_exchange, run_app

pytestmark = pytest.mark.anyio


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def test_serve_hands_back_the_bound_address() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    async with anyio.create_task_group() as tg:
        address = await tg.start(partial(web.serve, app, host="127.0.0.1", port=0))
        host, port = address
        assert isinstance(address, tuple)
        assert host == "127.0.0.1" and isinstance(port, int) and port > 0
        async with httpx.AsyncClient() as client:
            resp = await client.get(f"http://{host}:{port}/")
        assert resp.text == "hello"
        tg.cancel_scope.cancel()


async def test_lifecycle_order_and_cleanup_after_serve_is_cancelled() -> None:
    events: list[str] = []

    async def ctx_a(app: web.Application) -> AsyncIterator[None]:
        events.append("ctx_a enter")
        yield
        events.append("ctx_a exit")

    async def ctx_b(app: web.Application) -> AsyncIterator[None]:
        events.append("ctx_b enter")
        yield
        events.append("ctx_b exit")

    async def on_startup(app: web.Application) -> None:
        events.append("startup")

    async def on_shutdown(app: web.Application) -> None:
        events.append("shutdown")

    async def on_cleanup(app: web.Application) -> None:
        events.append("cleanup")

    app = web.Application()
    app.cleanup_ctx.extend([ctx_a, ctx_b])
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/", hello)
    async with run_app(app):
        events.append("serving")
    assert events == [
        "ctx_a enter",
        "ctx_b enter",
        "startup",
        "serving",
        "shutdown",
        "ctx_b exit",
        "ctx_a exit",
        "cleanup",
    ]


async def test_startup_failure_is_raised_as_itself_and_unwinds_entered_contexts() -> None:
    events: list[str] = []

    async def ctx_ok(app: web.Application) -> AsyncIterator[None]:
        events.append("ok enter")
        yield
        events.append("ok exit")

    async def ctx_fails(app: web.Application) -> AsyncIterator[None]:
        raise LookupError("database is down")
        yield  # pragma: no cover

    async def ctx_never(app: web.Application) -> AsyncIterator[None]:
        events.append("never")
        yield

    app = web.Application()
    app.cleanup_ctx.extend([ctx_ok, ctx_fails, ctx_never])
    async with anyio.create_task_group() as tg:
        # start() raises the original exception, not a group of ours
        with pytest.raises(LookupError, match="database is down"):
            await tg.start(partial(web.serve, app, host="127.0.0.1", port=0))
    assert events == ["ok enter", "ok exit"]


async def test_a_frozen_app_refuses_new_routes_and_middlewares() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    async with run_app(app):
        with pytest.raises(RuntimeError, match="frozen router"):
            app.router.add_get("/new", hello)
        with pytest.raises(RuntimeError, match="frozen"):
            app.middlewares.append(web.normalize_path_middleware())
        with pytest.warns(DeprecationWarning, match="Changing state of started"):
            app[web.AppKey("late", int)] = 1


async def test_graceful_shutdown_answers_in_flight_requests() -> None:
    started = anyio.Event()
    count = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal count
        count += 1
        if count == 20:
            started.set()
        await anyio.sleep(0.5)
        return web.Response(text="finished")

    app = web.Application()
    app.router.add_get("/slow", slow)
    results: list[str] = []
    async with anyio.create_task_group() as outer:
        serve_scope = anyio.CancelScope()

        async def serve_it(*, task_status: anyio.abc.TaskStatus[tuple[str, int]]) -> None:
            with serve_scope:
                await web.serve(app, host="127.0.0.1", port=0, task_status=task_status)

        host, port = await outer.start(serve_it)

        async def one() -> None:
            async with httpx.AsyncClient() as client:
                resp = await client.get(f"http://{host}:{port}/slow")
                results.append(resp.text)

        async with anyio.create_task_group() as clients:
            for _ in range(20):
                clients.start_soon(one)
            await started.wait()
            serve_scope.cancel()  # shutdown while all 20 are in flight
    assert results == ["finished"] * 20


async def test_requests_over_the_shutdown_timeout_are_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    entered = anyio.Event()
    cancelled = anyio.Event()

    async def stuck(request: web.Request) -> web.Response:
        entered.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_get("/", stuck)
    with caplog.at_level(logging.WARNING, logger="anyiohttp.server"):
        with anyio.fail_after(5):
            async with run_app(app, shutdown_timeout=0.2) as url:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(raw_exchange, url, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    await entered.wait()
                    tg.cancel_scope.cancel()
    assert cancelled.is_set()
    assert any("cancelled at shutdown" in r.getMessage() for r in caplog.records)


async def test_idle_keep_alive_connections_are_closed_at_shutdown_at_once() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    with anyio.fail_after(3):  # far below shutdown_timeout: idle ones are not waited for
        async with run_app(app, shutdown_timeout=30) as url:
            assert url.host and url.port
            stream = await anyio.connect_tcp(url.host, url.port)
            await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while not data.endswith(b"hello"):
                data += await stream.receive()
        with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
            await stream.receive()
        await stream.aclose()


async def test_app_runner_with_sites() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    async with web.AppRunner(app) as runner:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = site.addresses[0][:2]
        assert site.name == f"http://127.0.0.1:{port}"
        assert runner.addresses == site.addresses
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://{host}:{port}/")).text == "hello"


@pytest.mark.parametrize(
    ("reuse_address", "expected"), [(None, True), (True, True), (False, False)]
)
async def test_tcp_site_reuse_address_reaches_the_socket(
    reuse_address: bool | None, expected: bool
) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    async with web.AppRunner(app) as runner:
        site = web.TCPSite(runner, "127.0.0.1", 0, reuse_address=reuse_address)
        await site.start()
        (listener,) = site._listeners
        raw = listener.extra(anyio.abc.SocketAttribute.raw_socket)
        assert bool(raw.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)) is expected
        host, port = site.addresses[0][:2]
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://{host}:{port}/")).text == "hello"


async def test_app_runner_with_handle_signals_leaves_its_block_normally() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    with anyio.fail_after(10):
        async with web.AppRunner(app, handle_signals=True) as runner:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = site.addresses[0][:2]
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"http://{host}:{port}/")).text == "hello"


async def test_stopping_one_site_leaves_the_other_serving() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    with anyio.fail_after(10):
        async with web.AppRunner(app) as runner:
            first = web.TCPSite(runner, "127.0.0.1", 0)
            second = web.TCPSite(runner, "127.0.0.1", 0)
            await first.start()
            await second.start()
            port1 = first.addresses[0][1]
            port2 = second.addresses[0][1]
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"http://127.0.0.1:{port1}/")).text == "hello"
                await first.stop()
                assert list(runner.sites) == [second]
                # The kept-alive connection stays (as in aiohttp); new ones are refused.
                assert (await client.get(f"http://127.0.0.1:{port1}/")).text == "hello"
            async with httpx.AsyncClient() as client:
                with pytest.raises(httpx.ConnectError):
                    await client.get(f"http://127.0.0.1:{port1}/")
                assert (await client.get(f"http://127.0.0.1:{port2}/")).text == "hello"


async def test_a_site_stopped_right_after_starting_leaves_nothing_registered() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    with anyio.fail_after(10):
        async with web.AppRunner(app) as runner:
            kept = web.TCPSite(runner, "127.0.0.1", 0)
            await kept.start()
            port = kept.addresses[0][1]
            for _ in range(3):
                brief = web.TCPSite(runner, "127.0.0.1", 0)
                await brief.start()
                await brief.stop()  # no checkpoint between start and stop
            # New sockets reuse the freed descriptor numbers: they must work.
            for _ in range(5):
                async with httpx.AsyncClient() as client:
                    assert (await client.get(f"http://127.0.0.1:{port}/")).text == "hello"


async def test_unix_site(tmp_path: object) -> None:
    import pathlib

    path = str(pathlib.Path(str(tmp_path)) / "web.sock")
    app = web.Application()
    app.router.add_get("/", hello)
    async with web.AppRunner(app) as runner:
        await web.UnixSite(runner, path).start()
        transport = httpx.AsyncHTTPTransport(uds=path)
        async with httpx.AsyncClient(transport=transport) as client:
            assert (await client.get("http://localhost/")).text == "hello"


async def test_site_start_before_the_runner_is_a_clear_error() -> None:
    runner = web.AppRunner(web.Application())
    with pytest.raises(RuntimeError, match=r"(?s)runner\.setup\(\).*async with web\.AppRunner"):
        await web.TCPSite(runner, "127.0.0.1", 0).start()


async def start_by_hand(app: web.Application) -> tuple[web.AppRunner, str]:
    # aiohttp's own examples start their server in a helper the main task awaits.
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/"


async def test_runner_setup_and_cleanup_by_hand_as_aiohttp() -> None:
    events: list[str] = []
    app = web.Application()
    app.router.add_get("/", hello)
    app.on_startup.append(lambda app: _note(events, "startup"))
    app.on_cleanup.append(lambda app: _note(events, "cleanup"))
    runner, url = await start_by_hand(app)
    try:
        async with httpx.AsyncClient() as client:
            assert (await client.get(url)).text == "hello"
        assert events == ["startup"]
    finally:
        await runner.cleanup()
    assert events == ["startup", "cleanup"]
    assert runner.server is None and not runner.sites
    with pytest.raises(OSError, match="All connection attempts failed"):  # no longer listening
        await anyio.connect_tcp("127.0.0.1", httpx.URL(url).port or 0)
    await runner.cleanup()  # a second cleanup does nothing
    assert events == ["startup", "cleanup"]


async def _note(events: list[str], what: str) -> None:
    events.append(what)


async def test_runner_cleanup_inside_its_block_ends_it_early() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    async with web.AppRunner(app) as runner:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        await runner.cleanup()
        assert runner.server is None
    assert runner.server is None


async def test_runner_cleanup_from_another_task_is_a_clear_error() -> None:
    runner, _ = await start_by_hand(web.Application())
    try:
        async with anyio.create_task_group() as tg:
            failures: list[BaseException] = []

            async def cleanup_elsewhere() -> None:
                try:
                    await runner.cleanup()
                except RuntimeError as exc:
                    failures.append(exc)

            tg.start_soon(cleanup_elsewhere)
        assert len(failures) == 1
        assert "from the task that started the runner" in str(failures[0])
        assert runner.server is not None  # still serving: nothing was torn down
    finally:
        await runner.cleanup()


async def test_app_task_group_jobs_are_drained_then_cancelled() -> None:
    finished: list[str] = []
    key = web.AppKey("finished", list)

    async def quick_job() -> None:
        await anyio.sleep(0.1)
        finished.append("quick")

    async def endless_job() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            finished.append("endless cancelled")

    async def handler(request: web.Request) -> web.Response:
        request.app.task_group.start_soon(quick_job)
        request.app.task_group.start_soon(endless_job)
        return web.Response(text="scheduled")

    app = web.Application()
    app[key] = finished
    app.router.add_get("/", handler)
    with pytest.raises(RuntimeError, match="only while the application serves"):
        app.task_group  # noqa: B018
    with anyio.fail_after(5):
        async with run_app(app, shutdown_timeout=0.5) as url:
            raw = await raw_exchange(url, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert raw.endswith(b"scheduled")
    assert finished == ["quick", "endless cancelled"]
    with pytest.raises(RuntimeError, match="only while the application serves"):
        app.task_group  # noqa: B018


async def test_request_cancel_scope_cancelled_from_another_request() -> None:
    running: dict[str, web.Request] = {}
    entered = anyio.Event()

    async def long_poll(request: web.Request) -> web.Response:
        running["poll"] = request
        entered.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def cancel(request: web.Request) -> web.Response:
        scope = running["poll"].cancel_scope
        assert scope is not None
        scope.cancel()
        return web.Response(text="cancelled it")

    app = web.Application()
    app.router.add_get("/poll", long_poll)
    app.router.add_get("/cancel", cancel)
    async with run_app(app) as url:
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                result: list[bytes] = []

                async def poll() -> None:
                    result.append(await raw_exchange(url, b"GET /poll HTTP/1.1\r\nHost: x\r\n\r\n"))

                tg.start_soon(poll)
                await entered.wait()
                raw = await raw_exchange(
                    url, b"GET /cancel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                assert raw.endswith(b"cancelled it")
    assert result == [b""]  # the cancelled handler's connection was closed without a response


async def test_a_finished_requests_cancel_scope_cancels_nothing_on_its_connection() -> None:
    # Requests on a connection share a cancel scope until a handler takes its
    # own: neither a scope taken during the first request nor one asked for
    # after it may cancel the second request on the same connection.
    held: dict[str, web.Request | anyio.CancelScope] = {}

    async def first(request: web.Request) -> web.Response:
        held["request"] = request
        return web.Response(text="first")

    async def taking(request: web.Request) -> web.Response:
        held["scope"] = request.cancel_scope
        return web.Response(text="taking")

    async def second(request: web.Request) -> web.Response:
        earlier = held.pop("request", None)
        if isinstance(earlier, web.Request):
            earlier.cancel_scope.cancel()  # asked for after its request ended
        scope = held.pop("scope", None)
        if isinstance(scope, anyio.CancelScope):
            scope.cancel()  # taken while its request ran
        await anyio.sleep(0)
        return web.Response(text="second")

    async def poke(request: web.Request) -> web.Response:
        earlier = held.pop("request")
        assert isinstance(earlier, web.Request)
        earlier.cancel_scope.cancel()  # from another connection, while the first one idles
        return web.Response(text="poked")

    app = web.Application()
    app.router.add_get("/first", first)
    app.router.add_get("/taking", taking)
    app.router.add_get("/second", second)
    app.router.add_get("/poke", poke)
    async with run_app(app) as url:
        for path in (b"/first", b"/taking"):
            raw = await raw_exchange(
                url,
                b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            assert raw.count(b"HTTP/1.1 200 OK") == 2, raw
            assert raw.endswith(b"second"), raw
        assert url.host is not None and url.port is not None
        with anyio.fail_after(5):
            async with await anyio.connect_tcp(url.host, url.port) as stream:
                await stream.send(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
                first_answer = b""
                while not first_answer.endswith(b"first"):
                    first_answer += await stream.receive()
                poked = await raw_exchange(
                    url, b"GET /poke HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                assert poked.endswith(b"poked"), poked
                await stream.send(b"GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                second_answer = b""
                while True:
                    try:
                        second_answer += await stream.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError):
                        break
        assert second_answer.endswith(b"second"), second_answer


async def test_handler_cancellation_cancels_the_handler_of_a_client_that_left() -> None:
    entered = anyio.Event()
    cancelled = anyio.Event()

    async def slow(request: web.Request) -> web.Response:
        entered.set()
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise
        return web.Response(text="too late")

    app = web.Application()
    app.router.add_get("/", slow)
    async with run_app(app, handler_cancellation=True) as url:
        assert url.host and url.port
        with anyio.fail_after(5):
            async with await anyio.connect_tcp(url.host, url.port) as stream:
                await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                await entered.wait()
            await cancelled.wait()


async def test_without_handler_cancellation_the_handler_finishes() -> None:
    entered = anyio.Event()
    finished = anyio.Event()

    async def slow(request: web.Request) -> web.Response:
        entered.set()
        await anyio.sleep(0.2)
        finished.set()
        return web.Response(text="done")

    app = web.Application()
    app.router.add_get("/", slow)
    async with run_app(app) as url:
        assert url.host and url.port
        with anyio.fail_after(5):
            async with await anyio.connect_tcp(url.host, url.port) as stream:
                await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                await entered.wait()
            await finished.wait()


async def test_handler_cancellation_mode_still_serves_bodies_and_pipelining() -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/", echo)
    body = b"x" * 300_000
    async with run_app(app, handler_cancellation=True) as url, httpx.AsyncClient() as client:
        for _ in range(3):
            resp = await client.post(str(url), content=body)
            assert resp.content == body


@pytest.mark.usefixtures("each_parser")
async def test_handler_cancellation_with_handlers_that_never_wait_keeps_serving() -> None:
    # The watcher may not have started when such a handler is done: stopping
    # it then must not leave it reading the next request on its own.
    async def instant(request: web.Request) -> web.Response:
        return web.Response(text=request.path)

    app = web.Application()
    app.router.add_get("/{name}", instant)
    async with run_app(app, handler_cancellation=True) as url:
        assert url.host and url.port
        with anyio.fail_after(10):
            async with await anyio.connect_tcp(url.host, url.port) as stream:
                for i in range(5):
                    await stream.send(b"GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
                    data = b""
                    while not data.endswith(b"/r%d" % i):
                        data += await stream.receive()
                    assert data.startswith(b"HTTP/1.1 200 OK")


async def test_every_cleanup_step_runs_and_several_failures_are_a_cleanup_error() -> None:
    events: list[str] = []

    def failing_ctx(name: str):  # type: ignore[no-untyped-def]
        async def ctx(app: web.Application) -> AsyncIterator[None]:
            yield
            events.append(name)
            raise ValueError(name)

        return ctx

    async def on_cleanup(app: web.Application) -> None:
        events.append("on_cleanup")

    app = web.Application()
    app.cleanup_ctx.extend([failing_ctx("first"), failing_ctx("second")])
    app.on_cleanup.append(on_cleanup)
    with pytest.raises(web.CleanupError) as info:
        async with web.AppRunner(app):
            pass
    assert events == ["second", "first", "on_cleanup"]
    assert [str(e) for e in info.value.exceptions] == ["second", "first"]


async def test_body_read_after_the_response_is_refused() -> None:
    kept: list[web.Request] = []
    errors: list[BaseException] = []

    async def handler(request: web.Request) -> web.Response:
        kept.append(request)
        return web.Response(text="answered without reading")

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
        )
        assert raw.endswith(b"answered without reading")
        try:
            await kept[0].read()
        except web.PayloadAccessError as exc:
            errors.append(exc)
    assert len(errors) == 1


async def test_startup_code_may_fill_in_app_state_without_warnings() -> None:
    import warnings

    key = web.AppKey("db", str)
    other = web.AppKey("other", str)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        app[key] = "connected"
        yield

    async def on_startup(app: web.Application) -> None:
        app[other] = "ready"

    app = web.Application()
    app.cleanup_ctx.append(ctx)
    app.on_startup.append(on_startup)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with run_app(app):
            assert app[key] == "connected" and app[other] == "ready"
            assert app.frozen


async def test_runner_shutdown_starts_the_graceful_shutdown_early() -> None:
    """As aiohttp's runner.shutdown(): on_shutdown is sent, the app stays set up until the end.

    Here it is the whole graceful shutdown begun early: the sites stop
    accepting and the request in flight is answered first.
    """
    events: list[str] = []
    entered, release = anyio.Event(), anyio.Event()

    async def slow(request: web.Request) -> web.Response:
        entered.set()
        await release.wait()
        return web.Response(text="finished")

    async def context(app: web.Application) -> AsyncIterator[None]:
        yield
        events.append("context exit")

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.cleanup_ctx.append(context)
    app.on_shutdown.append(lambda app: _note(events, "shutdown"))
    app.on_cleanup.append(lambda app: _note(events, "cleanup"))
    answers: list[str] = []
    with anyio.fail_after(10):
        async with web.AppRunner(app) as runner:
            await runner.shutdown()  # before any site: nothing to wait for but the signal
            assert events == ["shutdown"]
    assert events == ["shutdown", "context exit", "cleanup"]

    events.clear()
    app = web.Application()
    app.router.add_get("/slow", slow)
    app.on_shutdown.append(lambda app: _note(events, "shutdown"))
    app.on_cleanup.append(lambda app: _note(events, "cleanup"))
    with anyio.fail_after(10):
        async with web.AppRunner(app, shutdown_timeout=30) as runner:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site.addresses[0][1]
            async with anyio.create_task_group() as tg:

                async def ask() -> None:
                    async with httpx.AsyncClient() as client:
                        answers.append((await client.get(f"http://127.0.0.1:{port}/slow")).text)

                tg.start_soon(ask)
                await entered.wait()

                async def shut_down() -> None:  # from another task: any task may
                    await runner.shutdown()
                    events.append("shutdown() returned")

                tg.start_soon(shut_down)
                await anyio.wait_all_tasks_blocked()
                assert events == []  # waiting for the request in flight
                release.set()
            assert answers == ["finished"]
            assert events == ["shutdown", "shutdown() returned"]  # no cleanup yet
            with pytest.raises(OSError, match="All connection attempts failed"):
                await anyio.connect_tcp("127.0.0.1", port)
            await runner.shutdown()  # a second call does nothing more
            assert events == ["shutdown", "shutdown() returned"]
        assert events == ["shutdown", "shutdown() returned", "cleanup"]
    await runner.shutdown()  # not running: nothing to do
