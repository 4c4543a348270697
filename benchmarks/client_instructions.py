"""Instructions per client GET over real sockets, counted by valgrind: free of the host's noise.

benchmarks/client.py measures requests/s, which move with the neighbours on
a shared machine; benchmarks/client_inprocess.py counts the client without
sockets, so it cannot see what a backend's socket path costs. Here each
client runs under ``valgrind --tool=callgrind`` against a hello-world server
outside it (aiohttp's, benchmarks/peer_aiohttp_hello.py): ``--concurrency``
tasks share one session and loop GETs (reading each body), a few in all and
then many more; the difference in instructions over the difference in
requests is the cost of one GET, start-up cancelled out. User space only.

The server answers each request ``--delay`` seconds late (5 ms by default).
Natively a client's read right after sending finds nothing and waits, for
every GET (a trio instrument counted one wait per GET); under valgrind
the client runs ~50x slower, and with an answer that comes at once most
reads found it there already and never waited (0.4 waits per GET on
trio), which hid what a backend's wait path costs. The delay puts that
wait back into every GET, as natively.

    python benchmarks/client_instructions.py
    python benchmarks/client_instructions.py --only aiohttp anyiohttp-trio

Needs valgrind (Debian: ``apt-get install valgrind``); each row takes a
minute or two (valgrind runs Python ~50x slower).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from _valgrind import client_run, print_table

CLIENT = r"""
import sys
impl, backend, n, concurrency, port = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
url = f"http://127.0.0.1:{port}/"
if impl == "anyiohttp":
    import anyio as runtime
    import anyiohttp as client
else:
    import asyncio as runtime
    import aiohttp as client


async def main() -> None:
    async with client.ClientSession() as session:

        async def worker(count: int) -> None:
            for _ in range(count):
                async with session.get(url) as resp:
                    assert await resp.read() == b"Hello, World!"

        counts = [n // concurrency + (i < n % concurrency) for i in range(concurrency)]
        if impl == "anyiohttp":
            async with runtime.create_task_group() as tg:
                for count in counts:
                    tg.start_soon(worker, count)
        else:
            await runtime.gather(*(worker(count) for count in counts))


if impl == "anyiohttp":
    runtime.run(main, backend=backend)
else:
    runtime.run(main())
"""

PEER = str(Path(__file__).parent / "peer_aiohttp_hello.py")
ROWS = ("aiohttp", "anyiohttp-asyncio", "anyiohttp-trio")


def per_request(row: str, few: int, many: int, concurrency: int, delay: float) -> float:
    """Instructions per GET for ``row``: (count(many) - count(few)) / the difference."""
    impl, _, backend = row.partition("-")
    server = [sys.executable, PEER, "--delay", str(delay)]

    def run(n: int) -> int:
        return client_run(CLIENT, [impl, backend or "asyncio", str(n), str(concurrency)], server)

    return (run(many) - run(few)) / (many - few)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--few", type=int, default=640, help="GETs in all, first run")
    parser.add_argument("--many", type=int, default=3200, help="GETs in all, second run")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.005, help="the server's, per answer")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed (apt-get install valgrind)")
    results = {
        row: per_request(row, args.few, args.many, args.concurrency, args.delay)
        for row in args.only
    }
    print_table(f"client, c={args.concurrency}", "instructions/GET", results)


if __name__ == "__main__":
    main()
