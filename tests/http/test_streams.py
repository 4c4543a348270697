"""StreamReader: the pulled body stream and aiohttp's reading API."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from anyiohttp.http.exceptions import ContentLengthError, LineTooLong
from anyiohttp.http.streams import EMPTY_PAYLOAD, StreamReader

pytestmark = pytest.mark.anyio


PULLS: list[int] = []


def source(*chunks: bytes, error: Exception | None = None) -> StreamReader:
    parts = list(chunks)
    pulls = PULLS
    pulls.clear()

    async def pull() -> bytes:
        pulls.append(1)
        await anyio.lowlevel.checkpoint()
        if parts:
            return parts.pop(0)
        if error is not None:
            raise error
        return b""

    return StreamReader(pull, limit=16)


async def test_read_all_and_read_n() -> None:
    assert await source(b"ab", b"cd", b"e").read() == b"abcde"
    reader = source(b"abc", b"defg")
    assert await reader.read(2) == b"ab"
    assert await reader.read(5) == b"c"  # never waits for more than what is there
    assert await reader.read(5) == b"defg"
    assert await reader.read(5) == b""
    assert reader.at_eof()


async def test_nothing_is_pulled_before_it_is_asked_for() -> None:
    reader = source(b"a", b"b")
    assert PULLS == []
    await reader.readany()
    assert len(PULLS) == 1


async def test_readany_readexactly_readline() -> None:
    reader = source(b"line one\nline", b" two\nrest")
    assert await reader.readline() == b"line one\n"
    assert await reader.readline() == b"line two\n"
    assert await reader.readany() == b"rest"
    reader = source(b"ab", b"cdef")
    assert await reader.readexactly(3) == b"abc"
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await reader.readexactly(5)
    assert info.value.partial == b"def"


async def test_readline_over_the_limit() -> None:
    """As aiohttp: twice the reader's limit (16 here), LineTooLong, or the caller's own."""
    assert await source(b"x" * 15, b"y" * 15, b"\n").readline() == b"x" * 15 + b"y" * 15 + b"\n"
    reader = source(b"x" * 20, b"y" * 20, b"z\n")
    with pytest.raises(LineTooLong, match="Got more than 32 bytes"):
        await reader.readline()
    reader = source(b"x" * 20, b"y" * 20, b"z\n")
    assert await reader.readline(max_line_length=100) == b"x" * 20 + b"y" * 20 + b"z\n"
    with pytest.raises(LineTooLong):
        await source(b"ab" * 10, b"cd").readuntil(b"!", max_size=10)


async def test_iterators() -> None:
    assert [c async for c in source(b"abcde", b"f").iter_chunked(2)] == [b"ab", b"cd", b"e", b"f"]
    assert [c async for c in source(b"ab", b"c").iter_any()] == [b"ab", b"c"]
    assert [c async for c in source(b"a\nb", b"\nc")] == [b"a\n", b"b\n", b"c"]
    assert [c async for c in source(b"ab").iter_chunks()] == [(b"ab", False)]


async def test_source_errors_come_out_of_the_read_and_stay() -> None:
    reader = source(b"ab", error=ContentLengthError("short"))
    assert await reader.read(2) == b"ab"
    with pytest.raises(ContentLengthError):
        await reader.read()
    with pytest.raises(ContentLengthError):
        await reader.readany()
    assert isinstance(reader.exception(), ContentLengthError)


async def test_concurrent_readers_are_refused() -> None:
    gate = anyio.Event()

    async def slow() -> bytes:
        await gate.wait()
        return b""

    reader = StreamReader(slow)
    async with anyio.create_task_group() as tg:
        tg.start_soon(reader.read)
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(RuntimeError, match="one task at a time"):
            await reader.read()
        gate.set()


async def test_fed_reader_without_source() -> None:
    reader = StreamReader()

    async def feed() -> None:
        await anyio.sleep(0.01)
        reader.feed_data(b"hello ")
        await anyio.sleep(0.01)
        reader.feed_data(b"world")
        reader.feed_eof()

    async with anyio.create_task_group() as tg:
        tg.start_soon(feed)
        assert await reader.read() == b"hello world"


async def test_empty_payload() -> None:
    assert await EMPTY_PAYLOAD.read() == b""
    assert EMPTY_PAYLOAD.at_eof()
    with pytest.raises(RuntimeError):
        EMPTY_PAYLOAD.feed_data(b"x")


async def test_read_nowait_takes_what_is_buffered() -> None:
    reader = StreamReader()
    assert reader.read_nowait() == b""  # nothing yet: no wait
    reader.feed_data(b"abc")
    reader.feed_data(b"def")
    assert reader.read_nowait(0) == b""
    assert reader.read_nowait(2) == b"ab"
    assert reader.read_nowait(3) == b"cde"  # across the two pieces
    assert reader.read_nowait() == b"f"
    reader.feed_eof()
    assert reader.read_nowait() == b"" and reader.at_eof()
    assert EMPTY_PAYLOAD.read_nowait() == b""


async def test_read_nowait_pulls_nothing() -> None:
    reader = source(b"one\ntwo", b"three")
    assert reader.read_nowait() == b""
    assert PULLS == []  # it never asks the connection for more
    assert await reader.readline() == b"one\n"
    assert reader.read_nowait() == b"two"  # the rest of what the read brought in
    assert await reader.read() == b"three"


async def test_read_nowait_raises_the_error_and_refuses_a_waiting_reader() -> None:
    gate = anyio.Event()

    async def slow() -> bytes:
        await gate.wait()
        raise ValueError("cut short")

    reader = StreamReader(slow)
    async with anyio.create_task_group() as tg:

        async def read() -> None:
            with pytest.raises(ValueError, match="cut short"):
                await reader.read()

        tg.start_soon(read)
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(RuntimeError, match="waiting for incoming data"):
            reader.read_nowait()
        gate.set()
    with pytest.raises(ValueError, match="cut short"):
        reader.read_nowait()
