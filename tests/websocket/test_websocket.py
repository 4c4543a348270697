"""WebSockets on both backends: ours against ours, the websockets library, aiohttp."""

from __future__ import annotations

import asyncio
import json
import struct

import anyio
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web
from anyiohttp.testing import TestClient, TestServer

pytestmark = pytest.mark.anyio


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("chat", "other"), max_msg_size=1024 * 1024)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            if msg.data == "close me":
                await ws.close(code=4001, message=b"as asked")
            else:
                await ws.send_str(msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


def echo_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/ws", echo)
    return app


async def test_text_binary_json_round_trips() -> None:
    async with TestClient(TestServer(echo_app())) as client, client.ws_connect("/ws") as ws:
        await ws.send_str("hello")
        assert await ws.receive_str() == "hello"
        await ws.send_bytes(b"\x00\xff" * 1000)
        assert await ws.receive_bytes() == b"\x00\xff" * 1000
        await ws.send_json({"a": [1, 2]})
        assert await ws.receive_json() == {"a": [1, 2]}
        await ws.send_str("x")
        with pytest.raises(anyiohttp.WSMessageTypeError):
            await ws.receive_bytes()
    assert ws.closed and ws.close_code == 1000


async def test_subprotocol_negotiation() -> None:
    async with TestClient(TestServer(echo_app())) as client:
        async with client.ws_connect("/ws", protocols=("unknown", "chat")) as ws:
            assert ws.protocol == "chat"
        async with client.ws_connect("/ws", protocols=("none-of-these",)) as ws:
            assert ws.protocol is None


async def test_permessage_deflate_round_trip() -> None:
    async with (
        TestClient(TestServer(echo_app())) as client,
        client.ws_connect("/ws", compress=15) as ws,
    ):
        assert ws.compress == 15
        data = "compressible " * 10_000
        await ws.send_str(data)
        assert await ws.receive_str() == data


async def test_server_closes_with_a_code() -> None:
    async with TestClient(TestServer(echo_app())) as client, client.ws_connect("/ws") as ws:
        await ws.send_str("close me")
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.CLOSE
        assert msg.data == 4001 and msg.extra == "as asked"
        assert ws.close_code == 4001


async def test_client_closes_and_the_handler_loop_ends() -> None:
    ended = anyio.Event()
    codes: list[int | None] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _msg in ws:
            pass
        codes.append(ws.close_code)
        ended.set()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client:
        ws = await client.ws_connect("/ws")
        assert await ws.close(code=4002, message=b"bye") is True
        assert await ws.close() is False  # twice is harmless
        with anyio.fail_after(5):
            await ended.wait()
    assert codes == [4002]


async def test_handler_returning_closes_the_connection() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("only one")
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws") as ws:
        assert await ws.receive_str() == "only one"
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.CLOSE and msg.data == 1000


async def test_handler_raising_closes_with_internal_error() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive()
        raise ValueError("boom")

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws") as ws:
        await ws.send_str("go")
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.CLOSE and msg.data == 1011


async def test_handler_cancelled_closes_with_going_away() -> None:
    requests: list[web.Request] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        requests.append(request)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws") as ws:
        await ws.send_str("hi")  # the handler is in its loop by now
        with anyio.fail_after(5):
            while not requests:
                await anyio.sleep(0.01)
        scope = requests[0].cancel_scope
        assert scope is not None
        scope.cancel()
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.CLOSE and msg.data == 1001


async def test_close_from_another_handler_ends_the_owner_loop() -> None:
    key = web.AppKey("sockets", dict)
    loop_ended = anyio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        request.app[key][request.query["user"]] = ws
        async for _ in ws:
            pass
        loop_ended.set()
        return ws

    async def logout(request: web.Request) -> web.Response:
        ws = request.app[key].pop(request.query["user"])
        await ws.close(code=4000, message=b"logged out")
        return web.Response(text="closed")

    app = web.Application()
    app[key] = {}
    app.router.add_get("/ws", handler)
    app.router.add_get("/logout", logout)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws?user=ann") as ws:
        await ws.send_str("registered")
        with anyio.fail_after(5):
            while "ann" not in app[key]:
                await anyio.sleep(0.01)
            resp = await client.get("/logout?user=ann")
            assert await resp.text() == "closed"
            msg = await ws.receive()
            assert msg.type is web.WSMsgType.CLOSE and msg.data == 4000
            await loop_ended.wait()


async def test_second_concurrent_receive_is_refused() -> None:
    async with TestClient(TestServer(echo_app())) as client, client.ws_connect("/ws") as ws:
        async with anyio.create_task_group() as tg:
            tg.start_soon(ws.receive)
            await anyio.wait_all_tasks_blocked()
            with pytest.raises(RuntimeError, match="Concurrent call to receive"):
                await ws.receive()
            await ws.send_str("wake the first")


async def test_autoping_off_delivers_pings_and_pongs() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.PING
        await ws.pong(msg.data)
        await ws.ping(b"from server")
        msg = await ws.receive()
        await ws.send_str(f"{msg.type.name} {msg.data!r}")
        await ws.receive()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with (
        TestClient(TestServer(app)) as client,
        client.ws_connect("/ws", autoping=False) as ws,
    ):
        await ws.ping(b"hello")
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.PONG and msg.data == b"hello"
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.PING and msg.data == b"from server"
        await ws.pong(msg.data)
        assert await ws.receive_str() == "PONG b'from server'"


async def test_heartbeat_closes_when_no_pong_comes() -> None:
    silent_port: list[int] = []

    async def silent_server(stream: anyio.abc.SocketStream) -> None:
        # Answers the handshake, then never reads again (so never pongs).
        async with stream:
            data = b""
            while b"\r\n\r\n" not in data:
                data += await stream.receive()
            key = next(
                line.split(b":", 1)[1].strip().decode()
                for line in data.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key")
            )
            from anyiohttp.web.websocket import accept_token

            await stream.send(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept_token(key).encode() + b"\r\n\r\n"
            )
            await anyio.sleep(30)

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        silent_port.append(listener.extra(anyio.abc.SocketAttribute.local_port))
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, silent_server)
            async with anyiohttp.ClientSession() as session:
                async with session.ws_connect(
                    f"http://127.0.0.1:{silent_port[0]}/", heartbeat=0.2
                ) as ws:
                    with anyio.fail_after(5):
                        msg = await ws.receive()
                    assert msg.type is web.WSMsgType.ERROR
                    assert isinstance(msg.data, anyiohttp.ServerTimeoutError)
                    assert ws.close_code == 1006
            tg.cancel_scope.cancel()


async def test_server_heartbeat_keeps_a_healthy_connection() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=0.2)
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws") as ws:
        await anyio.sleep(1.0)  # several heartbeats, answered by autoping
        await ws.send_str("still here")
        assert await ws.receive_str() == "still here"


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bytes = b"abcd", rsv: int = 0
) -> bytes:
    """A raw client frame (masked), for what a well-behaved client would not send."""
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    length = len(payload)
    if length < 126:
        head += bytes([0x80 | length])
    elif length < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


async def raw_ws(
    url: URL, frames: bytes, *, then: bytes = b"", wait_for: bytes = b""
) -> tuple[int, bytes]:
    """Handshake over a raw socket, send frames, return (close code, data before it).

    With ``wait_for``, ``then`` is sent once the server's bytes contain it.
    """
    assert url.host and url.port
    async with await anyio.connect_tcp(url.host, url.port) as stream:
        await stream.send(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive()
        assert data.startswith(b"HTTP/1.1 101")
        data = data.split(b"\r\n\r\n", 1)[1]
        await stream.send(frames)
        with anyio.fail_after(5):
            while wait_for and wait_for not in data:
                data += await stream.receive()
            if then:
                await stream.send(then)
            while True:
                # server frames are unmasked; find the close frame (opcode 8)
                pos = 0
                while pos + 2 <= len(data):
                    opcode = data[pos] & 0x0F
                    length = data[pos + 1] & 0x7F
                    start = pos + 2
                    if length == 126:
                        length = struct.unpack("!H", data[start : start + 2])[0]
                        start += 2
                    if start + length > len(data):
                        break
                    if opcode == 8:
                        code = struct.unpack("!H", data[start : start + 2])[0]
                        return code, data[:pos]
                    pos = start + length
                try:
                    data += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return 0, data


async def test_fragmented_message_is_reassembled() -> None:
    async with TestServer(echo_app()) as server:
        url = server.make_url("/ws")
        frames = (
            frame(0x1, b"frag", fin=False)
            + frame(0x0, b"ment", fin=False)
            + frame(0x9, b"ping in between")
            + frame(0x0, b"ed", fin=True)
        )
        code, before = await raw_ws(
            url, frames, wait_for=b"fragmented", then=frame(0x8, struct.pack("!H", 1000))
        )
    assert code == 1000
    assert b"fragmented" in before


async def ws_stream(url: URL) -> anyio.abc.ByteStream:
    """A raw connection with the WebSocket handshake done (the caller closes it)."""
    assert url.host and url.port
    stream = await anyio.connect_tcp(url.host, url.port)
    await stream.send(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    assert data.startswith(b"HTTP/1.1 101") and data.endswith(b"\r\n\r\n")
    return stream


async def test_a_burst_past_the_queue_reaches_a_slow_handler_whole_and_in_order() -> None:
    """Far more messages at once than the queue holds: backpressure, nothing lost."""
    got: list[str] = []

    async def slow(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await anyio.sleep(0.3)  # the burst arrives before anything is received
        async for msg in ws:
            got.append(msg.data)
            if len(got) == 300:
                await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", slow)
    async with TestServer(app) as server:
        stream = await ws_stream(server.make_url("/ws"))
        async with stream:
            burst = b"".join(frame(0x1, f"message {i}".encode()) for i in range(300))
            await stream.send(burst)
            with anyio.fail_after(10):
                data = b""
                while b"\x88" not in data:  # the server's Close
                    data += await stream.receive()
    assert got == [f"message {i}" for i in range(300)]


async def test_frames_one_by_one_with_pings_between_fragments() -> None:
    """Each frame in its own segment: fragments, pings and the end arrive separately."""
    async with TestServer(echo_app()) as server:
        stream = await ws_stream(server.make_url("/ws"))
        async with stream:
            data = b""
            with anyio.fail_after(10):
                for round_ in range(3):
                    pieces = [
                        frame(0x1, b"one ", fin=False),
                        frame(0x9, b"ping %d" % round_),
                        frame(0x0, b"two ", fin=False),
                        frame(0xA, b"unasked pong"),
                        frame(0x0, b"three", fin=True),
                    ]
                    for piece in pieces:
                        await stream.send(piece)
                        await anyio.sleep(0.01)
                    while data.count(b"one two three") <= round_:
                        data += await stream.receive()
            assert b"ping 2" in data  # each ping answered with its payload
            assert data.count(b"one two three") == 3


async def test_fragments_over_max_msg_size_one_by_one_are_1009() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=1000)
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestServer(app) as server:
        stream = await ws_stream(server.make_url("/ws"))
        async with stream:
            with anyio.fail_after(10):
                await stream.send(frame(0x2, b"x" * 600, fin=False))
                await anyio.sleep(0.05)
                await stream.send(frame(0x0, b"y" * 600, fin=True))
                data = b""
                while b"\x88" not in data:
                    data += await stream.receive()
            start = data.index(b"\x88")
            assert struct.unpack("!H", data[start + 2 : start + 4])[0] == 1009


async def test_bad_utf8_is_1007() -> None:
    async with TestServer(echo_app()) as server:
        code, _ = await raw_ws(server.make_url("/ws"), frame(0x1, b"\xff\xfe bad"))
    assert code == 1007


async def test_bad_frame_is_1002() -> None:
    async with TestServer(echo_app()) as server:
        # RSV bits without an extension that defines them
        code, _ = await raw_ws(server.make_url("/ws"), frame(0x1, b"x", rsv=0x40))
        unmasked = await raw_ws(server.make_url("/ws"), bytes([0x81, 0x01]) + b"x")
    assert code == 1002
    assert unmasked[0] == 1002


async def test_message_over_max_msg_size_is_1009() -> None:
    async with TestServer(echo_app()) as server:
        code, _ = await raw_ws(server.make_url("/ws"), frame(0x2, b"x" * (1024 * 1024 + 1)))
    assert code == 1009


async def test_compressed_bomb_is_stopped_at_max_msg_size() -> None:
    import zlib

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=64 * 1024)
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with TestClient(TestServer(app)) as client, client.ws_connect("/ws", compress=15) as ws:
        compressor = zlib.compressobj(wbits=-15)
        bomb = compressor.compress(b"\x00" * 50_000_000) + compressor.flush(zlib.Z_SYNC_FLUSH)
        bomb = bomb[:-4]  # permessage-deflate strips the sync flush tail
        stream = ws._connection.stream
        await stream.send(frame(0x2, bomb, rsv=0x40))
        msg = await ws.receive()
        assert msg.type is web.WSMsgType.CLOSE and msg.data == 1009


async def test_our_server_with_the_websockets_library_as_client() -> None:
    import websockets

    async def talk(uri: str) -> list[object]:
        out: list[object] = []
        async with websockets.connect(uri, subprotocols=["chat"]) as ws:
            out.append(ws.subprotocol)
            await ws.send("text")
            out.append(await ws.recv())
            await ws.send(b"\x01\x02")
            out.append(await ws.recv())
            await ws.send(["frag", "mented"])  # a fragmented message
            out.append(await ws.recv())
            await ws.send("close me")
            try:
                await ws.recv()
            except websockets.ConnectionClosed as exc:
                out.append(exc.rcvd.code if exc.rcvd else None)
        return out

    async with TestServer(echo_app()) as server:
        uri = str(server.make_url("/ws").with_scheme("ws"))
        result = await anyio.to_thread.run_sync(asyncio.run, talk(uri))
    assert result == ["chat", "text", b"\x01\x02", "fragmented", 4001]


async def test_our_client_against_an_aiohttp_websocket_server(tmp_path: object) -> None:
    import pathlib
    import socket
    import subprocess
    import sys

    script = pathlib.Path(str(tmp_path)) / "ws_srv.py"
    script.write_text(
        "import sys\nfrom aiohttp import web, WSMsgType\n"
        "async def h(request):\n"
        "    ws = web.WebSocketResponse(protocols=['p1'])\n"
        "    await ws.prepare(request)\n"
        "    async for msg in ws:\n"
        "        if msg.type == WSMsgType.TEXT:\n"
        "            await ws.send_str('aiohttp:' + msg.data)\n"
        "        elif msg.type == WSMsgType.BINARY:\n"
        "            await ws.send_bytes(msg.data[::-1])\n"
        "    return ws\n"
        "app = web.Application()\napp.router.add_get('/ws', h)\n"
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.DEVNULL)
    try:
        async with anyiohttp.ClientSession() as session:
            with anyio.fail_after(20):
                while True:
                    try:
                        ws = await session.ws_connect(
                            f"ws://127.0.0.1:{port}/ws", protocols=("p1",), compress=15
                        )
                        break
                    except anyiohttp.ClientConnectorError:
                        await anyio.sleep(0.1)
            async with ws:
                assert ws.protocol == "p1" and ws.compress == 15
                await ws.send_str("hi")
                assert await ws.receive_str() == "aiohttp:hi"
                await ws.send_bytes(b"abc" * 10_000)
                assert await ws.receive_bytes() == b"cba" * 10_000
                await ws.send_json({"k": 1})
                assert json.loads((await ws.receive_str())[len("aiohttp:") :]) == {"k": 1}
            assert ws.close_code == 1000
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_bad_handshakes_are_refused() -> None:
    async with TestClient(TestServer(echo_app())) as client:
        plain = await client.get("/ws")
        assert plain.status == 400
        assert "No WebSocket UPGRADE hdr" in await plain.text()
        with pytest.raises(anyiohttp.WSServerHandshakeError) as info:
            await client.ws_connect("/missing")
        assert info.value.status == 404


async def test_shutdown_closes_websockets_with_going_away() -> None:
    codes: list[int] = []
    async with TestClient(TestServer(echo_app())) as client:
        ws = await client.ws_connect("/ws")
        await ws.send_str("x")
        assert await ws.receive_str() == "x"
        async with anyio.create_task_group() as tg:

            async def read() -> None:
                msg = await ws.receive()
                codes.append(msg.data)

            tg.start_soon(read)
            await anyio.wait_all_tasks_blocked()
            server = client.server
            assert server.runner is not None and server.runner.server is not None
            server.runner.server.begin_shutdown()
    assert codes == [1001]
