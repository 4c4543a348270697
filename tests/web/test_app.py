"""Application: typed keys, state, middlewares and their order."""

from __future__ import annotations

import warnings

import httpx
import pytest

from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


def test_app_keys_are_typed_and_string_keys_warn() -> None:
    app = web.Application()
    db_key = web.AppKey("db_key", str)
    app[db_key] = "sqlite"
    assert app[db_key] == "sqlite"
    assert repr(db_key) == f"<AppKey({__name__}.db_key, type=str)>"
    with pytest.warns(web.NotAppKeyWarning):
        app["plain"] = 1
    assert app["plain"] == 1
    assert len(app) == 2 and set(app) == {db_key, "plain"}


def test_request_and_response_keys() -> None:
    key = web.ResponseKey("k", int)
    resp = web.Response()
    resp[key] = 3
    assert resp[key] == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resp["plain"] = 1  # no warning for responses, as in aiohttp


async def test_middlewares_run_outermost_first_and_see_404_and_405() -> None:
    calls: list[str] = []

    @web.middleware
    async def outer(request: web.Request, handler: web.app.Handler) -> web.StreamResponse:
        calls.append("outer in")
        try:
            resp = await handler(request)
        except web.HTTPException as exc:
            calls.append(f"outer saw {exc.status}")
            raise
        calls.append("outer out")
        resp.headers["X-Outer"] = "1"
        return resp

    @web.middleware
    async def inner(request: web.Request, handler: web.app.Handler) -> web.StreamResponse:
        calls.append("inner in")
        resp = await handler(request)
        calls.append("inner out")
        return resp

    async def hello(request: web.Request) -> web.Response:
        calls.append("handler")
        return web.Response(text="hi")

    app = web.Application(middlewares=[outer, inner])
    app.router.add_get("/", hello)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        ok = await client.get(str(url))
        calls.append("--")
        missing = await client.get(str(url / "missing"))
        calls.append("--")
        wrong = await client.post(str(url))
    assert ok.headers["x-outer"] == "1"
    assert missing.status_code == 404 and wrong.status_code == 405
    assert calls == [
        "outer in", "inner in", "handler", "inner out", "outer out", "--",
        "outer in", "inner in", "outer saw 404", "--",
        "outer in", "inner in", "outer saw 405",
    ]  # fmt: skip


async def test_middleware_can_turn_exceptions_into_responses() -> None:
    @web.middleware
    async def errors(request: web.Request, handler: web.app.Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return web.json_response({"error": "not found"}, status=404)

    app = web.Application(middlewares=[errors])
    async with run_app(app) as url, httpx.AsyncClient() as client:
        resp = await client.get(str(url / "nope"))
    assert resp.status_code == 404 and resp.json() == {"error": "not found"}


async def test_normalize_path_middleware_redirects_to_a_matching_path() -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=request.path)

    app = web.Application(middlewares=[web.normalize_path_middleware()])
    app.router.add_get("/docs/", page)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        slash = await client.get(str(url) + "/docs?x=1")
        merged = await client.get(str(url) + "/docs//")
        plain = await client.get(str(url) + "/docs/")
        missing = await client.get(str(url) + "/nothing")
    assert slash.status_code == 308 and slash.headers["location"] == "/docs/?x=1"
    assert merged.status_code == 308 and merged.headers["location"] == "/docs/"
    assert plain.status_code == 200
    assert missing.status_code == 404


async def test_request_properties() -> None:
    async def inspect(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "method": request.method,
                "path": request.path,
                "raw_path": request.raw_path,
                "query": dict(request.query),
                "query_string": request.query_string,
                "url": str(request.url),
                "rel_url": str(request.rel_url),
                "host": request.host,
                "scheme": request.scheme,
                "secure": request.secure,
                "remote": request.remote,
                "version": list(request.version),
                "keep_alive": request.keep_alive,
                "content_type": request.content_type,
                "charset": request.charset,
                "content_length": request.content_length,
                "match_info": dict(request.match_info),
                "body_exists": request.body_exists,
                "can_read_body": request.can_read_body,
                "app_is_app": request.app is app,
                "peername_ok": request.transport.get_extra_info("peername")[0] == "127.0.0.1",
            }
        )

    app = web.Application()
    app.router.add_post("/things/{id}", inspect)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        resp = await client.post(
            str(url) + "/things/%C3%A9t%C3%A9?a=1&b=%20x",
            content=b"{}",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
    data = resp.json()
    port = url.port
    assert data == {
        "method": "POST",
        "path": "/things/été",
        "raw_path": "/things/%C3%A9t%C3%A9?a=1&b=%20x",
        "query": {"a": "1", "b": " x"},
        "query_string": "a=1&b= x",
        "url": f"http://127.0.0.1:{port}/things/%C3%A9t%C3%A9?a=1&b=%20x",
        "rel_url": "/things/%C3%A9t%C3%A9?a=1&b=%20x",
        "host": f"127.0.0.1:{port}",
        "scheme": "http",
        "secure": False,
        "remote": "127.0.0.1",
        "version": [1, 1],
        "keep_alive": True,
        "content_type": "application/json",
        "charset": "utf-8",
        "content_length": 2,
        "match_info": {"id": "été"},
        "body_exists": True,
        "can_read_body": True,
        "app_is_app": True,
        "peername_ok": True,
    }


async def test_request_clone_and_dict_interface() -> None:
    key = web.RequestKey("user", str)

    @web.middleware
    async def auth(request: web.Request, handler: web.app.Handler) -> web.StreamResponse:
        request[key] = "alice"
        return await handler(request)

    async def show(request: web.Request) -> web.Response:
        clone = request.clone(scheme="https", host="example.com", remote="10.0.0.1")
        return web.json_response(
            {
                "user": request[key],
                "clone_user": clone[key],
                "clone_url": str(clone.url),
                "clone_remote": clone.remote,
                "clone_secure": clone.secure,
            }
        )

    app = web.Application(middlewares=[auth])
    app.router.add_get("/me", show)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        data = (await client.get(str(url / "me"))).json()
    assert data == {
        "user": "alice",
        "clone_user": "alice",
        "clone_url": "https://example.com/me",
        "clone_remote": "10.0.0.1",
        "clone_secure": True,
    }


async def test_forwarded_middleware_trusts_only_configured_proxies(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    async def who(request: web.Request) -> web.Response:
        return web.json_response(
            {"remote": request.remote, "scheme": request.scheme, "host": request.host}
        )

    def app(trusted: tuple[str, ...]) -> web.Application:
        application = web.Application(middlewares=[web.forwarded_middleware(trusted)])
        application.router.add_get("/", who)
        return application

    trusting = await anyiohttp_client(app(("127.0.0.0/8", "10.0.0.0/8")))
    resp = await trusting.get(
        "/", headers={
            "X-Forwarded-For": "203.0.113.9, 10.1.2.3",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.com",
        },
    )  # fmt: skip
    assert await resp.json() == {"remote": "203.0.113.9", "scheme": "https", "host": "example.com"}
    spoofed = await trusting.get(
        "/", headers={"X-Forwarded-For": "1.1.1.1, 203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    # 203.0.113.9 is not a trusted proxy: what it claims about 1.1.1.1 is ignored
    assert (await spoofed.json())["remote"] == "203.0.113.9"
    assert (await spoofed.json())["scheme"] == "http"
    rfc = await trusting.get(
        "/", headers={"Forwarded": 'for="[2001:db8::17]:4711";proto=https;host=shop.example'}
    )
    assert await rfc.json() == {"remote": "2001:db8::17", "scheme": "https", "host": "shop.example"}
    distrusting = await anyiohttp_client(app(("10.0.0.0/8",)))
    ignored = await distrusting.get("/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert (await ignored.json())["remote"] == "127.0.0.1"


def test_request_forwarded_property() -> None:
    from anyiohttp.testing import make_mocked_request

    request = make_mocked_request(
        "GET", "/", headers={"Forwarded": "for=192.0.2.60;proto=http, for=10.0.0.1"}
    )
    assert [dict(e) for e in request.forwarded] == [
        {"for": "192.0.2.60", "proto": "http"},
        {"for": "10.0.0.1"},
    ]


def test_conditional_and_range_request_headers() -> None:
    from anyiohttp.helpers import ETag
    from anyiohttp.testing import make_mocked_request

    request = make_mocked_request(
        "GET",
        "/",
        headers={"If-Match": '"a", W/"b"', "If-None-Match": "*", "Range": "bytes=10-19"},
    )
    assert request.if_match == (ETag("a"), ETag("b", is_weak=True))
    assert request.if_none_match == (ETag("*"),)
    assert request.http_range == slice(10, 20, 1)
    assert make_mocked_request("GET", "/", headers={"Range": "bytes=-5"}).http_range == slice(
        -5, None, 1
    )
    assert make_mocked_request("GET", "/").http_range == slice(None, None, 1)
    assert make_mocked_request("GET", "/").if_match is None
    with pytest.raises(ValueError, match="acceptable"):
        make_mocked_request("GET", "/", headers={"Range": "items=1-2"}).http_range  # noqa: B018


def test_a_request_no_server_handles_has_no_cancel_scope() -> None:
    from anyiohttp.testing import make_mocked_request

    with pytest.raises(RuntimeError, match="no cancel scope"):
        _ = make_mocked_request("GET", "/").cancel_scope
