"""Per-request CPU cost of the client's hot path, without sockets or a server.

Every connection is an in-memory transport that answers each request with a
canned response on the next event-loop turn, so the figure is what the
client itself costs per GET (build the request, pool checkout, parse, read
the body, release) with no kernel, network or server in the way. On asyncio
it runs anyiohttp's real connection stream (its protocol over a fake
transport) beside aiohttp's ClientSession over the same kind of transport:
an apples-to-apples figure, steadier than benchmarks/client.py on a noisy
machine, and the number to watch when optimizing the client.

    python benchmarks/client_inprocess.py -n 20000 -c 64
    python benchmarks/client_inprocess.py --backend trio -n 20000 -c 64
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import anyio

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
    b"Date: Sun, 22 Nov 2026 23:30:00 GMT\r\nServer: Python/3.11 aiohttp/3.11\r\n\r\n"
    b"Hello, World!"
)
URL = "http://127.0.0.1:8080/"


class CannedTransport(asyncio.Transport):
    """Answers every write (a whole request, as both clients send it) on the next loop turn."""

    def __init__(self, protocol: Any) -> None:
        super().__init__()
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()
        self._closing = False

    def write(self, data: Any) -> None:
        self._loop.call_soon(self._answer)

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def _answer(self) -> None:
        if not self._closing:
            self._protocol.data_received(RESPONSE)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return True


class CannedTrioStream:
    """trio: answers each request (one send) with RESPONSE on the next receive."""

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


def anyiohttp_session() -> Any:
    import anyiohttp
    from anyiohttp._asyncio_stream import AsyncioSocketStream, _Protocol
    from anyiohttp._backend import on_asyncio
    from anyiohttp.client.connector import BaseConnector
    from anyiohttp.client.exceptions import ConnectionKey

    class CannedConnector(BaseConnector):
        async def _create_stream(
            self, key: ConnectionKey, timeout: Any, traces: Sequence[Any]
        ) -> Any:
            if not on_asyncio():
                return CannedTrioStream()
            protocol = _Protocol()
            transport = CannedTransport(protocol)
            protocol.connection_made(transport)
            return AsyncioSocketStream(transport, protocol)

    return anyiohttp.ClientSession(connector=CannedConnector())


def aiohttp_session() -> Any:
    import aiohttp
    from aiohttp.client_proto import ResponseHandler

    class CannedConnector(aiohttp.BaseConnector):
        async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:
            protocol = ResponseHandler(asyncio.get_running_loop())
            protocol.connection_made(CannedTransport(protocol))
            return protocol

    return aiohttp.ClientSession(connector=CannedConnector())


async def measure(make_session: Callable[[], Any], n: int, concurrency: int) -> float:
    async with make_session() as session:

        async def worker(count: int) -> None:
            for _ in range(count):
                async with session.get(URL) as resp:
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
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[], Any]]] = [("anyiohttp", anyiohttp_session)]
    if args.backend == "asyncio":
        cases.append(("aiohttp", aiohttp_session))
    best = {name: float("inf") for name, _ in cases}
    for _ in range(args.rounds):  # interleaved: a slow spell hits both
        for name, make in cases:
            cost = anyio.run(measure, make, args.n, args.c, backend=args.backend)
            best[name] = min(best[name], cost)
    for name, cost in best.items():
        print(f"{name:10} {args.backend} c={args.c}: {cost:.1f} us CPU per request (best)")
    if "aiohttp" in best:
        print(f"anyiohttp/aiohttp CPU per request: {best['anyiohttp'] / best['aiohttp']:.2f}x")


if __name__ == "__main__":
    main()
