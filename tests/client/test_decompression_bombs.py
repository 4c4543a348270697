"""Compressed bodies are decoded in bounded steps on both sides, whatever the ratio.

A few hundred bytes of brotli inflate to 256 MiB: the client's reads and the
server's ``client_max_size`` must apply to what was inflated step by step,
never after one step inflated it all.
"""

from __future__ import annotations

import functools
import gzip
import random
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

brotli = pytest.importorskip("brotli")

pytestmark = pytest.mark.anyio

STEP = 2**16
# Far below the inflated sizes (64 and 256 MiB), far above what a bounded
# decoder and the framework around it need.
MEMORY_CEILING = 32 * 2**20


@functools.cache
def bomb(coding: str) -> bytes:
    """A small body that inflates to 256 MiB (br) or 64 MiB (gzip, deflate) of zeros."""
    if coding == "br":
        data = brotli.compress(bytes(256 * 2**20), quality=5)
        assert len(data) < 1000
        return data  # type: ignore[no-any-return]
    zeros = bytes(64 * 2**20)
    return gzip.compress(zeros, 6) if coding == "gzip" else zlib.compress(zeros, 6)


@functools.cache
def encoded_text(coding: str) -> bytes:
    data = big_text()
    if coding == "br":
        return brotli.compress(data, quality=5)  # type: ignore[no-any-return]
    return gzip.compress(data) if coding == "gzip" else zlib.compress(data)


@functools.cache
def big_text() -> bytes:
    """3 MiB that compress well but not to nothing: many decoding steps."""
    rng = random.Random(1)
    words = [bytes(rng.choices(b"abcdefghij ", k=rng.randint(2, 9))) for _ in range(500)]
    out = bytearray()
    while len(out) < 3 * 2**20:
        out += rng.choice(words) + b" "
    return bytes(out)


@asynccontextmanager
async def peak_memory() -> AsyncIterator[list[int]]:
    """Traces Python allocations in the block; the list holds the peak afterwards."""
    found: list[int] = []
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        yield found
        found.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


CODINGS = ["br", "gzip", "deflate"]


@pytest.mark.parametrize("coding", CODINGS)
async def test_client_reads_a_bomb_in_bounded_steps(coding: str) -> None:
    body = bomb(coding)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": coding})

    app = web.Application()
    app.router.add_get("/", handler)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with peak_memory() as peak:
            async with session.get(url) as resp:
                sizes = [len(await resp.content.read(STEP)) for _ in range(32)]
                biggest = 0
                async for chunk in resp.content.iter_any():
                    biggest = max(biggest, len(chunk))
                    if resp.content.total_bytes > 8 * 2**20:
                        break  # the reader decides how much is inflated
    assert all(0 < size <= STEP for size in sizes)
    assert sum(sizes) >= 16 * STEP
    assert 0 < biggest <= STEP
    assert peak[0] < MEMORY_CEILING


@pytest.mark.parametrize("coding", CODINGS)
async def test_server_stops_a_bomb_at_client_max_size(coding: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    app = web.Application(client_max_size=2**20)
    app.router.add_post("/", handler)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with peak_memory() as peak:
            async with session.post(
                url, data=bomb(coding), headers={"Content-Encoding": coding}
            ) as resp:
                assert resp.status == 413
    assert peak[0] < MEMORY_CEILING


@pytest.mark.parametrize("coding", CODINGS)
async def test_server_hands_a_bomb_to_the_handler_in_bounded_steps(coding: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        biggest = total = 0
        while total < 8 * 2**20:
            chunk = await request.content.readany()
            assert chunk
            biggest = max(biggest, len(chunk))
            total += len(chunk)
        return web.Response(text=str(biggest))

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with peak_memory() as peak:
            async with session.post(
                url, data=bomb(coding), headers={"Content-Encoding": coding}
            ) as resp:
                assert resp.status == 200
                assert 0 < int(await resp.text()) <= STEP
    assert peak[0] < MEMORY_CEILING


@pytest.mark.parametrize("coding", CODINGS)
async def test_bodies_over_many_steps_decode_whole_on_both_sides(coding: str) -> None:
    text = big_text()
    encoded = encoded_text(coding)

    async def download(request: web.Request) -> web.Response:
        return web.Response(body=encoded, headers={"Content-Encoding": coding})

    async def upload(request: web.Request) -> web.Response:
        return web.Response(text=str(await request.read() == text))

    app = web.Application(client_max_size=2 * len(text))
    app.router.add_get("/", download)
    app.router.add_post("/", upload)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            assert await resp.read() == text
        async with session.post(url, data=encoded, headers={"Content-Encoding": coding}) as resp:
            assert await resp.text() == "True"


@pytest.mark.parametrize("coding", CODINGS)
async def test_a_body_that_does_not_decode_is_a_client_payload_error(coding: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b"\xff" * 100, headers={"Content-Encoding": coding})

    async def upload(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    app = web.Application()
    app.router.add_get("/", handler)
    app.router.add_post("/", upload)
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            with pytest.raises(anyiohttp.ClientPayloadError, match=coding):
                await resp.read()
        async with session.post(url, data=b"\xff" * 100, headers={"Content-Encoding": coding}) as r:
            assert r.status == 400
