"""Responses as clients see them: streaming, framing, cookies, errors, reuse."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime

import anyio
import httpx
import pytest

from anyiohttp import web
from anyiohttp.helpers import ETag

from ..conftest import raw_exchange, run_app, split_responses

pytestmark = pytest.mark.anyio


async def get(app: web.Application, path: str = "/", **kwargs: object) -> httpx.Response:
    async with run_app(app) as url, httpx.AsyncClient() as client:
        return await client.get(str(url) + path.lstrip("/"), **kwargs)  # type: ignore[arg-type]


def app_with(handler: object, path: str = "/") -> web.Application:
    app = web.Application()
    app.router.add_get(path, handler)  # type: ignore[arg-type]
    return app


async def test_stream_response_is_chunked_without_a_length() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_type = "text/plain"
        await resp.prepare(request)
        for i in range(3):
            await resp.write(b"part%d;" % i)
        await resp.write_eof()
        return resp

    async with run_app(app_with(handler)) as url:
        raw = await raw_exchange(url, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"6\r\npart0;\r\n6\r\npart1;\r\n6\r\npart2;\r\n0\r\n\r\n"


async def test_stream_response_headers_go_out_at_prepare() -> None:
    prepared = anyio.Event()
    proceed = anyio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        prepared.set()
        await proceed.wait()
        await resp.write(b"late")
        return resp

    async with run_app(app_with(handler)) as url:
        assert url.host and url.port
        async with await anyio.connect_tcp(url.host, url.port) as stream:
            await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            with anyio.fail_after(3):
                head = await stream.receive()
            assert head.startswith(b"HTTP/1.1 200 OK") and head.endswith(b"\r\n\r\n")
            proceed.set()


async def test_stream_response_with_content_length() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"X-Custom": "yes"})
        resp.content_length = 10
        await resp.prepare(request)
        await resp.write(b"0123456789")
        return resp

    resp = await get(app_with(handler))
    assert resp.content == b"0123456789"
    assert resp.headers["content-length"] == "10"
    assert resp.headers["x-custom"] == "yes"
    assert "transfer-encoding" not in resp.headers


async def test_http10_stream_response_without_length_closes() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"until close")
        return resp

    async with run_app(app_with(handler)) as url:
        raw = await raw_exchange(url, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head
    assert b"Connection: keep-alive" not in head
    assert body == b"until close"


async def test_a_response_reused_for_a_second_request_is_a_500_and_prepare_raises() -> None:
    shared = web.Response(text="once")
    errors: list[BaseException] = []

    async def handler(request: web.Request) -> web.Response:
        return shared

    async def prepare_again(request: web.Request) -> web.Response:
        try:
            await shared.prepare(request)
        except RuntimeError as exc:
            errors.append(exc)
            raise
        raise AssertionError("prepare() should have raised")

    app = app_with(handler)
    app.router.add_get("/again", prepare_again)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        first = await client.get(str(url))
        second = await client.get(str(url))
        third = await client.get(str(url / "again"))
    assert first.status_code == 200 and first.text == "once"
    assert second.status_code == 500
    assert third.status_code == 500
    assert errors and "already prepared for another request" in str(errors[0])


async def test_cookies_set_and_deleted() -> None:
    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text="c")
        resp.set_cookie("session", "abc", httponly=True, max_age=60, samesite="Lax")
        resp.del_cookie("old")
        return resp

    resp = await get(app_with(handler))
    set_cookies = resp.headers.get_list("set-cookie")
    session = next(c for c in set_cookies if c.startswith("session="))
    old = next(c for c in set_cookies if c.startswith("old="))
    assert "HttpOnly" in session and "Max-Age=60" in session and "SameSite=Lax" in session
    assert "Path=/" in session
    assert 'old=""' in old and "Max-Age=0" in old and "expires=Thu, 01 Jan 1970" in old


async def test_partitioned_cookies_set_and_deleted() -> None:
    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text="c")
        resp.set_cookie("id", "42", secure=True, samesite="None", partitioned=True)
        resp.set_cookie("plain", "1", partitioned=False)
        resp.del_cookie("gone", partitioned=True)  # a partitioned cookie's deletion
        return resp

    resp = await get(app_with(handler))
    assert resp.headers.get_list("set-cookie") == [
        "id=42; Partitioned; Path=/; SameSite=None; Secure",
        "plain=1; Path=/",
        'gone=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Partitioned; Path=/',
    ]


def test_set_cookie_updates_as_aiohttp_does() -> None:
    """Setting again keeps the attributes not given; the same Set-Cookie as aiohttp's."""
    import aiohttp.web

    outputs = []
    for lib in (web, aiohttp.web):
        resp = lib.Response()
        resp.set_cookie("id", "a,b", secure=True, max_age=10, samesite="Strict")
        resp.set_cookie("id", "c", httponly=True)  # keeps secure and samesite, drops max-age
        resp.del_cookie("old", path="/x")
        outputs.append(resp.cookies.output())
    assert outputs[0] == outputs[1]
    ours = web.Response()
    ours.set_cookie("id", "c", secure=True, max_age=10, partitioned=True)
    ours.set_cookie("id", "d")  # Partitioned stays, as Secure does
    assert ours.cookies.output() == "Set-Cookie: id=d; Partitioned; Path=/; Secure"


async def test_request_cookies_are_parsed() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(dict(request.cookies))

    resp = await get(app_with(handler), headers={"Cookie": 'a=1; b="two"; c=3'})
    assert resp.json() == {"a": "1", "b": "two", "c": "3"}


async def test_header_injection_is_refused_before_anything_is_sent() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="x", headers={"X-Evil": "a\r\nSet-Cookie: pwned=1"})

    async with run_app(app_with(handler)) as url:
        raw = await raw_exchange(url, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 500")
    assert b"pwned" not in raw


def test_header_injection_is_a_value_error() -> None:
    from anyiohttp.http.writer import serialize_head

    with pytest.raises(ValueError, match="header injection"):
        serialize_head("HTTP/1.1 200 OK", [("X-A", "ok\nX-B: bad")])
    with pytest.raises(ValueError, match="header injection"):
        serialize_head("HTTP/1.1 200 OK", [("X-A\r\n", "v")])
    with pytest.raises(ValueError, match="header injection"):
        serialize_head("HTTP/1.1 200 OK", [("X-A", "nul\x00")])
    assert serialize_head("HTTP/1.1 200 OK", [("A", "b")]) == b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n"


def test_reason_with_newline_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Reason"):
        web.Response(reason="OK\r\nX: y")


async def test_json_response() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"ok": True}, status=201)

    resp = await get(app_with(handler))
    assert resp.status_code == 201
    assert resp.json() == {"ok": True}
    assert resp.headers["content-type"] == "application/json; charset=utf-8"


async def test_no_content_and_not_modified_have_no_body_or_length() -> None:
    async def no_content(request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def not_modified(request: web.Request) -> web.Response:
        raise web.HTTPNotModified()

    app = app_with(no_content)
    app.router.add_get("/nm", not_modified)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url,
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /nm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    first, _, second = raw.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 204 No Content")
    assert b"Content-Length" not in first and b"Transfer-Encoding" not in first
    assert second.startswith(b"HTTP/1.1 304 Not Modified")
    assert second.endswith(b"\r\n\r\n")


async def test_raise_or_return_http_exceptions_and_redirects() -> None:
    async def raise_it(request: web.Request) -> web.Response:
        raise web.HTTPFound("/target")

    async def return_it(request: web.Request) -> web.Response:
        return web.HTTPConflict(text="busy")

    app = app_with(raise_it, "/raise")
    app.router.add_get("/return", return_it)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        found = await client.get(str(url / "raise"))
        conflict = await client.get(str(url / "return"))
    assert found.status_code == 302
    assert found.headers["location"] == "/target"
    assert found.text == "302: Found"
    assert conflict.status_code == 409 and conflict.text == "busy"


async def test_last_modified_and_etag_round_trip() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)

    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text="x")
        resp.last_modified = when
        resp.etag = ETag(value="v1", is_weak=True)
        assert resp.last_modified == when
        assert resp.etag == ETag(value="v1", is_weak=True)
        return resp

    resp = await get(app_with(handler))
    assert resp.headers["last-modified"] == "Mon, 06 May 2024 07:08:09 GMT"
    assert resp.headers["etag"] == 'W/"v1"'


@pytest.mark.parametrize(
    ("accept", "coding"),
    [("gzip", "gzip"), ("deflate", "deflate"), ("gzip, deflate, br", "deflate")],
)
async def test_enable_compression_follows_accept_encoding(accept: str, coding: str) -> None:
    """As aiohttp: deflate, then gzip, whichever the client names; a whole body is
    compressed up front and sent with its length; a streamed one is chunked."""
    body = b"compress me " * 1000

    async def whole(request: web.Request) -> web.Response:
        resp = web.Response(body=body)
        resp.enable_compression()
        return resp

    async def streamed(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_compression()
        await resp.prepare(request)
        for i in range(0, len(body), 1000):
            await resp.write(body[i : i + 1000])
        return resp

    app = app_with(whole)
    app.router.add_get("/streamed", streamed)
    request = b"GET %s HTTP/1.1\r\nHost: x\r\nAccept-Encoding: %s\r\nConnection: close\r\n\r\n"
    async with run_app(app) as url:
        raw = await raw_exchange(url, request % (b"/", accept.encode()))
        raw_streamed = await raw_exchange(url, request % (b"/streamed", accept.encode()))

    def decode(data: bytes) -> bytes:
        return gzip.decompress(data) if coding == "gzip" else zlib.decompress(data)

    head, _, data = raw.partition(b"\r\n\r\n")
    assert b"Content-Encoding: " + coding.encode() in head
    assert b"Content-Length: %d" % len(data) in head and b"chunked" not in head
    assert decode(data) == body and len(data) < len(body) // 10

    head, _, chunked = raw_streamed.partition(b"\r\n\r\n")
    assert b"Content-Encoding: " + coding.encode() in head
    assert b"Transfer-Encoding: chunked" in head
    data = b""
    while chunked:
        size_line, _, rest = chunked.partition(b"\r\n")
        size = int(size_line, 16)
        data += rest[:size]
        chunked = rest[size + 2 :]
        if size == 0:
            break
    assert decode(data) == body


async def test_on_response_prepare_can_add_headers() -> None:
    async def add_header(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Prepared"] = request.path

    app = app_with(lambda_handler)
    app.on_response_prepare.append(add_header)
    resp = await get(app)
    assert resp.headers["x-prepared"] == "/"


async def lambda_handler(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def test_response_for_a_dropped_connection_does_not_hurt_the_server() -> None:
    wrote = anyio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        with pytest.raises(ConnectionResetError):
            for _ in range(10_000):
                await resp.write(b"x" * 65536)
        wrote.set()
        return resp

    app = app_with(handler)
    app.router.add_get("/ok", lambda_handler)
    async with run_app(app) as url:
        assert url.host and url.port
        stream = await anyio.connect_tcp(url.host, url.port)
        await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await stream.receive()
        await stream.aclose()
        with anyio.fail_after(10):
            await wrote.wait()
        raw = await raw_exchange(url, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert split_responses(raw)[0][1] == b"ok"


async def test_response_body_from_a_file_and_an_async_iterable(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "data.txt"
    path.write_bytes(b"file contents " * 10_000)

    async def from_file(request: web.Request) -> web.Response:
        return web.Response(body=path.open("rb"))

    async def from_iterable(request: web.Request) -> web.Response:
        async def chunks():  # type: ignore[no-untyped-def]
            for i in range(5):
                yield b"part%d " % i

        return web.Response(body=chunks(), content_type="text/plain")

    app = app_with(from_file, "/file")
    app.router.add_get("/iter", from_iterable)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        file_resp = await client.get(str(url / "file"))
        iter_resp = await client.get(str(url / "iter"))
    assert file_resp.content == path.read_bytes()
    assert file_resp.headers["content-length"] == str(path.stat().st_size)
    assert file_resp.headers["content-type"] == "text/plain"
    assert iter_resp.text == "part0 part1 part2 part3 part4 "
    assert iter_resp.headers["transfer-encoding"] == "chunked"


async def test_aiohttp_compatible_response_details(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    """Each as aiohttp 3.14 answers (found by comparing the two servers)."""

    async def cookies(request: web.Request) -> web.Response:
        return web.json_response(dict(request.cookies))

    async def null(request: web.Request) -> web.Response:
        return web.json_response(None)

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/ünï cöde?x=é")

    async def strip_server(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.pop("Server", None)

    app = web.Application()
    app.router.add_get("/cookies", cookies)
    app.router.add_get("/null", null)
    app.router.add_get("/moved", moved)
    app.on_response_prepare.append(strip_server)
    client = await anyiohttp_client(app)

    # One malformed pair does not cost the others.
    resp = await client.get("/cookies", headers={"Cookie": 'a=1; bad cookie=2; e={"j":1}; q="x y"'})
    assert await resp.json() == {"a": "1", "bad": "", "cookie": "2", "e": '{"j":1}', "q": "x y"}
    assert "Server" not in resp.headers  # the signal sees Server (and Date) and may drop them

    resp = await client.get("/null")
    assert await resp.read() == b"null"
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"

    resp = await client.get("/moved", allow_redirects=False)
    assert resp.headers["Location"] == "/%C3%BCn%C3%AF%20c%C3%B6de?x=%C3%A9"


async def test_an_absolute_form_target_names_the_host() -> None:
    """RFC 9112 3.2.2: the target's host wins over the Host header (as aiohttp)."""

    async def where(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.host} {request.url} {request.path}")

    app = web.Application()
    app.router.add_get("/where", where)
    async with run_app(app) as url:
        reply = await raw_exchange(
            url,
            b"GET http://abs.example:81/where?x=1 HTTP/1.1\r\nHost: other\r\n"
            b"Connection: close\r\n\r\n",
        )
    assert reply.startswith(b"HTTP/1.1 200")
    assert reply.endswith(b"abs.example:81 http://abs.example:81/where?x=1 /where")
