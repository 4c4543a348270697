"""Instructions per hello-world request, counted by valgrind: free of the host's noise.

The shared yardstick (``../shared/bench``, wrk at 50 connections) moves with
the neighbours on a shared machine; what a server executes per request does
not. Each server here (``GET /`` -> ``Hello, World!``, keep-alive) runs
under ``valgrind --tool=callgrind``; a client outside valgrind keeps
``--connections`` keep-alive connections busy, each sending its next GET
when the last answer came (as wrk does), then asks ``/stop``. A few requests
and then many more: the difference in instructions over the difference in
requests is the cost of one request, start-up cancelled out. User space
only: the kernel's share (the same syscalls for every server) is not in it.

Under valgrind a server runs ~50x slower, so with ``--driver busy`` (the
default, as above) every next request is already there when it reads:
it never waits. Natively under wrk it waits for nearly every request (a
trio instrument counted one task step per request and ~50 per I/O wait),
and that path (a read that finds nothing, a wait, the scheduler) is what a
backend's socket layer costs. ``--driver rounds`` reproduces it: all
connections send a request, the next round goes out once every answer
came, so each read after an answer finds nothing and waits.

    python benchmarks/hello_instructions.py
    python benchmarks/hello_instructions.py --only aiohttp anyiohttp-trio
    python benchmarks/hello_instructions.py --driver rounds --connections 50

Needs valgrind (Debian: ``apt-get install valgrind``); each row takes a
minute or two (valgrind runs Python ~50x slower).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys

from _valgrind import print_table, server_run

SERVER = r"""
import sys
impl, backend, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if impl == "anyiohttp":
    import anyio as runtime
    from anyiohttp import web
else:
    import asyncio as runtime
    from aiohttp import web


async def main() -> None:
    done = runtime.Event()

    async def hello(request):
        return web.Response(text="Hello, World!")

    async def stop(request):
        done.set()
        return web.Response(text="bye")

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/stop", stop)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print("ready", flush=True)
        await done.wait()
    finally:
        await runner.cleanup()


if impl == "anyiohttp":
    runtime.run(main, backend=backend)
else:
    runtime.run(main())
"""

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
BODY = b"Hello, World!"
ROWS = (
    "aiohttp",
    "anyiohttp-asyncio",
    "anyiohttp-trio",
    "anyiohttp-asyncio-h11",
    "anyiohttp-trio-h11",
)


async def _one_connection(port: int, n: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(n):
            writer.write(REQUEST)
            # The body is the response's last bytes and appears nowhere else.
            await reader.readuntil(BODY)
    finally:
        writer.close()


async def _rounds(port: int, n: int, connections: int) -> None:
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
    try:
        for _ in range(n):
            for _, writer in opened:
                writer.write(REQUEST)
            await asyncio.gather(*(reader.readuntil(BODY) for reader, _ in opened))
    finally:
        for _, writer in opened:
            writer.close()


async def _drive(port: int, n: int, connections: int, rounds: bool = False) -> None:
    if rounds:
        await _rounds(port, n, connections)
    else:
        await asyncio.gather(*(_one_connection(port, n) for _ in range(connections)))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /stop HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    await reader.read()
    writer.close()


def per_request(row: str, few: int, many: int, connections: int, rounds: bool = False) -> float:
    """Instructions per request for ``row``: (count(many) - count(few)) / the difference."""
    impl, _, rest = row.partition("-")
    backend, _, parser = rest.partition("-")
    env = {"ANYIOHTTP_PARSER": parser or "httptools"}

    def run(n: int) -> int:
        return server_run(
            SERVER,
            [impl, backend or "asyncio"],
            lambda port: _drive(port, n, connections, rounds),
            env,
        )

    return (run(many) - run(few)) / ((many - few) * connections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--few", type=int, default=50, help="requests per connection, first run")
    parser.add_argument("--many", type=int, default=250, help="requests per connection, second")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--driver",
        choices=("busy", "rounds"),
        default="busy",
        help="busy: each connection sends on as answers come; rounds: in lock step (see above)",
    )
    args = parser.parse_args()
    rounds = args.driver == "rounds"
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed (apt-get install valgrind)")
    results = {
        row: per_request(row, args.few, args.many, args.connections, rounds) for row in args.only
    }
    print_table("server", "instructions/request", results)


if __name__ == "__main__":
    main()
