"""Response-head limits larger than the defaults hold however the head arrives."""

from __future__ import annotations

import anyio
import anyio.abc
import pytest

import anyiohttp

pytestmark = pytest.mark.anyio

BIG = 20_000  # over h11's default allowance for an incomplete head (16 KiB)


async def serve_big_header_in_two_segments(stream: anyio.abc.SocketStream) -> None:
    async with stream:
        request = b""
        while b"\r\n\r\n" not in request:
            request += await stream.receive()
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Big: "
            + b"v" * BIG
            + b"\r\nConnection: close\r\n\r\nok"
        )
        await stream.send(head[:18_000])  # more than 16 KiB, not yet the whole head
        await anyio.sleep(0.05)  # the rest in a later segment
        await stream.send(head[18_000:])


@pytest.mark.parametrize("per_request", [False, True])
async def test_a_big_header_in_pieces_within_raised_limits(per_request: bool) -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, serve_big_header_in_two_segments)
            session_limits = {} if per_request else {"max_field_size": 32_768}
            request_limits = {"max_field_size": 32_768} if per_request else {}
            async with anyiohttp.ClientSession(**session_limits) as session:  # type: ignore[arg-type]
                async with session.get(f"http://127.0.0.1:{port}/", **request_limits) as resp:  # type: ignore[arg-type]
                    assert len(resp.headers["X-Big"]) == BIG
                    assert await resp.read() == b"ok"
            tg.cancel_scope.cancel()
