"""The streamed multipart reader, beside aiohttp's: same parts from the same bytes.

Both readers are given the same stream, one with aiohttp's public reading
API only (``read``, ``readline``, ``at_eof``, ``unread_data``: no
``readany``, no buffer to peek into), delivered in small pieces so every
boundary falls across reads somewhere.
"""

from __future__ import annotations

import asyncio
import random
import warnings
from typing import Any

import aiohttp
import aiohttp.multipart
import anyio
import pytest
from multidict import CIMultiDict

import anyiohttp
import anyiohttp.multipart
from anyiohttp import web
from anyiohttp.http.multipart import BodyPartReader, MultipartReader

from ..conftest import run_app


class PieceStream:
    """aiohttp's public stream reading API over bytes that arrive ``piece`` at a time."""

    def __init__(self, data: bytes, piece: int = 7) -> None:
        self._pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
        self._buffer = b""

    def _next_piece(self) -> None:
        if not self._buffer and self._pieces:
            self._buffer = self._pieces.pop(0)

    async def read(self, n: int = -1) -> bytes:
        self._next_piece()
        if n < 0:
            data, self._buffer = self._buffer + b"".join(self._pieces), b""
            self._pieces = []
            return data
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        line = b""
        while True:
            self._next_piece()
            if not self._buffer:
                return line
            end = self._buffer.find(b"\n")
            if end >= 0:
                line += self._buffer[: end + 1]
                self._buffer = self._buffer[end + 1 :]
                return line
            line += self._buffer
            self._buffer = b""

    def at_eof(self) -> bool:
        return not self._buffer and not self._pieces

    def unread_data(self, data: bytes) -> None:
        self._buffer = data + self._buffer


async def walk(module: Any, body: bytes, content_type: str, how: str, piece: int) -> list[Any]:
    """What a reader of ``module`` makes of ``body``: each part's headers, names and data."""
    reader = module.MultipartReader(
        CIMultiDict({"Content-Type": content_type}), PieceStream(body, piece)
    )
    out: list[Any] = []

    async def parts(reader: Any, depth: int) -> None:
        while True:
            try:
                part = await reader.next()
            except Exception as exc:
                out.append(("error", "ValueError" if isinstance(exc, ValueError) else exc))
                return
            if part is None:
                out.append(("end", depth))
                return
            if isinstance(part, module.MultipartReader):
                out.append(("nested", depth))
                await parts(part, depth + 1)
                continue
            record: list[Any] = [dict(part.headers), part.name, part.filename]
            try:
                if how == "read":
                    record.append(bytes(await part.read()))
                elif how == "decode":
                    record.append(bytes(await part.read(decode=True)))
                elif how == "text":
                    record.append(await part.text())
                elif how == "chunks":
                    chunks = []
                    while chunk := await part.read_chunk(50):
                        chunks.append(chunk)
                    record.append(b"".join(chunks))
                elif how == "lines":
                    lines = []
                    while line := await part.readline():
                        lines.append(line)
                    record.append(lines)
            except ValueError:
                record.append("ValueError")
            out.append(record)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a bad Content-Disposition warns in both
        await parts(reader, 0)
    return out


FORM = "multipart/form-data; boundary=XX"
MIXED = "multipart/mixed; boundary=XX"
BODIES = {
    "form": (
        b'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="f"; filename="x y.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n--XX--\r\n",
        FORM,
    ),
    "preamble and epilogue": (
        b'preamble\r\nmore\r\n--XX\r\nContent-Disposition: form-data; name="j"\r\n\r\n'
        b'{"k": 1}\r\n--XX--\r\nepilogue',
        FORM,
    ),
    "nested": (
        b"--XX\r\nContent-Type: multipart/mixed; boundary=YY\r\n\r\n"
        b"--YY\r\nContent-Type: text/plain\r\n\r\ninner1\r\n--YY\r\n\r\ninner2\r\n--YY--\r\n"
        b'\r\n--XX\r\nContent-Disposition: form-data; name="after"\r\n\r\nouter\r\n--XX--\r\n',
        MIXED,
    ),
    "content-length": (b"--XX\r\nContent-Length: 5\r\n\r\nab\r\nc\r\n--XX--\r\n", MIXED),
    "content-length ignored in form-data": (
        b'--XX\r\nContent-Length: nonsense\r\nContent-Disposition: form-data; name="a"\r\n'
        b"\r\nabc\r\n--XX--\r\n",
        FORM,
    ),
    "base64": (
        b"--XX\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n--XX--\r\n",
        MIXED,
    ),
    "quoted-printable": (
        b"--XX\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--XX--\r\n",
        MIXED,
    ),
    "no starting boundary": (b"no boundary here\r\n", MIXED),
    "bad boundary": (b"--XX\r\n\r\nabc\r\n--XXjunk\r\n--XX--\r\n", MIXED),
    "rfc 5987 filename": (
        b"--XX\r\nContent-Disposition: attachment; filename*=utf-8''caf%C3%A9.txt\r\n\r\n"
        b"x\r\n--XX--\r\n",
        MIXED,
    ),
    "filename continuation": (
        b'--XX\r\nContent-Disposition: attachment; filename*0="foo."; filename*1="html"'
        b"\r\n\r\nx\r\n--XX--\r\n",
        MIXED,
    ),
    "delimiter-like bytes in a body": (
        b"--XX\r\n\r\n\r\n\r\n--X\r\n--XX\r\n\r\n--XX--\r\n",
        MIXED,
    ),
    "charset in content type": (
        b"--XX\r\nContent-Type: text/plain; charset=latin-1\r\n\r\ncaf\xe9\r\n--XX--\r\n",
        MIXED,
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["read", "decode", "text", "chunks", "lines", "skip"])
@pytest.mark.parametrize("name", list(BODIES))
async def test_parts_read_as_aiohttp_reads_them(name: str, how: str) -> None:
    body, content_type = BODIES[name]
    for piece in (1, 7, 1000):
        ours = await walk(anyiohttp.multipart, body, content_type, how, piece)
        theirs = await walk(aiohttp.multipart, body, content_type, how, piece)
        assert ours == theirs, piece


@pytest.mark.anyio
async def test_random_bodies_read_as_aiohttp_reads_them() -> None:
    rnd = random.Random(11)
    pieces = [b"a", b"\r\n", b"-", b"--", b"X", b"\r", b"\n", b"--XX", b"\r\n--X", b"\x00", b"\xff"]
    for _ in range(400):
        parts = []
        for _ in range(rnd.randint(0, 3)):
            content = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8)))
            if b"\r\n--XX" in b"\r\n" + content + b"\r\n":
                continue  # a body may not hold its own delimiter (RFC 2046 5.1.1)
            parts.append(b'Content-Disposition: form-data; name="p"\r\n\r\n' + content)
        body = b"".join(b"--XX\r\n" + part + b"\r\n" for part in parts) + b"--XX--\r\n"
        how = rnd.choice(["read", "chunks", "skip"])
        piece = rnd.choice([1, 2, 5, 64])
        assert await walk(anyiohttp.multipart, body, FORM, how, piece) == await walk(
            aiohttp.multipart, body, FORM, how, piece
        ), body


@pytest.mark.anyio
@pytest.mark.parametrize("length", ["+5", "5x", "-5", "1_0", "\u0665", "five"])
async def test_a_malformed_content_length_is_a_value_error(length: str) -> None:
    body = f"--XX\r\nContent-Length: {length}\r\n\r\nabcde\r\n--XX--\r\n".encode()
    reader = MultipartReader(CIMultiDict({"Content-Type": MIXED}), PieceStream(body))
    with pytest.raises(ValueError, match="invalid Content-Length"):
        await reader.next()
    their_reader = aiohttp.MultipartReader(CIMultiDict({"Content-Type": MIXED}), PieceStream(body))
    with pytest.raises(ValueError, match="invalid Content-Length"):
        await their_reader.next()


@pytest.mark.anyio
async def test_a_part_reads_by_next_iteration_and_lines() -> None:
    body = b"--XX\r\n\r\nline one\r\nline two\r\n--XX\r\n\r\nsecond\r\n--XX--\r\n"
    reader = MultipartReader(CIMultiDict({"Content-Type": MIXED}), PieceStream(body, 3))
    first = await reader.next()
    assert isinstance(first, BodyPartReader)
    assert await first.readline() == b"line one\r\n"
    assert await first.readline() == b"line two"  # the CRLF before a boundary is its own
    assert await first.readline() == b""
    second = await reader.next()
    assert isinstance(second, BodyPartReader)
    assert [data async for data in second] == [b"second"]  # next(): the whole part, once
    assert await second.next() is None
    assert await reader.next() is None and reader.at_eof()


def test_the_names_import_from_where_aiohttp_has_them() -> None:
    for name in ("parse_content_disposition", "content_disposition_filename", "BodyPartReader"):
        assert getattr(anyiohttp, name) is getattr(anyiohttp.multipart, name)
    assert issubclass(anyiohttp.BadContentDispositionHeader, RuntimeWarning)
    assert anyiohttp.multipart.MultipartWriter is anyiohttp.MultipartWriter


def test_parse_content_disposition_is_aiohttps() -> None:
    headers = [
        None,
        "",
        'form-data; name="field"',
        'attachment; filename="a\\"b.txt"',
        "attachment; filename*=utf-8''caf%C3%A9.txt",
        "attachment; filename*=bogus''caf%C3%A9.txt",
        'attachment; filename="foo;bar.txt"',
        "attachment; filename=plain.txt; size=10",
        'attachment; filename*0="foo."; filename*1="html"',
        "attachment;",
        "attachment; name",
        'attachment; name="a"; name="b"',
        "inline; bad key=1",
        "@ttachment",
        'attachment; filename="\\\\server\\share.txt"',
        'attachment; filename=="x"',
    ]
    for header in headers:
        with warnings.catch_warnings(record=True) as ours_warned:
            warnings.simplefilter("always")
            ours = anyiohttp.multipart.parse_content_disposition(header)
        with warnings.catch_warnings(record=True) as theirs_warned:
            warnings.simplefilter("always")
            theirs = aiohttp.multipart.parse_content_disposition(header)
        assert ours == theirs, header
        assert [w.category.__name__ for w in ours_warned] == [
            w.category.__name__ for w in theirs_warned
        ], header
        for name in ("filename", "name"):
            assert anyiohttp.multipart.content_disposition_filename(
                ours[1], name
            ) == aiohttp.multipart.content_disposition_filename(theirs[1], name), header


@pytest.mark.anyio
async def test_from_response_reads_a_multipart_response_and_releases_it() -> None:
    async def handler(request: web.Request) -> web.Response:
        with anyiohttp.MultipartWriter("mixed") as writer:
            writer.append("first part")
            writer.append_json({"second": [1, 2]})
            part = writer.append(b"\x00\x01binary")
            part.set_content_disposition("attachment", filename="data.bin")
        return web.Response(body=writer)

    app = web.Application()
    app.router.add_get("/", handler)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        resp = await session.get(url)
        reader = MultipartReader.from_response(resp)
        seen: list[Any] = []
        async for part in reader:
            assert isinstance(part, BodyPartReader)
            if part.headers["Content-Type"] == "application/json":
                seen.append(await part.json())
            elif part.filename:
                seen.append((part.filename, bytes(await part.read())))
            else:
                seen.append(await part.text())
        assert reader.at_eof()
        assert seen == ["first part", {"second": [1, 2]}, ("data.bin", b"\x00\x01binary")]
        # The response was released at the end: its connection went back whole.
        again = await session.get(url)
        assert again.status == 200
        await again.read()


@pytest.mark.anyio
async def test_request_multipart_reads_what_aiohttps_client_sends() -> None:
    got: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, MultipartReader):
                got.append([await inner.text() async for inner in part])  # type: ignore[union-attr]
            else:
                got.append((part.name, part.filename, await part.text()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/", handler)

    async def send(url: str) -> str:
        with aiohttp.MultipartWriter("mixed") as writer:
            writer.append("plain")
            writer.append("encoded " * 30, {"Content-Encoding": "gzip"})
            writer.append("base64 é", {"Content-Transfer-Encoding": "base64"})
            inner = aiohttp.MultipartWriter("related")
            inner.append("inner one")
            inner.append("inner two")
            writer.append(inner)
            named = writer.append("named")
            named.set_content_disposition("attachment", filename="n.txt")
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=writer) as resp:
                return await resp.text()

    async with run_app(app) as url:
        assert await anyio.to_thread.run_sync(asyncio.run, send(str(url))) == "ok"
    assert got == [
        (None, None, "plain"),
        (None, None, "encoded " * 30),
        (None, None, "base64 é"),
        ["inner one", "inner two"],
        (None, "n.txt", "named"),
    ]
