"""Instructions per WebSocket echo, counted by valgrind: free of the host's noise.

On a shared machine msg/s and even CPU seconds move with the neighbours;
the number of instructions a server executes per echo does not. Each server
here serves one WebSocket (16-byte text messages echoed back), runs under
``valgrind --tool=callgrind`` and exits when the client closes; the client
(aiohttp's, outside valgrind) sends a few messages, and then many more in a
second run: the difference in instructions divided by the difference in
messages is the cost of one echo, start-up cancelled out. Beside the
servers, wsproto alone (parse the client's frame, serialize the echo) shows
the floor that any server built on wsproto starts from.

    python benchmarks/ws_instructions.py                # every row
    python benchmarks/ws_instructions.py --only wsproto anyiohttp-asyncio

Needs valgrind (Debian: ``apt-get install valgrind``); each row takes a
minute or two (valgrind runs Python ~50x slower).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from _valgrind import collected, print_table, server_run, valgrind

TEXT = "0123456789abcdef"

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

    async def echo(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data)
        done.set()
        return ws

    app = web.Application()
    app.router.add_get("/", echo)
    # setup()/cleanup() from one task: both libraries take it.
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

WSPROTO_ONLY = r"""
import sys
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import TextMessage

client = Connection(ConnectionType.CLIENT)
server = Connection(ConnectionType.SERVER)
frame = client.send(TextMessage(data=sys.argv[2]))
for _ in range(int(sys.argv[1])):
    server.receive_data(frame)
    for event in server.events():
        server.send(TextMessage(data=event.data))
"""

ROWS = ("wsproto", "aiohttp", "anyiohttp-asyncio", "anyiohttp-trio")


async def _drive(port: int, n: int) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/") as ws:
            for _ in range(n):
                await ws.send_str(TEXT)
                await ws.receive()


def _server_run(row: str, n: int) -> int:
    impl, _, backend = row.partition("-")
    return server_run(SERVER, [impl, backend or "asyncio"], lambda port: _drive(port, n))


def _wsproto_run(n: int) -> int:
    cmd = valgrind(sys.executable, "-c", WSPROTO_ONLY, str(n), TEXT)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=True)
    return collected(done.stderr)


def per_echo(row: str, few: int, many: int) -> float:
    """Instructions per echo for ``row``: (count(many) - count(few)) / (many - few)."""
    run = _wsproto_run if row == "wsproto" else (lambda n: _server_run(row, n))
    return (run(many) - run(few)) / (many - few)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--few", type=int, default=200)
    parser.add_argument("--many", type=int, default=1200)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed (apt-get install valgrind)")
    results = {row: per_echo(row, args.few, args.many) for row in args.only}
    print_table("server", "instructions/echo", results)


if __name__ == "__main__":
    main()
