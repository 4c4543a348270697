"""A short soak: mixed traffic, some of it rude, then nothing may be left behind.

Bounded in count and time. Many concurrent clients send plain, streamed and
pipelined requests, WebSocket sessions, abandoned responses and malformed
bytes at one server; afterwards the server still answers, every connection
is gone, and the process holds no more file descriptors than before.
"""

from __future__ import annotations

import os
import random

import anyio
import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.testing import TestClient, TestServer

pytestmark = pytest.mark.anyio

WORKERS = 16
ROUNDS = 40


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def soak_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for i in range(int(request.query.get("n", "50"))):
            await resp.write(b"%d\n" % i)
            if i % 10 == 0:
                await anyio.sleep(0)
        await resp.write_eof()
        return resp

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            if msg.type == anyiohttp.WSMsgType.TEXT:
                await sock.send_str(msg.data)
        return sock

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_post("/echo", echo)
    app.router.add_get("/stream", stream)
    app.router.add_get("/ws", ws)
    return app


async def rude(host: str, port: int, data: bytes) -> bytes:
    """Send raw bytes and EOF; read what comes back until the server closes (or 2 s pass)."""
    got = b""
    with anyio.move_on_after(2):
        async with await anyio.connect_tcp(host, port) as stream:
            await stream.send(data)
            await stream.send_eof()  # nothing more is coming: a cut body is an error now
            while True:
                try:
                    got += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    break
    return got


BAD = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 9000 + b"\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort",  # then EOF
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # TLS on a plain port
]


async def test_mixed_traffic_leaves_nothing_behind() -> None:
    rng = random.Random(1234)  # the same mix every run
    before = open_fds()
    with anyio.fail_after(60):
        async with TestServer(soak_app()) as server:
            host, port = server.host, server.port
            assert port is not None
            counts = {"ok": 0, "bad": 0}

            async def worker(seed: int) -> None:
                local = random.Random(seed)
                async with TestClient(server) as client:
                    for _ in range(ROUNDS):
                        kind = local.choice(
                            ["get", "echo", "stream", "ws", "abandon", "rude", "pipeline"]
                        )
                        if kind == "get":
                            async with client.get("/") as resp:
                                assert await resp.text() == "hello"
                        elif kind == "echo":
                            body = os.urandom(local.randrange(0, 200_000))
                            async with client.post("/echo", data=body) as resp:
                                assert await resp.read() == body
                        elif kind == "stream":
                            async with client.get("/stream", params={"n": "200"}) as resp:
                                lines = [line async for line in resp.content]
                                assert len(lines) == 200
                        elif kind == "ws":
                            async with client.ws_connect("/ws") as sock:
                                for i in range(5):
                                    await sock.send_str(str(i))
                                    assert (await sock.receive()).data == str(i)
                        elif kind == "abandon":
                            # Read part of a long stream, then walk away.
                            async with client.get("/stream", params={"n": "5000"}) as resp:
                                await resp.content.readline()
                        elif kind == "rude":
                            answer = await rude(host, port, local.choice(BAD))
                            assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
                            counts["bad"] += 1
                        else:
                            answer = await rude(
                                host,
                                port,
                                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 3
                                + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                            )
                            assert answer.count(b"HTTP/1.1 200 OK") == 4
                        counts["ok"] += 1

            async with anyio.create_task_group() as tg:
                for i in range(WORKERS):
                    tg.start_soon(worker, rng.randrange(1 << 30) + i)
            assert counts["ok"] == WORKERS * ROUNDS

            # Still serving, and every connection of the run has ended.
            async with TestClient(server) as client:
                async with client.get("/") as resp:
                    assert await resp.text() == "hello"
            runner = server.runner
            assert runner is not None and runner.server is not None
            with anyio.fail_after(5):
                while runner.server.connections:
                    await anyio.sleep(0.01)
    # Allow a couple of descriptors of the event loop's own bookkeeping.
    assert open_fds() <= before + 2, (before, open_fds())
