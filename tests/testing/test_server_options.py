"""The test servers take aiohttp's arguments: ssl, scheme, host, port,
skip_url_asserts, socket_factory, and the runner's options (as aiohttp's,
handlers are cancelled when their client goes away; a raw server is in
debug mode)."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import anyio
import pytest
import trustme
from yarl import URL

import anyiohttp
from anyiohttp import web
from anyiohttp.testing import (
    RawTestServer,
    TestClient,
    TestServer,
    get_port_socket,
    get_unused_port_socket,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context) for 127.0.0.1 and localhost."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    return server_ctx, client_ctx


async def where(request: web.BaseRequest) -> web.Response:
    """Echo how the request arrived."""
    return web.json_response(
        {"secure": request.secure, "scheme": request.scheme, "raw_path": request.raw_path}
    )


def where_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", where)
    return app


async def test_ssl_serves_https_and_makes_https_urls(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_ctx, client_ctx = tls
    async with TestClient(TestServer(where_app(), ssl=server_ctx)) as client:
        assert client.server.scheme == "https" and client.scheme == "https"
        assert client.make_url("/x").scheme == "https"
        assert client.server.ssl is server_ctx
        resp = await client.get("/x", ssl=client_ctx)
        assert await resp.json() == {"secure": True, "scheme": "https", "raw_path": "/x"}


async def test_ssl_context_is_the_same_argument(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_ctx, client_ctx = tls
    async with TestClient(TestServer(where_app(), ssl_context=server_ctx)) as client:
        assert client.make_url("/").scheme == "https"
        assert (await (await client.get("/", ssl=client_ctx)).json())["secure"] is True
    with pytest.raises(TypeError, match="once"):
        TestServer(where_app(), ssl=server_ctx, ssl_context=ssl.create_default_context())


async def test_the_fixtures_take_ssl(
    anyiohttp_server: Any,
    anyiohttp_raw_server: Any,
    anyiohttp_client: Any,
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_ctx, client_ctx = tls
    server = await anyiohttp_server(where_app(), ssl=server_ctx)
    assert server.make_url("/a").scheme == "https"
    client = await anyiohttp_client(server)
    assert (await (await client.get("/a", ssl=client_ctx)).json())["secure"] is True

    raw = await anyiohttp_raw_server(where, ssl=server_ctx)
    raw_client = await anyiohttp_client(raw)
    assert (await (await raw_client.get("/b", ssl=client_ctx)).json())["scheme"] == "https"

    by_kwargs = await anyiohttp_client(where_app(), server_kwargs={"ssl": server_ctx})
    assert (await (await by_kwargs.get("/c", ssl=client_ctx)).json())["secure"] is True


async def test_plain_http_without_ssl_and_an_explicit_scheme_is_kept() -> None:
    async with TestServer(where_app()) as server:
        assert server.scheme == "http" and server.ssl is None
    # aiohttp's scheme= only names the URLs' scheme (the server is still plain HTTP)
    async with TestServer(where_app(), scheme="http") as server:
        assert server.make_url("/").scheme == "http"


async def test_make_url_joins_paths_and_refuses_absolute_urls() -> None:
    async with TestServer(where_app()) as server:
        root = f"http://127.0.0.1:{server.port}"
        assert server.make_url("/x") == URL(root + "/x")
        assert server.make_url("x") == URL(root + "/x")
        assert server.make_url("/x?a=1") == URL(root + "/x?a=1")
        assert server.make_url("?q=1") == URL(root + "/?q=1")
        assert server.make_url("") == URL(root)
        assert server.make_url(URL("/a%2Fb", encoded=True)).raw_path == "/a%2Fb"
        for absolute in ("http://example.com/p", "//evil/p"):
            with pytest.raises(ValueError, match="skip_url_asserts"):
                server.make_url(absolute)
            with pytest.raises(AssertionError):  # what aiohttp raises
                server.make_url(absolute)


async def test_skip_url_asserts_appends_the_path_as_it_is() -> None:
    async with TestClient(TestServer(where_app(), skip_url_asserts=True)) as client:
        assert client.server.skip_url_asserts is True
        url = client.make_url("//double//slashes")
        assert url == URL(f"http://127.0.0.1:{client.port}//double//slashes")
        resp = await client.get("//double//slashes")
        assert (await resp.json())["raw_path"] == "//double//slashes"
        assert str(client.make_url("/p?q=1")).endswith("/p?q=1")


async def test_socket_factory_gives_the_socket_served_on() -> None:
    calls: list[tuple[str, int, socket.AddressFamily]] = []

    def factory(host: str, port: int, family: socket.AddressFamily) -> socket.socket:
        calls.append((host, port, family))
        return get_port_socket(host, port, family)

    async with TestClient(TestServer(where_app(), socket_factory=factory)) as client:
        assert calls == [("127.0.0.1", 0, socket.AF_INET)]
        assert client.port and client.port > 0
        assert (await client.get("/")).status == 200


async def test_a_given_port_is_used(anyiohttp_unused_port: Any) -> None:
    port = anyiohttp_unused_port()
    async with TestClient(TestServer(where_app(), port=port)) as client:
        assert client.port == port and client.make_url("/").port == port
        assert (await client.get("/")).status == 200


def test_get_unused_port_socket_is_bound_and_not_listening() -> None:
    with get_unused_port_socket("127.0.0.1") as sock:
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection((host, port), timeout=5),
        ):
            pass  # nothing listens yet


async def test_host_localhost_resolves_to_the_bound_address() -> None:
    async with TestClient(TestServer(where_app(), host="localhost")) as client:
        assert client.host == "127.0.0.1"  # the socket's address, as aiohttp
        assert client.make_url("/x").host == "localhost"  # the URL keeps the name
        assert (await client.get("/x")).status == 200


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback")
async def test_an_ipv6_host_is_bracketed_in_urls() -> None:
    async with TestClient(TestServer(where_app(), host="::1")) as client:
        assert client.host == "::1"
        assert str(client.make_url("/x")) == f"http://[::1]:{client.port}/x"
        assert (await client.get("/x")).status == 200


async def test_loop_argument_is_refused_with_what_to_do() -> None:
    with pytest.raises(TypeError, match="anyio"):
        TestServer(where_app(), loop=object())
    with pytest.raises(TypeError, match="loop="):
        RawTestServer(where, loop=object())
    async with TestServer(where_app()) as server:
        with pytest.raises(TypeError, match=r"anyio\.run"):
            TestClient(server, loop=object())


async def test_a_raw_server_answers_a_failing_handler_with_the_traceback() -> None:
    async def fails(request: web.BaseRequest) -> web.Response:
        raise ValueError("the detail to see")

    async with TestClient(RawTestServer(fails)) as client:
        resp = await client.get("/")
        assert resp.status == 500
        text = await resp.text()
        assert "Traceback" in text and "ValueError: the detail to see" in text
    async with TestClient(RawTestServer(fails, debug=False)) as client:
        resp = await client.get("/")
        assert resp.status == 500 and "the detail to see" not in await resp.text()


def cancellation_app(
    started: anyio.Event, proceed: anyio.Event, outcome: list[str], ended: anyio.Event
) -> web.Application:
    async def waits(request: web.Request) -> web.Response:
        try:
            started.set()
            await proceed.wait()
            outcome.append("finished")
            return web.Response(text="done")
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        finally:
            ended.set()

    app = web.Application()
    app.router.add_get("/", waits)
    return app


async def request_then_walk_away(client: TestClient[Any, Any], started: anyio.Event) -> None:
    with anyio.fail_after(10):  # a guard against a hang, not a timing check
        async with anyio.create_task_group() as tg:

            async def request() -> None:
                with pytest.raises(anyiohttp.ClientError):
                    await client.get("/")

            tg.start_soon(request)
            await started.wait()
            tg.cancel_scope.cancel()  # the client closes the connection


async def test_a_handler_is_cancelled_when_its_client_goes_away() -> None:
    started, proceed, ended = anyio.Event(), anyio.Event(), anyio.Event()
    outcome: list[str] = []
    app = cancellation_app(started, proceed, outcome, ended)
    async with TestClient(TestServer(app)) as client:
        await request_then_walk_away(client, started)
        with anyio.fail_after(10):
            await ended.wait()
    assert outcome == ["cancelled"]


async def test_handler_cancellation_false_lets_the_handler_finish() -> None:
    started, proceed, ended = anyio.Event(), anyio.Event(), anyio.Event()
    outcome: list[str] = []
    app = cancellation_app(started, proceed, outcome, ended)
    async with TestClient(TestServer(app, handler_cancellation=False)) as client:
        await request_then_walk_away(client, started)
        proceed.set()
        with anyio.fail_after(10):
            await ended.wait()
    assert outcome == ["finished"]
