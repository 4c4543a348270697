"""MultipartWriter and FormData as aiohttp's: the same API and the same bytes."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import aiohttp.web
import anyio
import pytest

import anyiohttp
from anyiohttp import web

from ..conftest import run_app


class Sink:
    """Collects what a payload writes (``await payload.write(sink)``)."""

    def __init__(self) -> None:
        self.data = bytearray()

    async def write(self, data: bytes) -> None:
        self.data += data


async def written(writer: Any) -> bytes:
    sink = Sink()
    await writer.write(sink)
    return bytes(sink.data)


def build(module: Any) -> Any:
    """The same multipart body, built with ``module``'s MultipartWriter."""
    with module.MultipartWriter("mixed", boundary="bnd") as writer:
        writer.append("text é")
        writer.append(b"\x00bytes")
        writer.append_json({"a": [1, "é"]})
        writer.append_form([("k", "v w"), ("x", "é")])
        part = writer.append("attach me", {"X-Extra": "1"})
        part.set_content_disposition("attachment", filename="r é.txt")  # after append
        writer.append("base64 " * 7, {"Content-Transfer-Encoding": "base64"})
        writer.append("gzipped " * 50, {"Content-Encoding": "gzip"})
        writer.append("qp é= " * 20, {"Content-Transfer-Encoding": "quoted-printable"})
        writer.append(
            "both " * 20, {"Content-Encoding": "deflate", "Content-Transfer-Encoding": "base64"}
        )
        inner = module.MultipartWriter("related", boundary="inner")
        inner.append("nested")
        writer.append(inner)
    return writer


@pytest.mark.anyio
async def test_the_body_is_byte_for_byte_aiohttps() -> None:
    ours, theirs = build(anyiohttp), build(aiohttp)
    assert await written(ours) == await written(theirs)
    assert (
        dict(ours.headers)
        == dict(theirs.headers)
        == {"Content-Type": "multipart/mixed; boundary=bnd"}
    )
    # Iteration gives (payload, content encoding, transfer encoding), as aiohttp's.
    assert [(enc, te) for _, enc, te in ours] == [(enc, te) for _, enc, te in theirs]
    assert len(ours) == len(theirs) == 10
    assert ours.size is None  # encoded parts: unknown until written, as aiohttp


@pytest.mark.anyio
@pytest.mark.parametrize("subtype", ["mixed", "form-data", "related"])
async def test_size_is_the_length_of_what_is_written(subtype: str) -> None:
    def make(module: Any) -> Any:
        writer = module.MultipartWriter(subtype, boundary="b0undary")
        writer.append("text")
        writer.append(b"\xffbin")
        writer.append_json([1, 2])
        part = writer.append("later")
        part.set_content_disposition("attachment", filename="late.txt")
        return writer

    ours, theirs = make(anyiohttp), make(aiohttp)
    body = await written(ours)
    assert ours.size == len(body) == theirs.size
    assert body == await written(theirs)
    assert bool(anyiohttp.MultipartWriter()) is True  # empty, still a body


def test_a_boundary_outside_the_token_grammar_is_quoted_as_aiohttp() -> None:
    for boundary in ("simple", "with space", 'quo"te', "a:b"):
        ours = anyiohttp.MultipartWriter("mixed", boundary=boundary)
        theirs = aiohttp.MultipartWriter("mixed", boundary=boundary)
        assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
        assert ours.boundary == theirs.boundary == boundary
    with pytest.raises(ValueError, match="ASCII only"):
        anyiohttp.MultipartWriter(boundary="é")


@pytest.mark.anyio
async def test_set_content_disposition_on_an_appended_part_reaches_the_server() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        async for part in reader:
            assert isinstance(part, anyiohttp.BodyPartReader)
            seen.append((part.headers.get("Content-Disposition"), part.filename, await part.text()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/", handler)
    with anyiohttp.MultipartWriter("mixed") as writer:
        first = writer.append("report body")
        writer.append("second")
        first.set_content_disposition("attachment", filename="report.txt")
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.post(url, data=writer) as resp:
            assert await resp.text() == "ok"
    assert seen == [
        ('attachment; filename="report.txt"', "report.txt", "report body"),
        (None, None, "second"),
    ]


@pytest.mark.anyio
async def test_encoded_parts_decode_in_aiohttps_reader() -> None:
    """Parts we gzip, deflate, base64 or quoted-printable are read back by aiohttp's server."""
    texts = ["gzip " * 100, "deflate é " * 50, "base64 é", "qp = é " * 30]
    codings = [
        {"Content-Encoding": "gzip"},
        {"Content-Encoding": "deflate"},
        {"Content-Transfer-Encoding": "base64"},
        {"Content-Transfer-Encoding": "quoted-printable"},
    ]

    async def serve_and_post() -> list[str]:
        got: list[str] = []

        async def handler(request: aiohttp.web.Request) -> aiohttp.web.Response:
            reader = await request.multipart()
            async for part in reader:
                got.append(await part.text())  # type: ignore[union-attr]
            return aiohttp.web.Response(text="ok")

        app = aiohttp.web.Application()
        app.router.add_post("/", handler)
        runner = aiohttp.web.AppRunner(app)
        await runner.setup()
        site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            # Our client, on this (asyncio) loop, posting to aiohttp's server.
            writer = anyiohttp.MultipartWriter("mixed")
            for text, headers in zip(texts, codings, strict=True):
                writer.append(text, headers)
            async with anyiohttp.ClientSession() as session:
                async with session.post(f"http://127.0.0.1:{port}/", data=writer) as resp:
                    assert await resp.text() == "ok"
        finally:
            await runner.cleanup()
        return got

    assert await anyio.to_thread.run_sync(asyncio.run, serve_and_post()) == texts


@pytest.mark.anyio
async def test_formdata_field_encoded_in_its_content_types_charset() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        async for part in reader:
            assert isinstance(part, anyiohttp.BodyPartReader)
            raw = bytes(await part.read())
            seen.append((part.name, part.headers["Content-Type"], raw))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/", handler)
    form = anyiohttp.FormData()
    form.add_field("greeting", "привет", content_type="text/plain; charset=koi8-r")
    form.add_field("plain", "é")
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.post(url, data=form) as resp:
            assert await resp.text() == "ok"
    assert seen == [
        ("greeting", "text/plain; charset=koi8-r", "привет".encode("koi8-r")),
        ("plain", "text/plain; charset=utf-8", "é".encode()),
    ]

    # The part's bytes are the ones aiohttp's FormData sends.
    theirs = aiohttp.FormData()
    theirs.add_field("greeting", "привет", content_type="text/plain; charset=koi8-r")
    their_part = next(iter(theirs()))[0]
    our_part = next(iter(form()))[0]
    assert await our_part.as_bytes() == await their_part.as_bytes() == "привет".encode("koi8-r")


@pytest.mark.anyio
async def test_a_koi8_r_field_reads_back_as_text_through_its_charset() -> None:
    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        part = await reader.next()
        assert isinstance(part, anyiohttp.BodyPartReader)
        return web.Response(text=await part.text())

    app = web.Application()
    app.router.add_post("/", handler)
    form = anyiohttp.FormData()
    form.add_field("greeting", "привет мир", content_type="text/plain; charset=koi8-r")
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.post(url, data=form) as resp:
            assert await resp.text() == "привет мир"


def test_urlencoded_form_names_a_charset_other_than_utf8_as_aiohttp() -> None:
    for charset in (None, "utf-8", "koi8-r"):
        ours = anyiohttp.FormData({"k": "привет"}, charset=charset)()
        theirs = aiohttp.FormData({"k": "привет"}, charset=charset)()
        assert ours.content_type == theirs.content_type
        assert ours.decode() == theirs.decode()


def test_form_data_parts_refuse_headers_rfc_7578_forbids() -> None:
    writer = anyiohttp.MultipartWriter("form-data")
    with pytest.raises(ValueError, match="Content-Length"):
        writer.append("x", {"Content-Length": "1"})
    assert len(writer) == 0
    writer.append("named after its index")
    assert "section-0" in next(iter(writer))[0].headers["Content-Disposition"]
