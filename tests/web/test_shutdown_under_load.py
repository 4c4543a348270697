"""Shutdown under load: no request on a kept-alive connection is lost to a reset.

Clients are plain blocking sockets driven from worker threads, so what the
server does (answer, FIN, reset) is seen as the kernel reports it. Requests
are written from the event loop's own thread between two awaits, so they are
in the server's socket buffers before any server task runs: the test does not
depend on timing to put them there.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc
import pytest

from anyiohttp import web

from ..conftest import split_responses

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("each_parser")]

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
PER_GROUP = 16


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


def read_to_end(sock: socket.socket) -> bytes | ConnectionResetError:
    """Everything until the server's FIN, or the reset that came instead."""
    chunks: list[bytes] = []
    try:
        for _ in range(1000):  # bounded: a response here is a few hundred bytes
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except ConnectionResetError as exc:
        return exc
    raise AssertionError("the server kept sending")


def first_response(sock: socket.socket) -> None:
    """Make one request and read its response, leaving the connection idle."""
    sock.sendall(REQUEST)
    data = b""
    while not data.endswith(b"hello"):
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk


def read_then_close(sock: socket.socket) -> bytes | ConnectionResetError:
    """Read to the server's FIN, then close the sending side, as a client does."""
    outcome = read_to_end(sock)
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError as exc:  # the connection was reset meanwhile
        return ConnectionResetError(str(exc))
    return outcome


def send_after_fin(sock: socket.socket) -> bytes | ConnectionResetError:
    """A client that sends a request just after the server closed its idle connection."""
    outcome = read_to_end(sock)
    try:
        sock.sendall(REQUEST)
        sock.shutdown(socket.SHUT_WR)
    except OSError as exc:  # the connection was reset meanwhile
        return ConnectionResetError(str(exc))
    return outcome


def reset_seen(sock: socket.socket) -> bool:
    """Whether a reset came on ``sock`` (it leaves a pending socket error)."""
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0


async def in_threads(
    func: Callable[[socket.socket], object], socks: list[socket.socket]
) -> list[Any]:
    results: list[object] = [None] * len(socks)

    async def one(i: int) -> None:
        results[i] = await anyio.to_thread.run_sync(func, socks[i])

    async with anyio.create_task_group() as tg:
        for i in range(len(socks)):
            tg.start_soon(one, i)
    return results


def assert_answered_then_closed(outcome: object) -> None:
    assert isinstance(outcome, bytes), f"reset instead of an answer: {outcome!r}"
    assert outcome, "closed without an answer to a request that had arrived"
    [(head, body)] = split_responses(outcome)
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"\r\nConnection: close" in head, head
    assert body == b"hello"


async def test_requests_sent_as_shutdown_begins_are_answered_or_cleanly_closed() -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=10)
    stop = anyio.Event()

    async def serve(*, task_status: anyio.abc.TaskStatus[int]) -> None:
        async with runner:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            task_status.started(site.port)
            await stop.wait()

    socks: list[socket.socket] = []
    try:
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                port = await tg.start(serve)
                for _ in range(4 * PER_GROUP):
                    socks.append(socket.create_connection(("127.0.0.1", port)))
                await in_threads(first_response, socks)
                before = socks[:PER_GROUP]
                after = socks[PER_GROUP : 2 * PER_GROUP]
                silent = socks[2 * PER_GROUP : 3 * PER_GROUP]
                late = socks[3 * PER_GROUP :]
                # No await from here to stop.set(): no server task runs in
                # between, so these requests wait unread in the server's
                # socket buffers as shutdown closes the idle connections.
                for sock in before:
                    sock.sendall(REQUEST)
                assert runner.server is not None
                runner.server.begin_shutdown()
                for sock in after:
                    sock.sendall(REQUEST)
                stop.set()
                outcomes = await in_threads(read_then_close, before + after + silent)
                late_outcomes = await in_threads(send_after_fin, late)
            # The server is gone: whatever it did to each socket has arrived.
            resets = [i for i, sock in enumerate(socks) if reset_seen(sock)]
    finally:
        for sock in socks:
            sock.close()
    for outcome in outcomes[: 2 * PER_GROUP]:
        assert_answered_then_closed(outcome)
    # Idle ones end with a clean FIN, nothing sent.
    assert outcomes[2 * PER_GROUP :] == [b""] * PER_GROUP
    # A request sent after the FIN is read and dropped, not answered with a
    # reset: the client saw the end of the stream before it sent.
    assert late_outcomes == [b""] * PER_GROUP
    assert resets == []
