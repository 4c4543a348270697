"""Close handshake states as aiohttp has them, checked against aiohttp itself.

Each scenario runs the same handler (or client code) on our WebSocket and
on aiohttp's, against the same raw peer over 127.0.0.1, and both must log
the same: what ``receive()`` returns, ``closed`` / ``close_code`` /
``exception()`` along the way, and whether a send raises. aiohttp runs on
asyncio in a thread of its own, so the comparison holds on trio too.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import struct
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import aiohttp.web
import anyio
import anyio.abc
import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.http.websocket import accept_token

from ..conftest import run_app

pytestmark = pytest.mark.anyio

Log = list[str]
Scenario = Callable[[Any, Log], Awaitable[None]]
Peer = Callable[[anyio.abc.SocketStream], Awaitable[None]]


def state(ws: Any) -> str:
    """``closed``, ``close_code`` and ``exception()``, the last by kind and text."""
    return f"closed={ws.closed} code={ws.close_code} exc={describe(ws.exception())}"


def describe(exc: BaseException | None) -> str:
    if exc is None:
        return "None"
    # aiohttp raises its ClientConnectionResetError on both sides; ours on the
    # server is the plain ConnectionResetError below it.
    for kind in (ConnectionResetError, TimeoutError):
        if isinstance(exc, kind):
            return f"{kind.__name__}({exc})"
    return f"{type(exc).__name__}({exc})"


async def received(ws: Any, log: Log) -> None:
    try:
        msg = await ws.receive()
    except RuntimeError as exc:
        log.append(f"receive raised RuntimeError({exc})")
        return
    data = describe(msg.data) if isinstance(msg.data, BaseException) else repr(msg.data)
    log.append(f"{msg.type.name} {data} {msg.extra!r} | {state(ws)}")


async def sends(ws: Any, log: Log) -> None:
    for name, send in (
        ("send_str", lambda: ws.send_str("x")),
        ("send_bytes", lambda: ws.send_bytes(b"y")),
        ("ping", lambda: ws.ping(b"p")),
    ):
        try:
            await send()
        except ConnectionResetError as exc:
            log.append(f"{name}: ConnectionResetError({exc})")
        else:
            log.append(f"{name}: ok")


def frame(opcode: int, payload: bytes = b"", *, masked: bool) -> bytes:
    assert len(payload) < 126
    if not masked:
        return bytes([0x80 | opcode, len(payload)]) + payload
    mask = b"\x01\x02\x03\x04"
    return (
        bytes([0x80 | opcode, 0x80 | len(payload)])
        + mask
        + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )


def close_frame(code: int, reason: bytes = b"", *, masked: bool) -> bytes:
    return frame(0x8, struct.pack("!H", code) + reason, masked=masked)


async def read_until_close_frame(stream: anyio.abc.SocketStream, data: bytes = b"") -> bytes:
    """Read until a Close frame (opcode 8, unmasked or masked) arrived; the bytes so far."""
    while True:
        pos = 0
        while pos + 2 <= len(data):
            length = data[pos + 1] & 0x7F
            start = pos + 2 + (4 if data[pos + 1] & 0x80 else 0)
            if start + length > len(data):
                break
            if data[pos] & 0x0F == 0x8:
                return data
            pos = start + length
        try:
            data += await stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return data


async def drain(stream: anyio.abc.SocketStream) -> None:
    """Read until the other side closes."""
    try:
        while True:
            await stream.receive()
    except (anyio.EndOfStream, anyio.BrokenResourceError):
        pass


def reset(stream: anyio.abc.SocketStream) -> None:
    """Make the next close a RST (an abnormal end, no Close frame)."""
    raw = stream.extra(anyio.abc.SocketAttribute.raw_socket)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# -- the server side: a raw client against our server and aiohttp's ----------------

HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)


async def open_client(port: int) -> anyio.abc.SocketStream:
    stream = await anyio.connect_tcp("127.0.0.1", port)
    await stream.send(HANDSHAKE)
    head = b""
    while b"\r\n\r\n" not in head:
        head += await stream.receive()
    assert head.startswith(b"HTTP/1.1 101"), head
    return stream


async def run_on_server(impl: str, scenario: Scenario, peer: Peer, **ws_kwargs: Any) -> Log:
    """Run ``scenario`` in a WebSocket handler of ``impl``, with ``peer`` as the client."""
    log: Log = []
    done = threading.Event()

    def handler_for(module: Any) -> Any:
        async def handler(request: Any) -> Any:
            ws = module.WebSocketResponse(**ws_kwargs)
            await ws.prepare(request)
            try:
                await scenario(ws, log)
            except Exception as exc:  # logged: the comparison shows it
                log.append(f"handler raised {describe(exc)}")
            finally:
                done.set()
            return ws

        return handler

    async def client(port: int) -> None:
        stream = await open_client(port)
        async with stream:
            await peer(stream)
        with anyio.fail_after(10):
            await anyio.to_thread.run_sync(done.wait)

    with anyio.fail_after(20):
        if impl == "anyiohttp":
            app = web.Application()
            app.router.add_get("/ws", handler_for(web))
            async with run_app(app) as url:
                assert url.port is not None
                await client(url.port)
        else:
            ports: queue.Queue[int] = queue.Queue()
            stop = threading.Event()

            async def serve_aiohttp() -> None:
                app = aiohttp.web.Application()
                app.router.add_get("/ws", handler_for(aiohttp.web))
                runner = aiohttp.web.AppRunner(app)
                await runner.setup()
                site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                ports.put(runner.addresses[0][1])
                await asyncio.get_running_loop().run_in_executor(None, stop.wait)
                await runner.cleanup()

            async with anyio.create_task_group() as tg:
                tg.start_soon(anyio.to_thread.run_sync, asyncio.run, serve_aiohttp())
                try:
                    await client(await anyio.to_thread.run_sync(ports.get, True, 10))
                finally:
                    stop.set()
    return log


IMPLS = ["anyiohttp", "aiohttp"]


@pytest.mark.parametrize("impl", IMPLS)
async def test_server_sends_after_the_peer_closed_are_absorbed_until_it_receives_close(
    impl: str,
) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)  # the Close came in the same segment
        log.append(state(ws))
        await sends(ws, log)
        await received(ws, log)
        await sends(ws, log)
        for _ in range(5):  # the server refuses the fifth receive() once closed
            await received(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await stream.send(
            frame(0x1, b"first", masked=True) + close_frame(4000, b"bye", masked=True)
        )
        await drain(stream)

    log = await run_on_server(impl, scenario, peer)
    closed_send = "ConnectionResetError(Cannot write to closing transport)"
    assert log == [
        "TEXT 'first' '' | closed=False code=None exc=None",
        "closed=False code=None exc=None",
        "send_str: ok",
        "send_bytes: ok",
        "ping: ok",
        "CLOSE 4000 'bye' | closed=True code=4000 exc=None",
        f"send_str: {closed_send}",
        f"send_bytes: {closed_send}",
        f"ping: {closed_send}",
        "CLOSED None None | closed=True code=4000 exc=None",
        "CLOSED None None | closed=True code=4000 exc=None",
        "CLOSED None None | closed=True code=4000 exc=None",
        "CLOSED None None | closed=True code=4000 exc=None",
        "receive raised RuntimeError(WebSocket connection is closed.)",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_server_abnormal_closure_is_closed_with_1006(impl: str) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)
        await received(ws, log)  # the peer is gone: no Close frame came
        await sends(ws, log)
        await received(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await stream.send(frame(0x1, b"first", masked=True))
        reset(stream)

    log = await run_on_server(impl, scenario, peer)
    gone = "exc=ConnectionResetError(Cannot write to closing transport)"
    assert log == [
        "TEXT 'first' '' | closed=False code=None exc=None",
        f"CLOSED None None | closed=True code=1006 {gone}",
        "send_str: ConnectionResetError(Cannot write to closing transport)",
        "send_bytes: ConnectionResetError(Cannot write to closing transport)",
        "ping: ConnectionResetError(Cannot write to closing transport)",
        f"CLOSED None None | closed=True code=1006 {gone}",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_server_close_drops_pending_messages_and_receive_is_closed(impl: str) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)  # "p1" and "p2" came in the same segment
        log.append(f"close() -> {await ws.close(code=4001)} | {state(ws)}")
        await received(ws, log)
        await sends(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await stream.send(
            frame(0x1, b"first", masked=True)
            + frame(0x1, b"p1", masked=True)
            + frame(0x1, b"p2", masked=True)
        )
        await read_until_close_frame(stream)
        await stream.send(close_frame(4001, masked=True))  # the echo
        await drain(stream)

    log = await run_on_server(impl, scenario, peer)
    closed_send = "ConnectionResetError(Cannot write to closing transport)"
    assert log == [
        "TEXT 'first' '' | closed=False code=None exc=None",
        "close() -> True | closed=True code=4001 exc=None",
        "CLOSED None None | closed=True code=4001 exc=None",
        f"send_str: {closed_send}",
        f"send_bytes: {closed_send}",
        f"ping: {closed_send}",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_server_close_without_an_echo_times_out_as_1006(impl: str) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        log.append(f"close() -> {await ws.close()} | {state(ws)}")
        await received(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await drain(stream)  # never answers the Close

    log = await run_on_server(impl, scenario, peer, timeout=0.3)
    assert log == [
        "close() -> True | closed=True code=1006 exc=TimeoutError()",
        "CLOSED None None | closed=True code=1006 exc=TimeoutError()",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_server_heartbeat_without_pong_closes_with_aiohttps_error(impl: str) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)
        await received(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await drain(stream)  # reads the pings, never answers them

    log = await run_on_server(impl, scenario, peer, heartbeat=0.2)
    error = "TimeoutError(No PONG received after 0.1 seconds)"
    assert log == [
        f"ERROR {error} None | closed=True code=1006 exc={error}",
        f"CLOSED None None | closed=True code=1006 exc={error}",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_server_without_autoclose_answers_the_peers_close_on_close(impl: str) -> None:
    answers: list[bytes] = []

    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)
        await received(ws, log)
        log.append(f"close() -> {await ws.close()} | {state(ws)}")

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await stream.send(close_frame(4000, masked=True))
        data = await read_until_close_frame(stream)
        answers.append(data[data.index(b"\x88") :])
        await drain(stream)

    log = await run_on_server(impl, scenario, peer, autoclose=False)
    assert log == [
        "CLOSE 4000 '' | closed=False code=4000 exc=None",
        "CLOSING None None | closed=False code=4000 exc=None",
        "close() -> True | closed=True code=4000 exc=None",
    ]
    assert answers == [close_frame(1000, masked=False)]


# -- the client side: our ClientSession and aiohttp's against a raw server ---------


async def run_on_client(impl: str, scenario: Scenario, peer: Peer, **connect_kwargs: Any) -> Log:
    """Run ``scenario`` on a client WebSocket of ``impl``; ``peer`` is the raw server."""
    log: Log = []

    async def serve(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            head = b""
            while b"\r\n\r\n" not in head:
                head += await stream.receive()
            key = next(
                line.split(b":", 1)[1].strip().decode()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            await stream.send(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept_token(key).encode()
                + b"\r\n\r\n"
            )
            await peer(stream)

    async def talk(module: Any, url: str) -> None:
        async with module.ClientSession() as session:
            ws = await session.ws_connect(url, **connect_kwargs)
            try:
                await scenario(ws, log)
            except Exception as exc:
                log.append(f"client raised {describe(exc)}")
            finally:
                await ws.close()

    with anyio.fail_after(20):
        async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
            port = listener.extra(anyio.abc.SocketAttribute.local_port)
            url = f"http://127.0.0.1:{port}/ws"
            async with anyio.create_task_group() as tg:
                tg.start_soon(listener.serve, serve)
                if impl == "anyiohttp":
                    await talk(anyiohttp, url)
                else:
                    await anyio.to_thread.run_sync(asyncio.run, talk(aiohttp, url))
                tg.cancel_scope.cancel()
    return log


@pytest.mark.parametrize("impl", IMPLS)
async def test_client_sends_after_the_peer_closed_are_absorbed_until_it_receives_close(
    impl: str,
) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)
        log.append(state(ws))
        await sends(ws, log)
        await received(ws, log)
        await sends(ws, log)
        await received(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await stream.send(
            frame(0x1, b"first", masked=False) + close_frame(4001, b"bye", masked=False)
        )
        await drain(stream)

    log = await run_on_client(impl, scenario, peer)
    closed_send = "ConnectionResetError(Cannot write to closing transport)"
    assert log == [
        "TEXT 'first' '' | closed=False code=None exc=None",
        "closed=False code=None exc=None",
        "send_str: ok",
        "send_bytes: ok",
        "ping: ok",
        "CLOSE 4001 'bye' | closed=True code=4001 exc=None",
        f"send_str: {closed_send}",
        f"send_bytes: {closed_send}",
        f"ping: {closed_send}",
        "CLOSED None None | closed=True code=4001 exc=None",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_client_abnormal_closure_is_closed_with_1006(impl: str) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)
        await received(ws, log)
        await sends(ws, log)
        await received(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await stream.send(frame(0x1, b"first", masked=False))
        await anyio.sleep(0.1)  # "first" read before the RST discards it
        reset(stream)

    log = await run_on_client(impl, scenario, peer)
    gone = "exc=ConnectionResetError(Cannot write to closing transport)"
    assert log == [
        "TEXT 'first' '' | closed=False code=None exc=None",
        f"CLOSED None None | closed=True code=1006 {gone}",
        "send_str: ConnectionResetError(Cannot write to closing transport)",
        "send_bytes: ConnectionResetError(Cannot write to closing transport)",
        "ping: ConnectionResetError(Cannot write to closing transport)",
        f"CLOSED None None | closed=True code=1006 {gone}",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_client_close_drops_pending_messages_and_receive_is_closed(impl: str) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)
        log.append(f"close() -> {await ws.close(code=4002)} | {state(ws)}")
        await received(ws, log)
        await sends(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await stream.send(
            frame(0x1, b"first", masked=False)
            + frame(0x1, b"p1", masked=False)
            + frame(0x1, b"p2", masked=False)
        )
        await read_until_close_frame(stream)
        await stream.send(close_frame(4002, masked=False))
        await drain(stream)

    log = await run_on_client(impl, scenario, peer)
    closed_send = "ConnectionResetError(Cannot write to closing transport)"
    assert log == [
        "TEXT 'first' '' | closed=False code=None exc=None",
        "close() -> True | closed=True code=4002 exc=None",
        "CLOSED None None | closed=True code=4002 exc=None",
        f"send_str: {closed_send}",
        f"send_bytes: {closed_send}",
        f"ping: {closed_send}",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_client_close_without_an_echo_times_out_as_1006(impl: str) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        log.append(f"close() -> {await ws.close()} | {state(ws)}")
        await received(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await drain(stream)

    timeout_class = anyiohttp.ClientWSTimeout if impl == "anyiohttp" else aiohttp.ClientWSTimeout
    log = await run_on_client(impl, scenario, peer, timeout=timeout_class(ws_close=0.3))
    assert log == [
        "close() -> True | closed=True code=1006 exc=TimeoutError()",
        "CLOSED None None | closed=True code=1006 exc=TimeoutError()",
    ]


@pytest.mark.parametrize("impl", IMPLS)
async def test_client_heartbeat_without_pong_closes_with_aiohttps_error(impl: str) -> None:
    async def scenario(ws: Any, log: Log) -> None:
        await received(ws, log)
        log.append(type(ws.exception()).__name__)
        await received(ws, log)

    async def peer(stream: anyio.abc.SocketStream) -> None:
        await drain(stream)

    log = await run_on_client(impl, scenario, peer, heartbeat=0.2)
    error = "TimeoutError(No PONG received after 0.1 seconds)"
    assert log == [
        f"ERROR {error} None | closed=True code=1006 exc={error}",
        "ServerTimeoutError",
        f"CLOSED None None | closed=True code=1006 exc={error}",
    ]


# -- ours only: what needs a second task ------------------------------------------


async def test_close_from_another_task_wakes_the_receiver_with_closing() -> None:
    log: Log = []
    done = anyio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with anyio.create_task_group() as tg:

            async def closer() -> None:
                await anyio.wait_all_tasks_blocked()  # the handler waits in receive()
                log.append(f"close() -> {await ws.close(code=4005)} | {state(ws)}")

            tg.start_soon(closer)
            await received(ws, log)
        await received(ws, log)
        done.set()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with run_app(app) as url:
        assert url.port is not None
        async with await open_client(url.port) as stream:
            data = await read_until_close_frame(stream)
            assert data.endswith(close_frame(4005, masked=False))
            await stream.send(close_frame(4005, masked=True))
            with anyio.fail_after(10):
                await done.wait()
    assert log == [
        "CLOSING None None | closed=True code=None exc=None",
        "close() -> True | closed=True code=4005 exc=None",
        "CLOSED None None | closed=True code=4005 exc=None",
    ]
