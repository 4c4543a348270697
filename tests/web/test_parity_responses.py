"""aiohttp parity of responses and request bodies: file bodies, explicit
Content-Length, handler timeouts, undecodable bodies, and the low-level
web.Server used as aiohttp's protocol factory."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import anyio
import pytest
import sniffio

from anyiohttp import web

from ..conftest import raw_exchange, run_app, split_responses

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("each_parser")]

DATA = b"0123456789"


def headers_of(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in lines)}


def get(path: str, *, close: bool = False) -> bytes:
    extra = b"Connection: close\r\n" if close else b""
    return b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path.encode(), extra)


async def test_a_named_file_body_is_offered_as_an_attachment(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(DATA)
    (tmp_path / "x y.html").write_text("hi\n")

    async def binary(request: web.Request) -> web.Response:
        return web.Response(body=(tmp_path / "f.txt").open("rb"))

    async def text(request: web.Request) -> web.Response:
        return web.Response(body=(tmp_path / "x y.html").open())

    async def in_memory(request: web.Request) -> web.Response:
        return web.Response(body=io.BytesIO(b"abc"))

    async def inline(request: web.Request) -> web.Response:
        disposition = {"Content-Disposition": "inline"}
        return web.Response(body=(tmp_path / "f.txt").open("rb"), headers=disposition)

    app = web.Application()
    for path, handler in (("/bin", binary), ("/text", text), ("/mem", in_memory)):
        app.router.add_get(path, handler)
    app.router.add_get("/inline", inline)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url, get("/bin") + get("/text") + get("/mem") + get("/inline", close=True)
        )
    (bin_head, bin_body), (text_head, text_body), (mem_head, mem_body), (inline_head, _) = (
        split_responses(raw)
    )
    assert bin_body == DATA and text_body == b"hi\n" and mem_body == b"abc"
    # As aiohttp: the file's base name, percent-encoded; a text file is UTF-8 text/plain.
    assert headers_of(bin_head)["content-disposition"] == 'attachment; filename="f.txt"'
    assert headers_of(bin_head)["content-type"] == "text/plain"
    assert headers_of(text_head)["content-disposition"] == 'attachment; filename="x%20y.html"'
    assert headers_of(text_head)["content-type"] == "text/plain; charset=utf-8"
    assert "content-disposition" not in headers_of(mem_head)  # no name, no attachment
    assert headers_of(inline_head)["content-disposition"] == "inline"  # the handler's own


async def test_a_body_of_an_unsupported_type_is_a_value_error() -> None:
    async def handler(request: web.Request) -> web.Response:
        try:
            web.Response(body=5)
        except ValueError as exc:
            return web.Response(text=str(exc))
        return web.Response(text="accepted")

    app = web.Application()
    app.router.add_get("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(url, get("/", close=True))
    # aiohttp's message, with what to use instead
    assert raw.partition(b"\r\n\r\n")[2].startswith(b"Unsupported body type <class 'int'>")
    with pytest.raises(ValueError, match="Unsupported body type <class 'object'>"):
        web.Response(body=object())


async def test_an_explicit_content_length_shorter_than_the_body_is_honoured(
    tmp_path: Path,
) -> None:
    (tmp_path / "f.txt").write_bytes(DATA)

    async def from_bytes(request: web.Request) -> web.Response:
        return web.Response(body=DATA, headers={"Content-Length": "4"})

    async def from_text(request: web.Request) -> web.Response:
        return web.Response(text=DATA.decode(), headers={"Content-Length": "3"})

    async def from_file(request: web.Request) -> web.Response:
        return web.Response(body=(tmp_path / "f.txt").open("rb"), headers={"Content-Length": "5"})

    app = web.Application()
    app.router.add_get("/bytes", from_bytes)
    app.router.add_get("/text", from_text)
    app.router.add_get("/file", from_file)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url, get("/bytes") + get("/text") + get("/file") + get("/bytes", close=True)
        )
    # The declared length is what is sent: the connection stays in step for
    # the next pipelined response (aiohttp's bytes fast path sends the whole
    # body and breaks the framing; its streamed writes clip as here).
    assert [body for _, body in split_responses(raw)] == [b"0123", b"012", b"01234", b"0123"]
    assert raw.endswith(b"\r\n\r\n0123")


async def test_a_handler_timeout_is_a_504() -> None:
    async def deadline(request: web.Request) -> web.Response:
        with anyio.fail_after(0):
            await anyio.sleep(5)
        return web.Response(text="in time")

    async def raised(request: web.Request) -> web.Response:
        raise TimeoutError("upstream")

    async def after_headers(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"partial")
        raise TimeoutError

    app = web.Application()
    app.router.add_get("/deadline", deadline)
    app.router.add_get("/raised", raised)
    app.router.add_get("/after-headers", after_headers)
    async with run_app(app) as url:
        for path in ("/deadline", "/raised"):
            raw = await raw_exchange(url, get(path) + get(path))
            # As aiohttp: empty text/plain, and the connection closes after it.
            head, _, body = raw.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 504 Gateway Timeout"), raw
            headers = headers_of(head)
            assert headers["content-type"] == "text/plain" and headers["connection"] == "close"
            assert headers["content-length"] == "0" and body == b""
        partial = await raw_exchange(url, get("/after-headers"))
        assert partial.startswith(b"HTTP/1.1 200 OK") and b"504" not in partial


async def test_an_undecodable_gzip_body_fails_at_read_with_request_payload_error() -> None:
    seen: list[str] = []

    async def catching(request: web.Request) -> web.Response:
        try:
            data = await request.read()
        except web.RequestPayloadError as exc:
            seen.append(type(exc.__cause__).__name__)
            return web.Response(text="bad body")
        return web.Response(text=str(len(data)))

    async def not_catching(request: web.Request) -> web.Response:
        seen.append("handler ran")
        return web.Response(text=str(len(await request.read())))

    def post(path: str, body: bytes, *, coding: str = "gzip") -> bytes:
        return (
            b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n"
            % (path.encode(), coding.encode(), len(body))
        ) + body

    app = web.Application(client_max_size=1000)
    app.router.add_post("/catching", catching)
    app.router.add_post("/not-catching", not_catching)
    async with run_app(app) as url:
        # One connection: a caught error leaves it usable (the raw body was framed).
        raw = await raw_exchange(
            url,
            post("/catching", b"not gzip at all")
            + post("/catching", gzip.compress(b"a" * 500))
            + post("/catching", gzip.compress(b"a" * 5000))  # decodes past client_max_size
            + post("/catching", b"\x00" * 10),
        )
        answers = split_responses(raw)
        uncaught = await raw_exchange(url, post("/not-catching", b"garbage"))
    assert [body for _, body in answers] == [
        b"bad body",
        b"500",
        b"Maximum request body size 1000 exceeded, actual body size 5000",
    ]
    assert answers[2][0].startswith(b"HTTP/1.1 413 ")
    assert seen == ["ContentEncodingError", "handler ran"]
    assert uncaught.startswith(b"HTTP/1.1 400 ")  # left unhandled: the client's fault


async def test_a_badly_framed_body_is_a_request_payload_error_and_closes() -> None:
    async def catching(request: web.Request) -> web.Response:
        try:
            await request.read()
        except web.RequestPayloadError:
            return web.Response(text="bad framing")
        return web.Response(text="read")

    app = web.Application()
    app.router.add_post("/", catching)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"zz\r\nabc\r\n0\r\n\r\n"  # "zz" is no chunk size
            + get("/smuggled"),
        )
    # Answered once, then closed: what followed the broken chunk is not a request.
    assert raw.count(b"HTTP/1.1 ") == 1 and raw.endswith(b"bad framing")


# -- web.Server used as aiohttp's protocol factory --------------------------------------


async def hello(request: web.BaseRequest) -> web.Response:
    return web.Response(text="low-level")


async def test_calling_web_server_as_a_protocol_factory_says_what_to_use() -> None:
    server = web.Server(hello)
    with pytest.raises(TypeError, match=r"not an asyncio protocol factory") as info:
        server()
    assert "web.ServerRunner(web.Server(handler))" in str(info.value)
    # What the message says to do serves it.
    async with web.ServerRunner(server) as runner:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = site.addresses[0][:2]
        with anyio.fail_after(5):
            async with await anyio.connect_tcp(host, port) as stream:
                await stream.send(get("/", close=True))
                raw = b""
                while not raw.endswith(b"low-level"):
                    raw += await stream.receive()
    assert raw.startswith(b"HTTP/1.1 200 OK")


async def test_loop_create_server_with_web_server_fails_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    if sniffio.current_async_library() != "asyncio":
        pytest.skip("loop.create_server is asyncio's")
    import asyncio
    import gc
    import warnings

    loop = asyncio.get_running_loop()
    # asyncio drops what a protocol factory raises (outside debug mode) and
    # leaves the accepted socket for the garbage collector: its
    # ResourceWarning is asyncio's, not the subject here.
    with warnings.catch_warnings(), caplog.at_level("ERROR", logger="anyiohttp.server"):
        warnings.simplefilter("ignore", ResourceWarning)
        server = await loop.create_server(web.Server(hello), "127.0.0.1", 0)  # type: ignore[arg-type]
        async with server:
            port = server.sockets[0].getsockname()[1]
            with anyio.fail_after(5):
                async with await anyio.connect_tcp("127.0.0.1", port) as stream:
                    await stream.send(get("/", close=True))
                    while not caplog.records:
                        await anyio.sleep(0.01)
        gc.collect()
    [record] = caplog.records
    assert "not an asyncio protocol factory" in record.getMessage()
    assert "web.ServerRunner(web.Server(handler))" in record.getMessage()
