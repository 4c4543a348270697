"""WebSocket API details aiohttp code relies on: names, options, negotiated values."""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import aiohttp
import anyio
import anyio.abc
import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.http.websocket import accept_token
from anyiohttp.testing import TestClient, TestServer

from ..conftest import run_app
from .test_ws_close_states import frame, open_client, read_until_close_frame

pytestmark = pytest.mark.anyio


def test_lower_case_message_types_are_aliases_as_in_aiohttp() -> None:
    pairs = {
        "text": "TEXT",
        "binary": "BINARY",
        "ping": "PING",
        "pong": "PONG",
        "close": "CLOSE",
        "closing": "CLOSING",
        "closed": "CLOSED",
        "error": "ERROR",
    }
    for alias, name in pairs.items():
        assert getattr(anyiohttp.WSMsgType, alias) is anyiohttp.WSMsgType[name]
        assert getattr(aiohttp.WSMsgType, alias) == getattr(anyiohttp.WSMsgType, alias)
    # Aliases are not extra members: iteration shows each type once.
    assert [t.name for t in anyiohttp.WSMsgType] == [t.name for t in aiohttp.WSMsgType]


async def test_message_types_compare_with_the_lower_case_names_in_a_handler() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == web.WSMsgType.text:
                await ws.send_str("text:" + msg.data)
            elif msg.type == web.WSMsgType.binary:
                await ws.send_str("binary")
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws") as ws:
        await ws.send_str("a")
        assert await ws.receive_str() == "text:a"
        await ws.send_bytes(b"b")
        assert await ws.receive_str() == "binary"


async def test_server_decode_text_false_gives_text_messages_as_bytes() -> None:
    got: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(decode_text=False)
        await ws.prepare(request)
        msg = await ws.receive()
        got.append((msg.type, msg.data))
        got.append(await ws.receive_str())
        got.append(await ws.receive_json(loads=lambda data: (type(data), json.loads(data))))
        got.append(await ws.receive_bytes())
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws") as ws:
        await ws.send_str("héllo")
        await ws.send_str("plain")
        await ws.send_json({"k": "é"})
        await ws.send_bytes(b"\xff")
        assert (await ws.receive()).type is web.WSMsgType.CLOSE
    assert got == [
        (web.WSMsgType.TEXT, "héllo".encode()),
        b"plain",
        (bytes, {"k": "é"}),
        b"\xff",
    ]


async def test_decode_text_false_still_fails_invalid_utf8_with_1007() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(decode_text=False)
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with run_app(app) as url:
        assert url.port is not None
        async with await open_client(url.port) as stream:
            await stream.send(frame(0x1, b"\xff\xfe", masked=True))
            with anyio.fail_after(10):
                data = await read_until_close_frame(stream)
    close = data.index(b"\x88")
    assert data[close + 2 : close + 4] == b"\x03\xef"  # 1007


async def test_client_decode_text_false_gives_text_messages_as_bytes() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("héllo")
        await ws.send_json({"k": 1})
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with (
        TestClient(TestServer(app)) as client,
        client.ws_connect("/ws", decode_text=False) as ws,
    ):
        msg = await ws.receive()
        assert (msg.type, msg.data) == (web.WSMsgType.TEXT, "héllo".encode())
        assert await ws.receive_json(loads=lambda data: (type(data), json.loads(data))) == (
            bytes,
            {"k": 1},
        )


async def test_send_json_bytes_sends_the_encoders_bytes_as_a_binary_message() -> None:
    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_json_bytes({"echo": json.loads(msg.data)}, dumps=dumps)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws") as ws:
        await ws.send_json_bytes([1, "é"], dumps=dumps)
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.BINARY
        assert msg.data == b'{"echo":[1,"\\u00e9"]}'


async def test_server_compress_is_the_negotiated_window_bits() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        seen.append(ws.compress)  # the constructor's flag, before prepare()
        await ws.prepare(request)
        seen.append(ws.compress)
        async for msg in ws:
            await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)

    async def with_aiohttp(url: str) -> str:
        async with aiohttp.ClientSession() as session:
            # Offers server_max_window_bits=12: what the server reports.
            async with session.ws_connect(url, compress=12) as ws:
                await ws.send_str("z" * 5000)
                return await ws.receive_str()

    async with run_app(app) as base:
        url = str(base.with_path("/ws"))
        echoed = await anyio.to_thread.run_sync(asyncio.run, with_aiohttp(url))
        async with anyiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:  # no compression offered
                await ws.send_str("plain")
                assert await ws.receive_str() == "plain"
    assert echoed == "z" * 5000
    assert seen == [True, 12, True, 0]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("permessage-deflate; client_max_window_bits=10", 10),
        ("permessage-deflate; server_max_window_bits=12", 15),
        ("permessage-deflate", 15),
    ],
)
async def test_client_compress_is_the_window_bits_the_server_answered(
    answer: str, expected: int
) -> None:
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
                + b"\r\nSec-WebSocket-Extensions: "
                + answer.encode()
                + b"\r\n\r\n"
                + frame(0x8, b"\x03\xe8", masked=False)
            )
            try:
                while True:
                    await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                pass

    async def with_aiohttp(url: str) -> int:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, compress=15) as ws:
                return ws.compress

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        url = f"http://127.0.0.1:{listener.extra(anyio.abc.SocketAttribute.local_port)}/"
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, serve)
            async with anyiohttp.ClientSession() as session:
                async with session.ws_connect(url, compress=15) as ws:
                    ours = ws.compress
            theirs = await anyio.to_thread.run_sync(asyncio.run, with_aiohttp(url))
            tg.cancel_scope.cancel()
    assert ours == theirs == expected


async def test_set_status_before_prepare_still_answers_101() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        ws.set_status(200)
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws") as ws:
        assert ws.response.status == 101
        await ws.send_str("still a WebSocket")
        assert await ws.receive_str() == "still a WebSocket"


@pytest.mark.parametrize("bad", ["yes", 1.5, object()])
async def test_ws_connect_with_a_wrong_ssl_type_is_a_type_error(bad: object) -> None:
    async with anyiohttp.ClientSession() as session:
        with pytest.raises(TypeError, match="ssl should be SSLContext, bool, Fingerprint"):
            await session.ws_connect("ws://127.0.0.1:1/", ssl=bad)
    assert not isinstance(bad, ssl.SSLContext | bool)
