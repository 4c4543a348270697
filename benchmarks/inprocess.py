"""Per-request CPU cost of the server's hot path, without sockets.

Feeds N keep-alive GET requests through the connection loop over an
in-memory stream and reports CPU microseconds per request (process time, so
other work on the machine barely moves it), beside a minimal h11 loop over
the same stream. Useful to see what the framework adds on top of h11 without
the noise of the network stack.

    python benchmarks/inprocess.py --backend trio --parser httptools -n 20000
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import anyio
import h11

from anyiohttp import web
from anyiohttp.web.server import Server, ServerConfig

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"


class ScriptedStream:
    """Hands out ``n`` requests one receive at a time, swallows what is sent."""

    def __init__(self, n: int) -> None:
        self.left = n
        self.sent = 0

    async def receive(self, max_bytes: int = 65536) -> bytes:
        await anyio.lowlevel.checkpoint()
        if not self.left:
            raise anyio.EndOfStream
        self.left -= 1
        return REQUEST

    async def send(self, data: bytes) -> None:
        await anyio.lowlevel.checkpoint()
        self.sent += 1

    def extra(self, attribute: Any, default: Any = None) -> Any:
        return default

    async def aclose(self) -> None:
        pass

    async def send_eof(self) -> None:
        pass


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, World!")


async def framework(n: int) -> float:
    app = web.Application()
    app.router.add_get("/", hello)
    app.freeze()
    config = ServerConfig(parser=os.environ.get("ANYIOHTTP_PARSER", "auto"))
    server = Server(app._handle, request_factory=app._make_request, config=config)
    stream = ScriptedStream(n)
    start = time.process_time()
    await server.serve_connection(stream)  # type: ignore[arg-type]
    elapsed = time.process_time() - start
    assert stream.sent == n, stream.sent
    return elapsed


async def h11_loop(n: int) -> float:
    stream = ScriptedStream(n)
    conn = h11.Connection(h11.SERVER)
    start = time.process_time()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                conn.receive_data(await stream.receive())
            except anyio.EndOfStream:
                break
        elif isinstance(event, h11.EndOfMessage):
            out = conn.send(
                h11.Response(
                    status_code=200,
                    headers=[("Content-Type", "text/plain"), ("Content-Length", "13")],
                )
            )
            assert out is not None
            out += conn.send(h11.Data(data=b"Hello, World!")) or b""
            out += conn.send(h11.EndOfMessage()) or b""
            await stream.send(out)
            conn.start_next_cycle()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--parser", choices=("auto", "h11", "httptools"), default="auto", help="server parser"
    )
    parser.add_argument("--skip-h11-loop", action="store_true", help="only the framework")
    args = parser.parse_args()
    os.environ["ANYIOHTTP_PARSER"] = args.parser
    runs: tuple[tuple[str, Any], ...] = (("anyiohttp", framework),)
    if not args.skip_h11_loop:
        runs = (("h11 loop", h11_loop), *runs)
    for name, func in runs:
        best = min(anyio.run(func, args.n, backend=args.backend) for _ in range(args.rounds))
        label = f"{name} ({args.parser})" if func is framework else name
        print(f"{args.backend:8} {label:22} {best / args.n * 1e6:7.1f} us/request (CPU)")


if __name__ == "__main__":
    main()
