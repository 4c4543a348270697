"""Per-request CPU cost of the client's hot path, without sockets.

A connector whose connections are in-memory streams answering every request
with a canned response, so the figure is what ClientSession itself costs per
GET (build the request, pool checkout, parse, read the body, release) with
no network or server in the way. Steadier than benchmarks/client.py on a
noisy machine, and the number to watch when optimizing the client.

    python benchmarks/client_inprocess.py --backend asyncio -n 20000 -c 64
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

import anyio

import anyiohttp
from anyiohttp.client.connector import BaseConnector
from anyiohttp.client.exceptions import ConnectionKey

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
    b"Date: Sun, 22 Nov 2026 23:30:00 GMT\r\nServer: Python/3.11 aiohttp/3.11\r\n\r\n"
    b"Hello, World!"
)


class CannedStream:
    """Answers each request (one send) with RESPONSE on the next receive."""

    def __init__(self) -> None:
        self.pending = 0

    async def receive(self, max_bytes: int = 65536) -> bytes:
        await anyio.lowlevel.checkpoint()
        if not self.pending:
            raise anyio.EndOfStream
        self.pending -= 1
        return RESPONSE

    async def send(self, data: bytes) -> None:
        self.pending += 1

    def extra(self, attribute: Any, default: Any = None) -> Any:
        return default

    async def aclose(self) -> None:
        pass

    async def send_eof(self) -> None:
        pass


class CannedConnector(BaseConnector):
    """Every new connection is a CannedStream."""

    async def _create_stream(
        self, key: ConnectionKey, timeout: Any, traces: Sequence[Any]
    ) -> Any:
        return CannedStream()


async def run(n: int, concurrency: int) -> float:
    async with anyiohttp.ClientSession(connector=CannedConnector()) as session:

        async def worker(count: int) -> None:
            for _ in range(count):
                async with session.get("http://127.0.0.1:8080/") as resp:
                    await resp.read()

        await worker(100)  # warm up
        start = time.process_time()
        async with anyio.create_task_group() as tg:
            for i in range(concurrency):
                tg.start_soon(worker, n // concurrency + (1 if i < n % concurrency else 0))
        return (time.process_time() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("-c", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    best = min(
        anyio.run(run, args.n, args.c, backend=args.backend) for _ in range(args.rounds)
    )
    print(f"anyiohttp client {args.backend} c={args.c}: {best:.1f} us CPU per request (best)")


if __name__ == "__main__":
    main()
