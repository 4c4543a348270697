"""ClientSession against our own server: verbs, bodies, redirects, cookies, auth, errors."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": dict(request.headers),
            "body": body.decode("latin-1"),
            "cookies": dict(request.cookies),
        }
    )


def echo_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def test_session_outside_async_with_is_a_clear_error() -> None:
    session = anyiohttp.ClientSession()  # building one anywhere is harmless
    with pytest.raises(RuntimeError, match=r"async with anyiohttp\.ClientSession"):
        await session.get("http://127.0.0.1:1/")
    async with session:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        await session.get("http://127.0.0.1:1/")


def test_session_can_be_built_outside_any_event_loop() -> None:
    session = anyiohttp.ClientSession(timeout=anyiohttp.ClientTimeout(total=3))
    assert not session.closed


async def test_verbs_params_and_headers() -> None:
    async with (
        run_app(echo_app()) as url,
        anyiohttp.ClientSession(headers={"X-Session": "s"}) as session,
    ):
        async with session.get(
            url / "a", params={"q": "1", "r": "x y"}, headers={"X-Req": "r"}
        ) as resp:
            assert resp.status == 200 and resp.ok
            data = await resp.json()
        assert data["method"] == "GET" and data["path"] == "/a"
        assert data["query"] == {"q": "1", "r": "x y"}
        assert data["headers"]["X-Session"] == "s" and data["headers"]["X-Req"] == "r"
        assert data["headers"]["Host"] == f"127.0.0.1:{url.port}"
        assert data["headers"]["Accept"] == "*/*"
        assert "anyiohttp" in data["headers"]["User-Agent"]
        for verb in ("post", "put", "patch", "delete", "options"):
            resp = await getattr(session, verb)(url / "v")
            assert (await resp.json())["method"] == verb.upper()
        head = await session.head(url / "h")
        assert head.status == 200 and await head.read() == b""


async def test_bodies_bytes_text_json_form_file_and_stream() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(3):
            yield b"part%d" % i

    async with run_app(echo_app()) as url, anyiohttp.ClientSession() as session:
        raw = await (await session.post(url, data=b"\x00\x01")).json()
        text = await (await session.post(url, data="héllo")).json()
        js = await (await session.post(url, json={"k": [1, 2]})).json()
        form = await (await session.post(url, data={"a": "1", "b": "two words"})).json()
        fileobj = await (await session.post(url, data=io.BytesIO(b"from a file"))).json()
        stream = await (await session.post(url, data=chunks())).json()
    assert raw["body"] == "\x00\x01" and raw["headers"]["Content-Length"] == "2"
    assert text["body"] == "héllo".encode().decode("latin-1")
    assert text["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    assert js["body"] == '{"k": [1, 2]}' and js["headers"]["Content-Type"] == "application/json"
    assert form["body"] == "a=1&b=two+words"
    assert form["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert fileobj["body"] == "from a file"
    assert stream["body"] == "part0part1part2"
    assert stream["headers"]["Transfer-Encoding"] == "chunked"


async def test_formdata_multipart_upload() -> None:
    async def upload(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response({"ctype": request.content_type, "body": body.decode()})

    app = web.Application()
    app.router.add_post("/", upload)
    form = anyiohttp.FormData()
    form.add_field("field", "value")
    form.add_field("file", io.BytesIO(b"file content"), filename="a.txt", content_type="text/plain")
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        data = await (await session.post(url, data=form)).json()
    assert data["ctype"] == "multipart/form-data"
    # As aiohttp: a text field is text/plain with its charset.
    assert (
        'Content-Disposition: form-data; name="field"\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n\r\nvalue\r\n"
    ) in data["body"]
    assert 'name="file"; filename="a.txt"' in data["body"]
    assert "Content-Type: text/plain\r\n\r\nfile content\r\n" in data["body"]


async def test_response_api_and_content_stream() -> None:
    async def lines(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/plain; charset=latin-1"})
        await resp.prepare(request)
        for i in range(5):
            await resp.write(b"line %d\n" % i)
        return resp

    app = web.Application()
    app.router.add_get("/lines", lines)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url / "lines") as resp:
            assert resp.content_type == "text/plain" and resp.charset == "latin-1"
            assert resp.get_encoding() == "iso8859-1"  # the codec's name, as aiohttp
            assert await resp.content.readline() == b"line 0\n"
            rest = [line async for line in resp.content]
            assert rest == [b"line %d\n" % i for i in range(1, 5)]
        async with session.get(url / "lines") as resp:
            sizes = [len(c) async for c in resp.content.iter_chunked(10)]
            assert sum(sizes) == 35 and max(sizes) <= 10
        async with session.get(url / "lines") as resp:
            assert (await resp.text()).startswith("line 0")
            assert resp.url == url / "lines"
            assert resp.request_info.method == "GET"


async def test_raise_for_status_per_session_and_per_request() -> None:
    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/", missing)
    async with run_app(app) as url:
        async with anyiohttp.ClientSession(raise_for_status=True) as session:
            with pytest.raises(anyiohttp.ClientResponseError) as info:
                await session.get(url)
            assert info.value.status == 404 and info.value.message == "Not Found"
        async with anyiohttp.ClientSession() as session:
            resp = await session.get(url)
            assert resp.status == 404
            with pytest.raises(anyiohttp.ClientResponseError):
                resp.raise_for_status()
            with pytest.raises(anyiohttp.ClientResponseError):
                await session.get(url, raise_for_status=True)
            called: list[int] = []

            async def check(resp: anyiohttp.ClientResponse) -> None:
                called.append(resp.status)

            await session.get(url, raise_for_status=check)
            assert called == [404]


async def test_base_url() -> None:
    async with run_app(echo_app()) as url, anyiohttp.ClientSession(base_url=url / "api/") as s:
        data = await (await s.get("items")).json()
    assert data["path"] == "/api/items"


async def test_json_content_type_check() -> None:
    async def plain(request: web.Request) -> web.Response:
        return web.Response(text='{"a": 1}')

    app = web.Application()
    app.router.add_get("/", plain)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        resp = await session.get(url)
        with pytest.raises(anyiohttp.ContentTypeError) as info:
            await resp.json()
        # aiohttp's message: the whole header, lower-cased.
        assert info.value.message == (
            "Attempt to decode JSON with unexpected mimetype: text/plain; charset=utf-8"
        )
        assert await resp.json(content_type=None) == {"a": 1}
        assert await resp.json(content_type="") == {"a": 1}


async def test_cookies_round_trip_through_the_jar() -> None:
    async def set_cookie(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        resp.set_cookie("session", "abc")
        resp.set_cookie("scoped", "x", path="/only")
        return resp

    app = echo_app()
    app.router.add_get("/set", set_cookie)
    jar = anyiohttp.CookieJar(unsafe=True)  # 127.0.0.1 is an IP host
    async with run_app(app) as url, anyiohttp.ClientSession(cookie_jar=jar) as session:
        await (await session.get(url / "set")).read()
        assert {m.key for m in jar} == {"session", "scoped"}
        data = await (await session.get(url / "page", cookies={"extra": "1"})).json()
        scoped = await (await session.get(url / "only" / "x")).json()
    assert data["cookies"] == {"session": "abc", "extra": "1"}
    assert scoped["cookies"] == {"session": "abc", "scoped": "x"}


async def test_default_jar_refuses_ip_cookies_and_dummy_jar_keeps_nothing() -> None:
    async def set_cookie(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        resp.set_cookie("session", "abc")
        return resp

    app = web.Application()
    app.router.add_get("/", set_cookie)
    async with run_app(app) as url:
        async with anyiohttp.ClientSession() as session:
            await (await session.get(url)).read()
            assert len(session.cookie_jar) == 0
        async with anyiohttp.ClientSession(cookie_jar=anyiohttp.DummyCookieJar()) as session:
            resp = await session.get(url)
            assert resp.cookies["session"].value == "abc"
            assert len(session.cookie_jar) == 0


async def test_basic_auth_argument_and_in_url() -> None:
    async with run_app(echo_app()) as url, anyiohttp.ClientSession() as session:
        data = await (await session.get(url, auth=anyiohttp.BasicAuth("user", "pass"))).json()
        in_url = await (await session.get(url.with_user("u2").with_password("p2"))).json()
    assert anyiohttp.BasicAuth.decode(data["headers"]["Authorization"]) == (
        "user",
        "pass",
        "latin1",
    )
    assert anyiohttp.BasicAuth.decode(in_url["headers"]["Authorization"]).login == "u2"


def test_basic_auth_codec() -> None:
    auth = anyiohttp.BasicAuth("user", "pâss", encoding="utf-8")
    assert anyiohttp.BasicAuth.decode(auth.encode(), encoding="utf-8") == auth
    assert anyiohttp.BasicAuth.from_url(URL("http://a:b@host/")) == ("a", "b", "latin1")
    with pytest.raises(ValueError, match=":"):
        anyiohttp.BasicAuth("a:b", "c")


@pytest.mark.parametrize(
    ("status", "method", "expected_method", "body_kept"),
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (307, "POST", "POST", True),
        (308, "PUT", "PUT", True),
        (302, "GET", "GET", True),  # aiohttp only drops the body for POST on 301/302
    ],
)
async def test_redirects(status: int, method: str, expected_method: str, body_kept: bool) -> None:
    async def start(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=status, headers={"Location": "/target?x=1"}, text="moved")

    app = echo_app()
    app.router.add_route("*", "/start", start)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        resp = await session.request(method, url / "start", data=b"payload")
        data = await resp.json()
    assert data["method"] == expected_method
    assert data["path"] == "/target" and data["query"] == {"x": "1"}
    assert (data["body"] == "payload") is body_kept
    assert [r.status for r in resp.history] == [status]
    assert resp.url == url.with_path("/target").with_query({"x": "1"})


async def test_too_many_redirects_and_no_follow() -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/loop?n={int(request.query.get('n', '0')) + 1}")

    app = web.Application()
    app.router.add_get("/loop", loop)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        with pytest.raises(anyiohttp.TooManyRedirects) as info:
            await session.get(url / "loop", max_redirects=3)
        # aiohttp's count: the third redirect response is the one refused, and
        # the error names the first request.
        assert len(info.value.history) == 3
        assert info.value.request_info.url == url / "loop"
        resp = await session.get(url / "loop", allow_redirects=False)
        assert resp.status == 302 and resp.history == ()


async def test_auth_is_dropped_on_a_redirect_to_another_origin() -> None:
    other = echo_app()
    async with run_app(other) as other_url:

        async def away(request: web.Request) -> web.Response:
            raise web.HTTPFound(str(other_url / "landed"))

        app = web.Application()
        app.router.add_get("/", away)
        async with run_app(app) as url, anyiohttp.ClientSession() as session:
            resp = await session.get(url, auth=anyiohttp.BasicAuth("secret", "pw"))
            data = await resp.json()
            leaky = await session.get(
                url,
                cookies={"secret": "1"},
                headers={"Cookie": "hdr=1", "Proxy-Authorization": "Basic eDp5"},
            )
            leaked = await leaky.json()
        defaults = {"Authorization": "Bearer secret", "Cookie": "a=1", "X-Kept": "yes"}
        async with run_app(app) as url, anyiohttp.ClientSession(headers=defaults) as session:
            from_defaults = await (await session.get(url)).json()
    assert data["path"] == "/landed"
    assert "Authorization" not in data["headers"]
    # Cookies and proxy credentials given for one origin do not follow either,
    # nor do the session's default ones.
    assert "Cookie" not in leaked["headers"]
    assert "Proxy-Authorization" not in leaked["headers"]
    assert "Authorization" not in from_defaults["headers"]
    assert "Cookie" not in from_defaults["headers"]
    assert from_defaults["headers"]["X-Kept"] == "yes"


@pytest.mark.parametrize(
    ("location", "outcome"),
    [
        ("http:/echo", "followed"),
        ("http:echo", "followed"),
        ("http:///x", "invalid"),
        ("//:1/x", "invalid"),
    ],
)
async def test_locations_without_an_authority(location: str, outcome: str) -> None:
    """As aiohttp: "http:/x" is relative; no host at all is InvalidUrlRedirectClientError."""

    async def odd(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": location})  # sent as it is

    app = echo_app()
    app.router.add_get("/odd/", odd)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        if outcome == "followed":
            resp = await session.get(url / "odd" / "")
            assert resp.status == 200 and (await resp.json())["path"].endswith("/echo")
        else:
            with pytest.raises(anyiohttp.InvalidUrlRedirectClientError):
                await session.get(url / "odd" / "")


async def test_a_file_body_is_closed_after_a_303(tmp_path: Path) -> None:
    async def see_other(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPSeeOther("/echo")

    app = echo_app()
    app.router.add_post("/see-other", see_other)
    path = tmp_path / "upload.bin"
    path.write_bytes(b"file body")
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        with path.open("rb") as file:
            resp = await session.post(url / "see-other", data=file)
            assert (await resp.json())["method"] == "GET"
            assert file.closed


async def test_aiohttp_compatible_request_details() -> None:
    """Details a port from aiohttp relies on (each checked against aiohttp 3.14)."""

    async def redirect_relative_scheme(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"//{request.host}/echo?via=protocol-relative#part")

    async def fail(request: web.Request) -> web.Response:
        raise web.HTTPBadRequest(text="why it failed")

    async def slow(request: web.Request) -> web.Response:
        await anyio.sleep(0.5)
        return web.Response(text="late")

    app = echo_app()
    app.router.add_get("/protocol-relative", redirect_relative_scheme)
    app.router.add_get("/fail", fail)
    app.router.add_get("/slow", slow)
    async with run_app(app) as url:
        async with anyiohttp.ClientSession(cookies={"shared": "yes"}) as session:
            # A cookie given without a URL is sent to every host.
            data = await (await session.get(url / "echo")).json()
            assert data["headers"]["Cookie"] == "shared=yes"

            # A protocol-relative Location keeps the scheme; url drops the fragment.
            resp = await session.get(url / "protocol-relative")
            assert (await resp.json())["query"] == {"via": "protocol-relative"}
            assert resp.url.fragment == "" and resp.real_url.fragment == "part"
            assert resp.request_info.url.fragment == ""

            # Inside async with, raise_for_status() leaves the body readable.
            async with session.get(url / "fail") as resp:
                with pytest.raises(anyiohttp.ClientResponseError):
                    resp.raise_for_status()
                assert await resp.text() == "why it failed"
            await resp.release()  # awaitable, as aiohttp's

            # A number is the total timeout; None is no timeout at all.
            with pytest.raises(TimeoutError):
                await session.get(url / "slow", timeout=0.1)
            assert await (await session.get(url / "slow", timeout=None)).text() == "late"
            assert await (await session.get(url / "slow", timeout=0)).text() == "late"  # 0: none

            with pytest.raises(anyiohttp.InvalidURL):
                await session.get("no-scheme.example/path")

            # A POST without a body still says what it (does not) carry.
            data = await (await session.post(url / "echo")).json()
            assert data["headers"]["Content-Type"] == "application/octet-stream"
            assert data["headers"]["Content-Length"] == "0"

        # The session's auth gives way to credentials in the URL...
        auth = anyiohttp.BasicAuth("session", "pw")
        async with anyiohttp.ClientSession(auth=auth) as session:
            with_user = url.with_user("user").with_password("pw") / "echo"
            data = await (await session.get(with_user)).json()
            assert data["headers"]["Authorization"] == anyiohttp.BasicAuth("user", "pw").encode()
            # ...and does not combine with an explicit Authorization header.
            with pytest.raises(ValueError, match="AUTHORIZATION header"):
                await session.get(url / "echo", headers={"Authorization": "Bearer x"})


async def test_invalid_and_non_http_urls() -> None:
    async with anyiohttp.ClientSession() as session:
        with pytest.raises(anyiohttp.NonHttpUrlClientError):
            await session.get("ftp://example.com/")
        with pytest.raises(anyiohttp.InvalidURL):
            await session.get("http:///nohost")


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_compressed_responses_are_decoded(coding: str) -> None:
    body = b"hello compressed world " * 500
    if coding == "gzip":
        encoded = gzip.compress(body)
    elif coding == "deflate":
        encoded = zlib.compress(body)
    else:
        brotli = pytest.importorskip("brotli")
        encoded = brotli.compress(body)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=encoded, headers={"Content-Encoding": coding})

    app = web.Application()
    app.router.add_get("/", handler)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        resp = await session.get(url)
        assert await resp.read() == body
        raw = await session.get(url, auto_decompress=False)
        assert await raw.read() == encoded


async def test_decompression_bomb_is_read_in_bounded_steps() -> None:
    bomb = gzip.compress(b"\x00" * 50_000_000)  # 50 MB of zeros in ~50 KB

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/", handler)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            biggest = 0
            total = 0
            async for chunk in resp.content.iter_any():
                biggest = max(biggest, len(chunk))
                total += len(chunk)
                if total > 5_000_000:
                    break  # the reader decides how much to inflate
    assert biggest <= 2**16
    assert total > 5_000_000


async def test_garbage_from_the_server_is_a_client_error_and_the_pool_survives() -> None:
    async def garbage_server(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.receive()
            await stream.send(b"THIS IS NOT HTTP\r\n\r\n")

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, garbage_server)
            async with run_app(echo_app()) as url, anyiohttp.ClientSession() as session:
                with pytest.raises(anyiohttp.ClientError):
                    await session.get(f"http://127.0.0.1:{port}/")
                assert (await session.get(url)).status == 200
            tg.cancel_scope.cancel()


async def test_server_closing_mid_response_is_a_payload_error_and_the_pool_survives() -> None:
    async def half(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.receive()
            await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")

    async def silent(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.receive()

    for handler, error in (
        (half, anyiohttp.ClientPayloadError),
        (silent, anyiohttp.ServerDisconnectedError),
    ):
        async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
            port = listener.extra(anyio.abc.SocketAttribute.local_port)
            async with anyio.create_task_group() as tg:
                tg.start_soon(listener.serve, handler)
                async with run_app(echo_app()) as url, anyiohttp.ClientSession() as session:
                    with pytest.raises(error):
                        resp = await session.get(f"http://127.0.0.1:{port}/")
                        await resp.read()
                    assert (await session.get(url)).status == 200
                tg.cancel_scope.cancel()


async def test_response_header_limits() -> None:
    async def big(request: web.Request) -> web.Response:
        size = int(request.query["n"])
        return web.Response(text="ok", headers={"X-Big": "v" * size})

    app = web.Application()
    app.router.add_get("/", big)
    async with run_app(app) as url, anyiohttp.ClientSession(max_field_size=100) as session:
        resp = await session.get(url.with_query(n=100))
        assert len(resp.headers["X-Big"]) == 100
        with pytest.raises(anyiohttp.ClientResponseError) as info:
            await session.get(url.with_query(n=101))
        assert info.value.status == 400
        assert "Got more than 100 bytes" in info.value.message
        assert (await session.get(url.with_query(n=1))).status == 200
        # A request's own limits, for that request only (the connection is reused).
        resp = await session.get(url.with_query(n=150), max_field_size=200)
        assert len(resp.headers["X-Big"]) == 150
        with pytest.raises(anyiohttp.ClientResponseError):
            await session.get(url.with_query(n=150))
        resp = await session.get(url.with_query(n=1))
        assert (await resp.text()) == "ok"


async def test_sessions_sharing_a_connector_keep_their_own_header_limits() -> None:
    async def big(request: web.Request) -> web.Response:
        return web.Response(text="ok", headers={"X-Big": "v" * 150})

    app = web.Application()
    app.router.add_get("/", big)
    async with run_app(app) as url, anyiohttp.TCPConnector(limit=1) as connector:
        strict = anyiohttp.ClientSession(
            connector=connector, connector_owner=False, max_field_size=100
        )
        lenient = anyiohttp.ClientSession(connector=connector, connector_owner=False)
        async with strict, lenient:
            for _ in range(2):  # on a new connection, then on the kept one
                async with lenient.get(url) as resp:
                    assert len(resp.headers["X-Big"]) == 150
                with pytest.raises(anyiohttp.ClientResponseError, match="Got more than 100"):
                    await strict.get(url)


async def test_response_header_count_limit() -> None:
    async def many(request: web.Request) -> web.Response:
        count = int(request.query["n"])
        return web.Response(text="ok", headers={f"X-H{i}": "v" for i in range(count)})

    app = web.Application()
    app.router.add_get("/", many)
    async with run_app(app) as url, anyiohttp.ClientSession(max_headers=20) as session:
        # Date, Server, Content-Length and Content-Type come too: 16 + 4 = 20.
        assert (await session.get(url.with_query(n=16))).status == 200
        with pytest.raises(anyiohttp.ClientResponseError) as info:
            await session.get(url.with_query(n=17))
        assert info.value.status == 400 and "Too many headers" in info.value.message
        assert (await session.get(url.with_query(n=17), max_headers=30)).status == 200


async def test_body_read_until_close_does_not_pool_the_dead_connection() -> None:
    accepted = 0

    async def until_close(stream: anyio.abc.SocketStream) -> None:
        nonlocal accepted
        accepted += 1
        async with stream:
            await stream.receive()
            await stream.send(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, until_close)
            async with anyiohttp.ClientSession() as session:
                for _ in range(3):
                    resp = await session.get(f"http://127.0.0.1:{port}/")
                    assert await resp.read() == b"until the end"
                connector = session.connector
                assert connector is not None
                assert not any(connector._idle.values())
            assert accepted == 3
            tg.cancel_scope.cancel()


async def test_a_body_longer_than_its_content_length_is_refused_before_sending() -> None:
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.path}")
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        smuggled = b"hello" + b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        with pytest.raises(ValueError, match="Too much data"):
            await session.post(url / "post", data=smuggled, headers={"Content-Length": "5"})
        resp = await session.get(url / "after")
        assert resp.status == 200
    assert "GET /smuggled" not in seen


async def test_extra_bytes_after_a_response_are_not_served_as_the_next_one() -> None:
    accepted = 0

    async def out_of_step(stream: anyio.abc.SocketStream) -> None:
        nonlocal accepted
        accepted += 1
        async with stream:
            await stream.receive()
            await stream.send(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"
            )
            with anyio.move_on_after(5):
                try:
                    await stream.receive()  # a second request here would be the bug
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    pass  # the client closed the connection instead: right

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, out_of_step)
            async with anyiohttp.ClientSession() as session:
                for _ in range(2):
                    resp = await session.get(f"http://127.0.0.1:{port}/")
                    assert await resp.read() == b"first"
            assert accepted == 2
            tg.cancel_scope.cancel()


async def test_connection_refused_is_a_connector_error_and_an_oserror() -> None:
    with anyio.fail_after(10):
        async with anyiohttp.ClientSession() as session:
            with pytest.raises(anyiohttp.ClientConnectorError) as info:
                await session.get("http://127.0.0.1:9/")
    assert isinstance(info.value, OSError)
    assert "Cannot connect to host 127.0.0.1:9" in str(info.value)


async def test_expect100_sends_the_body_after_100_continue_and_not_on_refusal() -> None:
    received: list[bytes] = []

    async def upload(request: web.Request) -> web.Response:
        if request.headers.get("X-Refuse"):
            raise web.HTTPForbidden()
        received.append(await request.read())
        return web.Response(text="stored")

    app = web.Application()
    app.router.add_post("/", upload)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        resp = await session.post(url, data=b"payload" * 1000, expect100=True)
        assert await resp.text() == "stored"
        refused = await session.post(
            url, data=b"never sent", expect100=True, headers={"X-Refuse": "1"}
        )
        assert refused.status == 403
        again = await session.post(url, data=b"after", expect100=True)
        assert await again.text() == "stored"
    assert received == [b"payload" * 1000, b"after"]


async def test_compressed_and_chunked_request_bodies() -> None:
    async def inflate(request: web.Request) -> web.Response:
        body = await request.read()  # the server decodes Content-Encoding itself
        return web.json_response(
            {
                "te": request.headers.get("Transfer-Encoding"),
                "ce": request.headers.get("Content-Encoding"),
                "body": body.decode(),
            }
        )

    app = web.Application()
    app.router.add_post("/", inflate)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        compressed = await (
            await session.post(url, data=b"squeeze me " * 100, compress=True)
        ).json()
        chunked = await (await session.post(url, data=b"in chunks", chunked=True)).json()
    assert compressed == {"te": "chunked", "ce": "deflate", "body": "squeeze me " * 100}
    assert chunked == {"te": "chunked", "ce": None, "body": "in chunks"}


async def test_reading_a_released_response_raises_as_in_aiohttp() -> None:
    """After release() or close(), reads raise ClientConnectionError("Connection closed"):
    a body cut short must not pass for a whole one. text() and json() keep a body read
    before (aiohttp 3.10+ behaves the same)."""

    async def big(request: web.Request) -> web.Response:
        return web.json_response({"data": "x" * 200_000})

    app = web.Application()
    app.router.add_get("/big", big)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url / "big") as resp:
            body = await resp.read()
        assert len(body) > 200_000
        with pytest.raises(anyiohttp.ClientConnectionError, match="Connection closed"):
            await resp.read()
        assert (await resp.json())["data"] == "x" * 200_000  # the cached body
        assert len(await resp.text()) == len(body)

        async with session.get(url / "big") as resp:
            pass  # never read: the connection is closed, the rest is gone
        with pytest.raises(anyiohttp.ClientConnectionError, match="Connection closed"):
            await resp.read()
        with pytest.raises(anyiohttp.ClientConnectionError):
            await resp.text()

        resp = await session.get(url / "big")
        first = await resp.content.read(10)
        resp.close()
        assert first == b'{"data": "'
        with pytest.raises(anyiohttp.ClientConnectionError, match="Connection closed"):
            await resp.content.read()

        resp = await session.get(url / "big")  # no release: a second read is the cache
        assert await resp.read() == await resp.read() == body


async def test_bodies_across_307_and_308_and_form_files_as_in_aiohttp() -> None:
    async def to_echo(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/echo")

    async def fields(request: web.Request) -> web.Response:
        form = await request.post()
        kinds = {name: type(value).__name__ for name, value in form.items()}
        names = {name: getattr(value, "filename", None) for name, value in form.items()}
        return web.json_response({"kinds": kinds, "filenames": names})

    app = echo_app()
    app.router.add_post("/to-echo", to_echo)
    app.router.add_post("/fields", fields)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        # A seekable body is sent again from where it started; BytesIO stays usable.
        buffer = io.BytesIO(b"skip:payload")
        buffer.seek(5)
        resp = await session.post(url / "to-echo", data=buffer)
        data = await resp.json()
        assert data["path"] == "/echo" and data["body"] == "payload"
        assert [r.status for r in resp.history] == [307]
        assert buffer.getvalue() == b"skip:payload"

        # A body that cannot be sent again is an error, not a silent 307.
        async def stream() -> AsyncIterator[bytes]:
            yield b"once"

        with pytest.raises(anyiohttp.ClientPayloadError, match="consumed request body"):
            await session.post(url / "to-echo", data=stream())

        # Bytes and nameless file objects are file uploads named after the field.
        form = anyiohttp.FormData()
        form.add_field("text", "plain")
        form.add_field("raw", b"bytes")
        form.add_field("memory", io.BytesIO(b"in memory"))
        data = await (await session.post(url / "fields", data=form)).json()
        assert data["kinds"] == {"text": "str", "raw": "FileField", "memory": "FileField"}
        assert data["filenames"]["raw"] == "raw" and data["filenames"]["memory"] == "memory"


async def test_fallback_charset_resolver_decides_for_bodies_without_a_charset() -> None:
    async def latin(request: web.Request) -> web.Response:
        return web.Response(body="café".encode("latin-1"), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/latin", latin)
    seen: list[bytes] = []

    def resolver(resp: anyiohttp.ClientResponse, body: bytes) -> str:
        seen.append(body)
        return "latin-1"

    async with run_app(app) as url:
        async with anyiohttp.ClientSession(fallback_charset_resolver=resolver) as session:
            async with session.get(url / "latin") as resp:
                assert await resp.text() == "café"
        assert seen == ["café".encode("latin-1")]
        async with anyiohttp.ClientSession() as session:
            async with session.get(url / "latin") as resp:
                with pytest.raises(RuntimeError, match="not yet read"):
                    resp.get_encoding()  # the default resolver needs the body
                with pytest.raises(UnicodeDecodeError):
                    await resp.text()  # UTF-8 by default, as aiohttp


async def test_content_disposition_is_parsed() -> None:
    async def download(request: web.Request) -> web.Response:
        return web.Response(
            body=b"data",
            headers={
                "Content-Disposition": 'attachment; filename="plain.txt"; '
                "filename*=UTF-8''na%C3%AFve%20file.txt"
            },
        )

    app = web.Application()
    app.router.add_get("/download", download)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url / "download") as resp:
            disposition = resp.content_disposition
        async with session.get(url / "download", params={"x": "1"}) as plain:
            assert plain.content_disposition is not None
    assert disposition is not None
    assert disposition.type == "attachment"
    assert disposition.filename == "naïve file.txt"  # filename* wins (RFC 6266 4.3)
    assert disposition.parameters["filename"] == "plain.txt"


def test_deprecated_timeout_arguments_still_work() -> None:
    """aiohttp's read_timeout/conn_timeout (and the no-op ssl_shutdown_timeout) warn and apply."""
    with pytest.warns(DeprecationWarning, match="read_timeout is deprecated"):
        session = anyiohttp.ClientSession(read_timeout=12)
    assert session.timeout.total == 12
    with pytest.warns(DeprecationWarning, match="conn_timeout is deprecated"):
        session = anyiohttp.ClientSession(conn_timeout=3)
    assert session.timeout.connect == 3
    with pytest.warns(DeprecationWarning, match="ssl_shutdown_timeout"):
        anyiohttp.ClientSession(ssl_shutdown_timeout=1.0)
    with pytest.raises(ValueError, match="conflict"):
        anyiohttp.ClientSession(timeout=anyiohttp.ClientTimeout(total=1), read_timeout=2)


async def test_json_serialize_bytes_wins_for_json_bodies() -> None:
    calls: list[object] = []

    def dumps_bytes(obj: object) -> bytes:
        calls.append(obj)
        return b'{"via": "bytes"}'

    async with run_app(echo_app()) as url:
        async with anyiohttp.ClientSession(json_serialize_bytes=dumps_bytes) as session:
            data = await (await session.post(url / "echo", json={"a": 1})).json()
    assert calls == [{"a": 1}]
    assert data["body"] == '{"via": "bytes"}'
    assert data["headers"]["Content-Type"] == "application/json"


async def test_long_lines_as_aiohttp_reads_them() -> None:
    """readline() takes up to twice read_bufsize (256 KiB by default, as aiohttp 3.14):
    a 300 KB server-sent-events line passes; past the limit is LineTooLong."""
    line = b"data: " + b"x" * 300_000 + b"\n"

    async def events(request: web.Request) -> web.Response:
        return web.Response(body=line + b"data: next\n", content_type="text/event-stream")

    app = web.Application()
    app.router.add_get("/events", events)
    async with run_app(app) as url:
        async with anyiohttp.ClientSession() as session, session.get(url / "events") as resp:
            assert await resp.content.readline() == line
            assert await resp.content.readline() == b"data: next\n"
        async with anyiohttp.ClientSession(read_bufsize=1024) as session:
            async with session.get(url / "events") as resp:
                with pytest.raises(anyiohttp.HttpProcessingError, match="Got more than 2048"):
                    await resp.content.readline()
            async with session.get(url / "events") as resp:
                assert await resp.content.readline(max_line_length=400_000) == line


async def test_zero_timeouts_are_no_limit() -> None:
    """As aiohttp: 0 in any ClientTimeout field is no limit (the session still reports 0)."""

    async def slow(request: web.Request) -> web.Response:
        await anyio.sleep(0.2)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/slow", slow)
    zeros = anyiohttp.ClientTimeout(total=0, connect=0, sock_read=0, sock_connect=0)
    async with run_app(app) as url, anyiohttp.ClientSession(timeout=zeros) as session:
        assert session.timeout.total == 0
        assert await (await session.get(url / "slow")).text() == "late"
        assert await (await session.get(url / "slow", timeout=zeros)).text() == "late"
        with pytest.raises(anyiohttp.SocketTimeoutError):
            await session.get(
                url / "slow", timeout=anyiohttp.ClientTimeout(total=0, sock_read=0.05)
            )
