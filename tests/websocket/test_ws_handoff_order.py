"""Bytes a client sent right behind its upgrade request reach the WebSocket in order."""

from __future__ import annotations

import os

import anyio
import pytest

from anyiohttp import web

from ..conftest import run_app

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("each_parser")]


def masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


@pytest.mark.parametrize("handler_cancellation", [False, True])
async def test_frames_sent_before_the_101_keep_their_order(handler_cancellation: bool) -> None:
    received: list[str] = []
    prepared = anyio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        # Meanwhile the client sends its second frame: with handler_cancellation
        # the disconnect watcher reads it ahead, behind the first in the parser.
        await anyio.sleep(0.2)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        prepared.set()
        for _ in range(2):
            received.append(await ws.receive_str())
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with run_app(app, handler_cancellation=handler_cancellation) as url:
        assert url.host and url.port
        with anyio.fail_after(10):
            async with await anyio.connect_tcp(url.host, url.port) as stream:
                await stream.send(
                    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                    + masked_text_frame("first")
                )
                await anyio.sleep(0.05)
                await stream.send(masked_text_frame("second"))
                await prepared.wait()
                while len(received) < 2:
                    await anyio.sleep(0.01)
    assert received == ["first", "second"]
