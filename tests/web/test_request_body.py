"""Request bodies: streaming reads, 100-continue, client_max_size, drains."""

from __future__ import annotations

import anyio
import httpx
import pytest

from anyiohttp import web

from ..conftest import raw_exchange, run_app, split_responses

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("each_parser")]


async def test_100_continue_is_sent_when_the_handler_reads_the_body() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        assert url.host and url.port
        async with await anyio.connect_tcp(url.host, url.port) as stream:
            await stream.send(
                b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
            )
            with anyio.fail_after(3):
                interim = await stream.receive()
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            await stream.send(b"hello")
            data = b""
            with anyio.fail_after(3):
                while not data.endswith(b"hello"):
                    data += await stream.receive()
            assert data.startswith(b"HTTP/1.1 200 OK")


async def test_no_100_continue_when_the_handler_refuses_without_reading() -> None:
    async def handler(request: web.Request) -> web.Response:
        raise web.HTTPForbidden()

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url, b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        )
    assert raw.startswith(b"HTTP/1.1 403 Forbidden")
    assert b"100 Continue" not in raw
    assert b"Connection: close" in raw  # the body never came: the connection cannot be reused


async def test_custom_expect_handler_can_refuse() -> None:
    async def expect_handler(request: web.Request) -> web.StreamResponse | None:
        if request.headers.get("X-Token") != "ok":
            return web.Response(status=417, text="no token")
        return None

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/", handler, expect_handler=expect_handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url, b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        )
    assert raw.startswith(b"HTTP/1.1 417")
    assert raw.endswith(b"no token")


async def test_unknown_expectation_is_417() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url,
            b"POST / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 0\r\n"
            b"Connection: close\r\n\r\n",
        )
    assert raw.startswith(b"HTTP/1.1 417 Expectation Failed")


async def test_body_over_client_max_size_is_413_before_reading_it() -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="read")

    app = web.Application(client_max_size=1024)
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 2000
        )
    assert raw.startswith(b"HTTP/1.1 413 ")  # "Request Entity Too Large", 3.13: "Content Too Large"
    assert b"Maximum request body size 1024 exceeded, actual body size 100000" in raw


async def test_chunked_body_over_client_max_size_is_413_without_buffering_it_all() -> None:
    seen: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        try:
            await request.read()
        finally:
            seen.append(request.content.total_bytes)
        return web.Response(text="read")

    app = web.Application(client_max_size=10_000)
    app.router.add_post("/", handler)
    chunk = b"%x\r\n%s\r\n" % (1000, b"y" * 1000)
    async with run_app(app) as url:
        assert url.host and url.port
        async with await anyio.connect_tcp(url.host, url.port) as stream:
            await stream.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            data = b""
            with anyio.fail_after(5):
                for _ in range(1000):  # up to 1 MB offered, a chunk at a time
                    try:
                        await stream.send(chunk)
                    except (anyio.BrokenResourceError, OSError):
                        break
                    if b"\r\n\r\n" in data:
                        break
                    with anyio.move_on_after(0.001):
                        data += await stream.receive()
                while b"\r\n\r\n" not in data:
                    data += await stream.receive()
    assert data.startswith(b"HTTP/1.1 413")
    assert seen and seen[0] < 10_000 + 65536 + 1  # at most one read past the limit


async def test_client_max_size_zero_means_no_limit() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    app = web.Application(client_max_size=0)
    app.router.add_post("/", handler)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        resp = await client.post(str(url), content=b"z" * 3_000_000)
    assert resp.text == "3000000"


async def test_streaming_reads_of_the_content() -> None:
    async def handler(request: web.Request) -> web.Response:
        lines = [line async for line in request.content]
        return web.json_response([line.decode() for line in lines])

    async def chunks(request: web.Request) -> web.Response:
        sizes = [len(c) async for c in request.content.iter_chunked(3)]
        return web.json_response(sizes)

    app = web.Application()
    app.router.add_post("/lines", handler)
    app.router.add_post("/chunks", chunks)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        lines = await client.post(str(url / "lines"), content=b"a\nbb\nccc")
        sizes = await client.post(str(url / "chunks"), content=b"1234567")
    assert lines.json() == ["a\n", "bb\n", "ccc"]
    assert sizes.json() == [3, 3, 1]


async def test_unread_small_body_is_skipped_and_the_connection_kept() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ignored body")

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url,
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nworld",
        )
    assert [body for _, body in split_responses(raw)] == [b"ignored body"] * 2


async def test_unread_huge_body_closes_the_connection_after_the_response() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="no thanks")

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 1000
        )
    head, body = split_responses(raw)[0]
    assert b"Connection: close" in head
    assert body == b"no thanks"


async def test_truncated_body_read_by_the_handler_is_400() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(
            url,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
        )
    assert raw.startswith(b"HTTP/1.1 400")


async def test_post_form_urlencoded() -> None:
    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        return web.json_response({k: form.getall(k) for k in form})

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        resp = await client.post(str(url), data={"a": ["1", "2"], "b": "x y"})
    assert resp.json() == {"a": ["1", "2"], "b": ["x y"]}


async def test_json_and_text() -> None:
    async def handler(request: web.Request) -> web.Response:
        data = await request.json()
        text = await request.text()
        return web.json_response({"data": data, "len": len(text)})

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        resp = await client.post(str(url), json={"é": [1, 2]})
    assert resp.json() == {"data": {"é": [1, 2]}, "len": len('{"é":[1,2]}')}
    assert resp.headers["content-type"] == "application/json; charset=utf-8"


async def test_post_multipart_form_with_a_file() -> None:
    import anyiohttp

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["doc"]
        assert isinstance(upload, web.FileField)
        return web.json_response(
            {
                "title": form["title"],
                "filename": upload.filename,
                "type": upload.content_type,
                "content": upload.file.read().decode(),
            }
        )

    app = web.Application()
    app.router.add_post("/", upload)
    form = anyiohttp.FormData()
    form.add_field("title", "Report é")
    form.add_field(
        "doc", b"file body\r\n--not a boundary", filename="r.txt", content_type="text/plain"
    )
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        data = await (await session.post(url, data=form)).json()
        broken = await session.post(
            url, data=b"garbage", headers={"Content-Type": "multipart/form-data; boundary=x"}
        )
    assert data == {
        "title": "Report é", "filename": "r.txt", "type": "text/plain",
        "content": "file body\r\n--not a boundary",
    }  # fmt: skip
    assert broken.status == 400


def test_parse_multipart_sans_io() -> None:
    from anyiohttp.http.exceptions import BadHttpMessage
    from anyiohttp.http.multipart import parse_multipart

    body = (
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n--b--\r\n"
    )
    parts = parse_multipart(body, "multipart/form-data; boundary=b")
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("a", None, b"1"),
        ("f", "x.bin", b"\x00\x01"),
    ]
    with pytest.raises(BadHttpMessage, match="closing boundary"):
        parse_multipart(body[: -len(b"--b--\r\n")], "multipart/form-data; boundary=b")
    with pytest.raises(BadHttpMessage, match="boundary parameter"):
        parse_multipart(body, "multipart/form-data")


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_compressed_request_bodies_are_decoded_within_client_max_size(coding: str) -> None:
    import gzip
    import zlib

    def compress(data: bytes) -> bytes:
        return gzip.compress(data) if coding == "gzip" else zlib.compress(data)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    app = web.Application(client_max_size=1_000_000)
    app.router.add_post("/", handler)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        ok = await client.post(
            str(url), content=compress(b"a" * 500_000), headers={"Content-Encoding": coding}
        )
        bomb = await client.post(
            str(url), content=compress(b"\x00" * 50_000_000), headers={"Content-Encoding": coding}
        )
        broken = await client.post(
            str(url), content=b"not compressed", headers={"Content-Encoding": coding}
        )
    assert ok.text == "500000"
    assert bomb.status_code == 413  # stopped at client_max_size, not at 50 MB
    assert broken.status_code == 400


async def test_streamed_multipart_reader_over_small_reads() -> None:
    import anyiohttp

    async def upload(request: web.Request) -> web.Response:
        reader = await request.multipart()
        seen = []
        async for part in reader:
            if part.filename:
                size = 0
                while chunk := await part.read_chunk(1000):
                    size += len(chunk)
                seen.append([part.name, part.filename, size])
            else:
                seen.append([part.name, await part.text()])
        return web.json_response(seen)

    app = web.Application(client_max_size=1024)  # the stream is not bound by it
    app.router.add_post("/", upload)
    big = bytes(range(256)) * 4000  # boundary-like bytes appear at every offset
    form = anyiohttp.FormData()
    form.add_field("a", "first")
    form.add_field("file", big, filename="big.bin", content_type="application/octet-stream")
    form.add_field("b", "last")
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        data = await (await session.post(url, data=form)).json()
    assert data == [["a", "first"], ["file", "big.bin", len(big)], ["b", "last"]]


async def test_multipart_reader_sans_socket() -> None:
    from multidict import CIMultiDict

    from anyiohttp.http.multipart import MultipartReader
    from anyiohttp.http.streams import StreamReader

    body = (
        b'preamble\r\n--XX\r\nContent-Disposition: form-data; name="j"\r\n'
        b'Content-Type: application/json\r\n\r\n{"k": [1]}\r\n--XX\r\n'
        b'Content-Disposition: form-data; name="empty"\r\n\r\n\r\n--XX--\r\nepilogue'
    )
    stream = StreamReader()
    for i in range(0, len(body), 3):  # three bytes at a time
        stream.feed_data(body[i : i + 3])
    stream.feed_eof()
    reader = MultipartReader(
        CIMultiDict({"Content-Type": "multipart/form-data; boundary=XX"}), stream
    )
    first = await reader.next()
    assert first is not None and await first.json() == {"k": [1]}
    second = await reader.next()
    assert second is not None and second.name == "empty" and await second.read() == b""
    assert await reader.next() is None and reader.at_eof()
