"""TestServer, RawTestServer, TestClient, make_mocked_request, and the fixtures."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.abc
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from anyiohttp import web
from anyiohttp.testing import RawTestServer, TestClient, TestServer, make_mocked_request

pytestmark = pytest.mark.anyio


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello " + request.match_info.get("name", "world"))


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/{name}", hello)
    return app


async def test_test_client_with_paths() -> None:
    async with TestClient(TestServer(make_app())) as client:
        assert client.host == "127.0.0.1" and client.port > 0
        resp = await client.get("/")
        assert resp.status == 200 and await resp.text() == "hello world"
        async with client.get("/bob") as resp:
            assert await resp.text() == "hello bob"
        assert client.make_url("/x") == client.server.make_url("x")
        assert client.app is not None


async def test_raw_test_server() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response(text=f"raw {request.method} {request.path}")

    async with TestClient(RawTestServer(handler)) as client:
        assert await (await client.post("/p")).text() == "raw POST /p"


async def test_test_server_shutdown_reports_work_left_running() -> None:
    started = anyio.Event()

    async def leaves_a_task(request: web.Request) -> web.Response:
        async def forever() -> None:
            started.set()
            await anyio.sleep_forever()

        request.app.task_group.start_soon(forever)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", leaves_a_task)
    with pytest.raises(RuntimeError, match="left work running"):
        async with TestClient(TestServer(app, shutdown_timeout=0.1)) as client:
            await (await client.get("/")).read()
            await started.wait()


async def test_using_the_tools_outside_async_with_is_a_clear_error() -> None:
    client = TestClient(TestServer(make_app()))
    with pytest.raises(RuntimeError, match="async with TestClient"):
        await client.get("/")
    with pytest.raises(RuntimeError, match="async with"):
        await TestServer(make_app()).start_server()


async def test_make_mocked_request_for_handlers_and_middlewares() -> None:
    request = make_mocked_request(
        "GET", "/bob?x=1", headers={"X-Token": "t"}, match_info={"name": "bob"}
    )
    assert request.method == "GET" and request.path == "/bob"
    assert request.query["x"] == "1" and request.headers["X-Token"] == "t"
    resp = await hello(request)
    assert resp.text == "hello bob"

    @web.middleware
    async def mw(req: web.Request, handler: web.app.Handler) -> web.StreamResponse:
        resp = await handler(req)
        resp.headers["X-MW"] = "yes"
        return resp

    resp = await mw(request, hello)
    assert resp.headers["X-MW"] == "yes"


async def test_mocked_request_body_and_written_response() -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    request = make_mocked_request("POST", "/", payload=b"data")
    resp = await echo(request)
    await resp.prepare(request)
    await resp.write_eof()
    written = bytes(request.writer_output.sent)  # type: ignore[attr-defined]
    assert written.startswith(b"HTTP/1.1 200 OK\r\n") and written.endswith(b"\r\n\r\ndata")


async def test_fixtures(
    anyiohttp_client, anyiohttp_server, anyiohttp_raw_server, anyiohttp_unused_port
) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(make_app())
    assert await (await client.get("/")).text() == "hello world"
    server = await anyiohttp_server(make_app())
    client2 = await anyiohttp_client(server)
    assert client2.port == server.port
    port = anyiohttp_unused_port()

    async def raw(request: web.BaseRequest) -> web.Response:
        return web.Response(text="raw")

    raw_server = await anyiohttp_raw_server(raw, port=port)
    assert raw_server.port == port
    client3 = await anyiohttp_client(raw_server)
    assert await (await client3.get("/")).text() == "raw"


PLUGIN_TEST = """
import pytest
from anyiohttp import web

pytestmark = pytest.mark.anyio

async def hello(request):
    return web.Response(text="hi")

def make_app():
    app = web.Application()
    app.router.add_get("/", hello)
    return app

async def test_client(anyiohttp_client, anyio_backend):
    client = await anyiohttp_client(make_app())
    resp = await client.get("/")
    assert await resp.text() == "hi"

async def test_server(anyiohttp_server, anyiohttp_unused_port):
    server = await anyiohttp_server(make_app(), port=anyiohttp_unused_port())
    assert server.port > 0

async def test_raw_server(anyiohttp_raw_server, anyiohttp_client):
    server = await anyiohttp_raw_server(hello)
    client = await anyiohttp_client(server)
    assert (await client.get("/x")).status == 200
"""


def test_plugin_runs_each_fixture_on_both_backends(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_generated=PLUGIN_TEST)
    result = pytester.runpytest_subprocess(
        "-v", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"
    )
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*test_client?asyncio? PASSED*", "*test_client?trio? PASSED*"])


def test_plugin_reports_a_failing_assertion_as_a_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_failing=PLUGIN_TEST
        + """
async def test_wrong(anyiohttp_client):
    client = await anyiohttp_client(make_app())
    resp = await client.get("/")
    assert await resp.text() == "not this"
"""
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--timeout=60"
    )
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(["*assert 'hi' == 'not this'*"])


def test_a_plain_with_is_refused_as_aiohttp() -> None:
    server = TestServer(web.Application())
    with pytest.raises(TypeError, match="Use async with instead"):
        with server:
            pass
    with pytest.raises(TypeError, match="Use async with instead"):
        with TestClient(server):
            pass


async def test_test_client_does_not_retry_a_stale_kept_alive_connection() -> None:
    """As aiohttp's TestClient (``_retry_connection = False``): a test sees the
    server close a kept-alive connection, where a ClientSession retries."""
    import anyiohttp

    async def answer_once(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            buffered = BufferedByteReceiveStream(stream)
            with anyio.fail_after(10):
                await buffered.receive_until(b"\r\n\r\n", 65536)
                await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
                try:  # the next request on this connection: closed unanswered
                    await buffered.receive_until(b"\r\n\r\n", 65536)
                except (anyio.IncompleteRead, anyio.BrokenResourceError):
                    pass

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        url = f"http://127.0.0.1:{listener.extra(anyio.abc.SocketAttribute.local_port)}/"
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, answer_once)
            async with anyiohttp.ClientSession() as session:
                for _ in range(2):  # the second goes again on a fresh connection
                    assert await (await session.get(url)).read() == b"first"
            async with TestClient(RawTestServer(hello)) as client:
                assert client.session._retry_connection is False
                assert await (await client.session.get(url)).read() == b"first"
                with pytest.raises(anyiohttp.ServerDisconnectedError):
                    await client.session.get(url)
            tg.cancel_scope.cancel()


@pytest.mark.parametrize(
    ("autoload", "args"),
    [(True, ()), (False, ()), (True, ("-p", "no:anyiohttp"))],
    ids=["entry-points-loaded", "autoload-disabled", "entry-point-blocked"],
)
def test_pytest_plugins_lists_the_plugin_by_aiohttps_module_name(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, autoload: bool, args: Any
) -> None:
    """``pytest_plugins = ["aiohttp.pytest_plugin"]`` ports by its import: the
    same fixtures, whether or not the entry points registered them already."""
    if not autoload:
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest('pytest_plugins = ["anyiohttp.pytest_plugin"]\n')
    pytester.makepyfile(test_generated=PLUGIN_TEST)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*test_client?asyncio? PASSED*", "*test_client?trio? PASSED*"])


def test_without_the_plugin_the_fixtures_are_missing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the test above: with no entry points, nothing else brings them."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest('pytest_plugins = ["anyio.pytest_plugin"]\n')
    pytester.makepyfile(test_generated=PLUGIN_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*fixture 'anyiohttp_client' not found*"])
