"""make_mocked_request and make_mocked_coro, checked against aiohttp's own;
aiohttp's event-loop helpers say what to do instead."""

from __future__ import annotations

import ssl
from typing import Any

import anyio
import pytest

from anyiohttp import web
from anyiohttp.http import HttpVersion10
from anyiohttp.testing import (
    loop_context,
    make_mocked_coro,
    make_mocked_request,
    setup_test_loop,
    teardown_test_loop,
)

aiohttp_test_utils = pytest.importorskip("aiohttp.test_utils")

CTX = ssl.create_default_context()

#: (method, target, headers, sslcontext): requests whose URL does not
#: depend on how a request without Host is answered.
WITH_A_HOST = [
    ("GET", "/x?a=1", {"Host": "h:81"}, None),
    ("GET", "/x", {"Host": "h"}, CTX),
    ("POST", "https://example.com/p?q=1", None, None),
    ("GET", "http://example.com:8443/p", {"Host": "ignored"}, None),
    ("GET", "http://example.com/p", None, CTX),
]


def both(method: str, target: str, headers: Any, sslcontext: Any) -> tuple[Any, Any]:
    ours = make_mocked_request(method, target, headers, sslcontext=sslcontext)
    theirs = aiohttp_test_utils.make_mocked_request(method, target, headers, sslcontext=sslcontext)
    return ours, theirs


@pytest.mark.parametrize(("method", "target", "headers", "sslcontext"), WITH_A_HOST)
def test_url_scheme_and_host_as_aiohttp(
    method: str, target: str, headers: Any, sslcontext: Any
) -> None:
    ours, theirs = both(method, target, headers, sslcontext)
    assert ours.url == theirs.url
    assert (ours.scheme, ours.secure) == (theirs.scheme, theirs.secure)
    assert dict(ours.headers) == dict(theirs.headers)
    assert ours.rel_url == theirs.rel_url and ours.path_qs == theirs.path_qs
    for clone_args in ({}, {"scheme": "https"}, {"scheme": "http"}, {"host": "other"}):
        assert ours.clone(**clone_args).url == theirs.clone(**clone_args).url, clone_args


@pytest.mark.parametrize(
    "target", ["http://example.com:8443/p", "http://example.com:80/p", "http://[::1]:8443/p?q=1"]
)
def test_clone_host_of_an_absolute_target_keeps_its_port_as_aiohttp(target: str) -> None:
    ours, theirs = both("GET", target, None, None)
    assert ours.clone(host="other").url == theirs.clone(host="other").url
    assert str(ours.clone(host="other").url) == str(theirs.clone(host="other").url)
    # A host that names its own port is taken as given (aiohttp's yarl refuses it).
    assert str(ours.clone(host="other:9").url) == "http://other:9" + ours.path_qs
    # An origin-form target has no port to keep: the host is the new Host.
    origin = make_mocked_request("GET", "/p", {"Host": "h:81"})
    assert str(origin.clone(host="other").url) == "http://other/p"


def test_an_absolute_target_takes_its_scheme_from_the_connection() -> None:
    """As aiohttp 3.14: the target's scheme is the peer's claim; TLS decides."""
    plain = make_mocked_request("GET", "https://example.com/p")
    assert str(plain.url) == "http://example.com/p" and not plain.secure
    assert str(plain.clone().url) == "http://example.com/p"
    assert str(plain.clone(scheme="https").url) == "https://example.com/p"
    over_tls = make_mocked_request("GET", "http://example.com/p", sslcontext=CTX)
    assert str(over_tls.url) == "https://example.com/p" and over_tls.secure


@pytest.mark.parametrize("version", [HttpVersion10, web.HttpVersion11])
def test_no_host_header_is_made_up(version: Any) -> None:
    request = make_mocked_request("GET", "/x", version=version)
    assert "Host" not in request.headers
    assert request.host != "test"
    # aiohttp's mocked connection: its local address is what request.host falls back to
    assert request.transport.get_extra_info("sockname") == ("127.0.0.1", 80)


@pytest.mark.parametrize("version", [HttpVersion10, web.HttpVersion11])
def test_without_host_the_host_is_the_local_address_as_aiohttp(version: Any) -> None:
    ours = make_mocked_request("GET", "/x", version=version)
    theirs = aiohttp_test_utils.make_mocked_request("GET", "/x", version=version)
    assert ours.host == theirs.host == "127.0.0.1"
    assert ours.url == theirs.url


def test_a_transport_gives_the_addresses() -> None:
    class Transport:
        def get_extra_info(self, name: str, default: Any = None) -> Any:
            return {"peername": ("10.0.0.7", 5555), "sockname": ("10.0.0.1", 8080)}.get(name)

    request = make_mocked_request("GET", "/", transport=Transport())
    assert request.remote == "10.0.0.7"
    assert request.transport.get_extra_info("sockname") == ("10.0.0.1", 8080)
    assert make_mocked_request("GET", "/", remote="192.0.2.1").remote == "192.0.2.1"


def test_loop_argument_is_refused_with_what_to_do() -> None:
    with pytest.raises(TypeError, match="anyio"):
        make_mocked_request("GET", "/", loop=object())
    with pytest.raises(TypeError, match="protocol"):
        make_mocked_request("GET", "/", protocol=object())


@pytest.mark.anyio
async def test_a_mocked_request_without_host_is_answered() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.method} {request.path}")

    request = make_mocked_request("GET", "/p")
    resp = await handler(request)
    await resp.prepare(request)
    await resp.write_eof()
    written = bytes(request.writer_output.sent)  # type: ignore[attr-defined]
    assert written.startswith(b"HTTP/1.1 200 OK\r\n") and written.endswith(b"\r\n\r\nGET /p")


@pytest.mark.anyio
async def test_make_mocked_coro_returns_raises_and_records() -> None:
    coro = make_mocked_coro(42)
    assert await coro(1, key="v") == 42
    coro.assert_called_once_with(1, key="v")
    assert await make_mocked_coro()() is None

    failing = make_mocked_coro(raise_exception=ValueError("no"))
    with pytest.raises(ValueError, match="no"):
        await failing()
    assert failing.call_count == 1

    done = anyio.Event()

    async def sets_done() -> str:
        done.set()
        return "ignored"

    awaited = make_mocked_coro(sets_done())
    assert await awaited() is None  # the awaitable is awaited, None returned (as aiohttp)
    assert done.is_set()


def test_make_mocked_coro_as_aiohttp() -> None:
    ours, theirs = make_mocked_coro(7), aiohttp_test_utils.make_mocked_coro(7)
    assert anyio.run(ours) == anyio.run(theirs) == 7


@pytest.mark.parametrize("helper", [loop_context, setup_test_loop, teardown_test_loop])
def test_loop_helpers_say_what_to_do(helper: Any) -> None:
    with pytest.raises(RuntimeError, match=r"pytest\.mark\.anyio.*anyio\.run"):
        helper()


@pytest.mark.anyio
async def test_clone_host_keeps_the_port_of_a_real_absolute_form_request() -> None:
    from ..conftest import raw_exchange, run_app, split_responses

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=str(request.clone(host="other").url))

    app = web.Application()
    app.router.add_get("/p", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url,
            b"GET http://example.com:8443/p?q=1 HTTP/1.1\r\nHost: ignored\r\n"
            b"Connection: close\r\n\r\n",
        )
    [(head, body)] = split_responses(raw)
    assert head.startswith(b"HTTP/1.1 200") and body == b"http://other:8443/p?q=1"
