"""The connection loop over real sockets: framing, limits, errors, timeouts."""

from __future__ import annotations

import logging

import anyio
import pytest

from anyiohttp import web

from ..conftest import raw_exchange, run_app, split_responses

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("each_parser")]


async def echo_path(request: web.Request) -> web.Response:
    return web.Response(text=request.path)


async def echo_body(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


def make_app(**kwargs: object) -> web.Application:
    app = web.Application(**kwargs)  # type: ignore[arg-type]
    app.router.add_get("/{tail:.*}", echo_path)
    app.router.add_post("/echo", echo_body)
    return app


async def test_two_pipelined_requests_in_one_write_are_answered_in_order() -> None:
    async with run_app(make_app()) as url:
        raw = await raw_exchange(
            url,
            b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    responses = split_responses(raw)
    assert [body for _, body in responses] == [b"/first", b"/second"]
    assert all(head.startswith(b"HTTP/1.1 200 OK") for head, _ in responses)


async def test_many_pipelined_requests_with_bodies() -> None:
    requests = b"".join(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\nbody-%d"
        % (len(b"body-%d" % i), i)
        for i in range(50)
    )
    async with run_app(make_app()) as url:
        raw = await raw_exchange(
            url, requests + b"GET /end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    bodies = [body for _, body in split_responses(raw)]
    assert bodies == [b"body-%d" % i for i in range(50)] + [b"/end"]


async def test_keep_alive_reuses_the_connection() -> None:
    async with run_app(make_app()) as url:
        assert url.host and url.port
        async with await anyio.connect_tcp(url.host, url.port) as stream:
            for i in range(3):
                await stream.send(b"GET /n%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
                data = b""
                while not data.endswith(b"/n%d" % i):
                    data += await stream.receive()
                assert b"HTTP/1.1 200 OK" in data


async def test_head_request_has_no_body_but_the_length() -> None:
    async with run_app(make_app()) as url:
        raw = await raw_exchange(url, b"HEAD /abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"Content-Length: 4" in head
    assert rest == b""


async def test_http10_request_gets_http10_response_and_close() -> None:
    async with run_app(make_app()) as url:
        raw = await raw_exchange(url, b"GET /old HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.0 200 OK")
    assert raw.endswith(b"/old")


async def test_malformed_request_line_is_400_and_closed() -> None:
    async with run_app(make_app()) as url:
        raw = await raw_exchange(url, b"GET / HTTP/1.1 garbage\r\nHost: x\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 400 Bad Request")
        assert b"Connection: close" in raw
        # the server serves others afterwards
        ok = await raw_exchange(url, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert ok.endswith(b"/ok")


async def test_content_length_with_transfer_encoding_is_400() -> None:
    async with run_app(make_app()) as url:
        raw = await raw_exchange(
            url,
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
        )
    assert raw.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"/smuggled" not in raw
    assert raw.count(b"HTTP/1.1") == 1


@pytest.mark.parametrize(
    "framing",
    [
        b"5;a=\x00\r\nhello\r\n0\r\n\r\n",  # NUL in a chunk extension
        b"5;a\rb\r\nhello\r\n0\r\n\r\n",  # bare CR in the chunk-size line
        b"10000000000000005\r\nhello\r\n0\r\n\r\n",  # 17 hex digits (2**64 + 5)
        b"5\r\nhelloXX0\r\n\r\n",  # chunk data not followed by CRLF
        b"5\r\nhello\n0\r\n\r\n",  # bare LF after chunk data
        b"5\r\nhello\r\n0\r\nX\x00: 1\r\n\r\n",  # CTL in a trailer
    ],
    ids=["nul-ext", "bare-cr", "17-digits", "no-crlf", "bare-lf", "bad-trailer"],
)
@pytest.mark.parametrize("path", ["/echo", "/ignores-body"])
async def test_bad_chunked_framing_is_400_and_nothing_after_it_is_a_request(
    framing: bytes, path: str
) -> None:
    async def ignores_body(request: web.Request) -> web.Response:
        return web.Response(text="ignored")

    app = make_app()
    app.router.add_post("/ignores-body", ignores_body)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url,
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            + framing
            + b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        # the server serves others afterwards
        ok = await raw_exchange(url, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"/smuggled" not in raw
    if path == "/echo":
        # The handler read the body: the error is the answer.
        assert raw.startswith(b"HTTP/1.1 400 Bad Request"), raw[:200]
        assert raw.count(b"HTTP/1.1 ") == 1
    else:
        # Answered before the body was read; the unread body is not reused.
        assert raw.count(b"HTTP/1.1 ") == 1, raw
    assert ok.endswith(b"/ok")


@pytest.mark.parametrize(
    "request_bytes",
    [b"CONNECT  HTTP/1.1\r\nHost: a\r\n\r\n", b"CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n"],
    ids=["empty-target", "no-port"],
)
async def test_a_bad_connect_target_is_400_and_the_server_serves_on(request_bytes: bytes) -> None:
    async with run_app(make_app()) as url:
        raw = await raw_exchange(url, request_bytes)
        ok = await raw_exchange(url, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400 Bad Request"), raw
    assert ok.endswith(b"/ok")


async def test_http10_request_with_transfer_encoding_is_answered_then_closed() -> None:
    async with run_app(make_app()) as url:
        raw = await raw_exchange(
            url,
            b"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            b"GET /pipelined HTTP/1.1\r\nHost: x\r\n\r\n",
        )
    ((head, body),) = split_responses(raw)
    assert head.startswith(b"HTTP/1.0 200 OK") and body == b"hello"
    assert b"/pipelined" not in raw


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\nHost: x\n\n",  # bare LF
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",  # obs-fold
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \xd9\xa1\r\n\r\n",  # Arabic digit
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
        b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=[
        "bare-lf",
        "obs-fold",
        "non-ascii-length",
        "dup-length",
        "dup-host",
        "20kb-header",
        "bad-chunk",
    ],
)
async def test_lenient_h11_inputs_are_400(request_bytes: bytes) -> None:
    async with run_app(make_app()) as url:
        raw = await raw_exchange(url, request_bytes)
    assert raw.startswith(b"HTTP/1.1 400 Bad Request"), raw[:200]


async def test_header_limits_are_parameters() -> None:
    async with run_app(make_app(), max_field_size=100, max_headers=5, max_line_size=50) as url:
        too_long_line = await raw_exchange(
            url, b"GET /" + b"a" * 60 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        too_long_field = await raw_exchange(
            url, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"v" * 100 + b"\r\n\r\n"
        )
        too_many = await raw_exchange(
            url,
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X%d: v\r\n" % i for i in range(5))
            + b"\r\n",
        )
        fine = await raw_exchange(url, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert too_long_line.startswith(b"HTTP/1.1 400")
    assert too_long_field.startswith(b"HTTP/1.1 400")
    assert too_many.startswith(b"HTTP/1.1 400")
    assert fine.endswith(b"/ok")


async def test_handler_exception_is_500_and_the_server_serves_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise ValueError("handler failed")

    app = make_app()
    app.router.add_get("/boom", boom)  # "/{tail:.*}" is in another bucket: /boom wins
    with caplog.at_level(logging.ERROR, logger="anyiohttp.server"):
        async with run_app(app) as url:
            raw = await raw_exchange(url, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
            ok = await raw_exchange(
                url, b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
    assert raw.startswith(b"HTTP/1.1 500 Internal Server Error")
    assert b"Connection: close" in raw
    assert raw.endswith(b"500 Internal Server Error\n\nServer got itself in trouble")
    assert ok.endswith(b"/after")
    errors = [r for r in caplog.records if r.name == "anyiohttp.server" and r.exc_info]
    assert len(errors) == 1
    assert isinstance(errors[0].exc_info[1], ValueError)  # type: ignore[index]


async def test_500_page_is_html_when_the_client_accepts_html() -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError

    app = web.Application()
    app.router.add_get("/", boom)
    async with run_app(app) as url:
        raw = await raw_exchange(url, b"GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n")
    assert b"Content-Type: text/html" in raw
    assert b"<h1>500 Internal Server Error</h1>" in raw


async def test_handler_returning_a_non_response_is_500() -> None:
    async def wrong(request: web.Request) -> web.Response:
        return "text"  # type: ignore[return-value]

    app = web.Application()
    app.router.add_get("/", wrong)
    async with run_app(app) as url:
        raw = await raw_exchange(url, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 500")


async def test_idle_keep_alive_connection_is_closed_after_the_timeout() -> None:
    async with run_app(make_app(), keepalive_timeout=0.3) as url:
        assert url.host and url.port
        async with await anyio.connect_tcp(url.host, url.port) as stream:
            await stream.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            with anyio.fail_after(3):
                while not data.endswith(b"/a"):
                    data += await stream.receive()
                # then nothing: the server closes the idle connection
                with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                    await stream.receive()


async def test_slow_client_sending_a_head_is_closed() -> None:
    async with run_app(make_app(), keepalive_timeout=0.3) as url:
        assert url.host and url.port
        async with await anyio.connect_tcp(url.host, url.port) as stream:
            with anyio.fail_after(3):
                await stream.send(b"GET / HTTP/1.1\r\n")
                for _ in range(20):  # a header line now and then never completes the head
                    try:
                        await stream.send(b"X: y\r\n")
                    except (anyio.BrokenResourceError, OSError):
                        break
                    await anyio.sleep(0.05)
                with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                    while True:
                        data = await stream.receive()
                        assert not data.startswith(b"HTTP/1.1 200")


async def test_client_closing_half_way_through_a_head_does_not_hurt_the_server() -> None:
    async with run_app(make_app()) as url:
        assert url.host and url.port
        async with await anyio.connect_tcp(url.host, url.port) as stream:
            await stream.send(b"GET / HTTP/1.1\r\nHo")
        ok = await raw_exchange(url, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert ok.endswith(b"/ok")
