"""A peer that sends a frame to answer (a ping, a close) and then resets the connection.

Answering it fails: that ends the WebSocket (abnormal closure), and nothing
else. The error must not leave the reader task, whose task group is the
server's connection (and from there the whole server) or the client's
session.
"""

from __future__ import annotations

import base64
import os
import socket
import struct

import anyio
import httpx
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio

CLOSE_1000 = (0x88, struct.pack("!H", 1000))
PING = (0x89, b"hi")


def frame(opcode: int, payload: bytes, *, masked: bool) -> bytes:
    if not masked:
        return bytes([opcode, len(payload)]) + payload
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([opcode, 0x80 | len(payload)]) + mask + body


def reset(sock: socket.socket) -> None:
    """Close with a RST (SO_LINGER 0): the peer's next send fails."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def client_sends_then_resets(url: URL, opcode: int, payload: bytes) -> None:
    """A blocking client (in a thread): handshake, one frame, RST."""
    assert url.port is not None
    with socket.create_connection(("127.0.0.1", url.port), timeout=10) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 101"), head
        sock.sendall(frame(opcode, payload, masked=True))
        reset(sock)


@pytest.mark.parametrize("sent", [PING, CLOSE_1000], ids=["ping", "close"])
async def test_server_survives_a_client_that_resets_after_a_frame(
    each_parser: str, sent: tuple[int, bytes]
) -> None:
    ended: list[int | None] = []

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _msg in ws:
            pass
        ended.append(ws.close_code)
        return ws

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="still serving")

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_get("/", hello)
    async with run_app(app) as url:
        for _ in range(10):
            await anyio.to_thread.run_sync(client_sends_then_resets, url, *sent)
        with anyio.fail_after(10):
            while len(ended) < 10:  # every handler's loop ended
                await anyio.sleep(0.01)
        async with httpx.AsyncClient() as client:
            assert (await client.get(str(url))).text == "still serving"


@pytest.mark.parametrize("sent", [PING, CLOSE_1000], ids=["ping", "close"])
async def test_client_session_survives_a_server_that_resets_after_a_frame(
    sent: tuple[int, bytes],
) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def serve_one(stream: anyio.abc.SocketStream) -> None:
        # Handshake, one frame to answer, then a RST.
        head = b""
        while b"\r\n\r\n" not in head:
            head += await stream.receive()
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        from anyiohttp.http.websocket import accept_token

        await stream.send(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            + accept_token(key.decode()).encode()
            + b"\r\n\r\n"
            + frame(*sent, masked=False)
        )
        raw = stream.extra(anyio.abc.SocketAttribute.raw_socket)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await stream.aclose()

    async with listener, run_app(app) as http_url, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve_one)
        async with anyiohttp.ClientSession() as session:
            for _ in range(10):
                async with session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
                    with anyio.fail_after(10):
                        async for _msg in ws:
                            pass
                assert ws.closed
            # The session (its task group, its pool) goes on.
            async with session.get(http_url) as resp:
                assert await resp.text() == "hello"
        tg.cancel_scope.cancel()
