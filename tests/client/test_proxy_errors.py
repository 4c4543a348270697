"""A proxy that answers CONNECT with something that is not HTTP gives a ClientError."""

from __future__ import annotations

import anyio
import anyio.abc
import pytest

import anyiohttp

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", b"garbage\r\n\r\n", b""],
    ids=["bad-length", "not-http", "closed"],
)
async def test_a_broken_connect_answer_is_a_client_error(answer: bytes) -> None:
    async def proxy(client: anyio.abc.SocketStream) -> None:
        async with client:
            head = b""
            while b"\r\n\r\n" not in head:
                head += await client.receive()
            if answer:
                await client.send(answer)

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, proxy)
            async with anyiohttp.ClientSession() as session:
                with anyio.fail_after(10), pytest.raises(anyiohttp.ClientProxyConnectionError):
                    await session.get("https://example.invalid/", proxy=f"http://127.0.0.1:{port}")
            tg.cancel_scope.cancel()
