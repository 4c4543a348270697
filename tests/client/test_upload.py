"""The response head comes while the request body is still going out (aiohttp's behaviour).

A streaming upload that waits on the response does not deadlock; a server
that answers early (413) or answers and closes before the upload is done
gives its response, not ClientOSError; output_size and upload_complete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio

BIG = b"z" * (8 * 2**20)  # well past what socket buffers hold


@asynccontextmanager
async def raw_server(
    handle: Callable[[anyio.abc.SocketStream], Awaitable[None]],
) -> AsyncIterator[URL]:
    """A TCP server whose every connection is ``handle``d (closed after it)."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def serve_one(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            try:
                await handle(stream)
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                pass  # the client went away

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve_one)
        yield URL(f"http://127.0.0.1:{port}/")
        tg.cancel_scope.cancel()


async def read_head(stream: anyio.abc.SocketStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    return data


def in_use(session: anyiohttp.ClientSession) -> bool:
    return "in_use=0 " not in repr(session.connector)


async def test_a_streaming_upload_that_waits_on_the_response_does_not_deadlock() -> None:
    async def answer_first(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)  # the head goes out before the body is read
        body = await request.read()
        await resp.write(b"got " + body)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/", answer_first)
    head_seen = anyio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"first,"
        await head_seen.wait()  # only once the response head arrived
        yield b"second"

    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(10):
            async with session.post(url, data=body()) as resp:
                assert resp.status == 200
                assert not resp.upload_complete.done()
                head_seen.set()
                assert await resp.read() == b"got first,second"
                await resp.upload_complete
                assert resp.upload_complete.done()
                assert resp.upload_complete.error is None
                # head plus the chunked framing of both pieces
                assert resp.output_size > len(b"first,second") + 100
        assert not in_use(session)
        # The connection went back to the pool: the next request reuses it.
        async with session.post(url, data=b"x") as resp:
            assert await resp.read() == b"got x"
            assert resp.upload_complete.done()  # a small body goes out with the head


@pytest.mark.parametrize("kind", ["bytes", "stream"])
async def test_a_413_before_the_upload_is_done_is_returned(kind: str) -> None:
    app = web.Application(client_max_size=1024)

    async def read_all(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app.router.add_post("/", read_all)

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"s" * 2**17

    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(20):
            async with session.post(url, data=BIG if kind == "bytes" else stream()) as resp:
                assert resp.status == 413
                await resp.read()
        assert not in_use(session)
        async with session.get(url) as resp:  # the pool is intact
            assert resp.status == 405


@pytest.mark.parametrize("kind", ["bytes", "stream"])
async def test_an_answer_then_close_before_the_upload_is_done_is_returned(kind: str) -> None:
    async def answer_and_close(stream: anyio.abc.SocketStream) -> None:
        await read_head(stream)
        await stream.send(
            b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig!"
        )

    async def body() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"s" * 2**17
            await anyio.sleep(0)

    async with raw_server(answer_and_close) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(20):
            async with session.post(url, data=BIG if kind == "bytes" else body()) as resp:
                assert resp.status == 413
                assert await resp.read() == b"big!"
            assert resp.upload_complete.done()
        assert not in_use(session)


async def test_a_close_without_an_answer_is_a_connection_error() -> None:
    async def close_at_once(stream: anyio.abc.SocketStream) -> None:
        await read_head(stream)

    async with raw_server(close_at_once) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(20), pytest.raises(anyiohttp.ClientConnectionError):
            await session.post(url, data=BIG)
        assert not in_use(session)


async def test_a_failing_body_fails_the_request_and_frees_the_connection() -> None:
    async def never_answers(stream: anyio.abc.SocketStream) -> None:
        await read_head(stream)
        await anyio.sleep(30)

    class BodyBroke(Exception):
        pass

    async def body() -> AsyncIterator[bytes]:
        yield b"part"
        raise BodyBroke("the source failed")

    async with raw_server(never_answers) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(10), pytest.raises(BodyBroke, match="the source failed"):
            await session.post(url, data=body())
        assert not in_use(session)


async def test_closing_the_response_stops_the_upload() -> None:
    async def answer_then_wait(stream: anyio.abc.SocketStream) -> None:
        await read_head(stream)
        await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await anyio.sleep(30)  # reads nothing more

    class Endless:
        """An async iterator that never ends (not a generator: nothing to finalize)."""

        produced = 0

        def __aiter__(self) -> Endless:
            return self

        async def __anext__(self) -> bytes:
            self.produced += 1
            await anyio.sleep(0)
            return b"e" * 2**16

    endless = Endless()

    async with raw_server(answer_then_wait) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(10):
            resp = await session.post(url, data=endless)
            assert resp.status == 200 and not resp.upload_complete.done()
            resp.close()
            await resp.upload_complete
        assert not in_use(session)
        stopped_at = endless.produced
        await anyio.sleep(0.05)
        assert endless.produced == stopped_at


async def post(session: anyiohttp.ClientSession, url: URL, data: object) -> None:
    await session.post(url, data=data)


async def test_cancelling_the_request_while_uploading_ends_the_upload() -> None:
    async def never_answers(stream: anyio.abc.SocketStream) -> None:
        await read_head(stream)
        while True:  # reads the body, never answers
            await stream.receive()

    started = anyio.Event()

    async def body() -> AsyncIterator[bytes]:
        started.set()
        while True:
            yield b"c" * 2**16
            await anyio.sleep(0)

    async with raw_server(never_answers) as url, anyiohttp.ClientSession() as session:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(post, session, url, body())
                await started.wait()
                tg.cancel_scope.cancel()
        assert not in_use(session)
    # Leaving the session's block did not hang on a leftover upload task.


async def test_aiohttp_server_answering_413_early(anyio_backend_name: str) -> None:
    """aiohttp's own server refuses a body over client_max_size: we get its 413."""
    if anyio_backend_name != "asyncio":
        pytest.skip("aiohttp's server runs on asyncio only")
    aiohttp_web = pytest.importorskip("aiohttp.web")

    async def read_all(request: aiohttp_web.Request) -> aiohttp_web.Response:
        return aiohttp_web.Response(body=await request.read())

    app = aiohttp_web.Application(client_max_size=1024)
    app.router.add_post("/", read_all)
    runner = aiohttp_web.AppRunner(app, lingering_time=0)  # no 10 s drain at cleanup
    await runner.setup()
    site = aiohttp_web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with anyiohttp.ClientSession() as session:
            with anyio.fail_after(20):
                async with session.post(f"http://127.0.0.1:{port}/", data=BIG) as resp:
                    assert resp.status == 413
    finally:
        await runner.cleanup()
