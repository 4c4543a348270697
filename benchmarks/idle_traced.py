"""Traced (tracemalloc) bytes per idle WebSocket or keep-alive connection.

Deterministic where RSS is not: the server runs as a child under tracemalloc,
the parent opens N connections after a warm-up, and the child dumps a snapshot
before and after on SIGUSR1. Prints bytes per connection and the top
allocation sites of the difference.

    python benchmarks/idle_traced.py --impl anyiohttp-trio --kind ws -n 200 --top 25
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import under_load
from _valgrind import wait_listening


def child(impl: str, backend: str, port: int, directory: str) -> None:
    tracemalloc.start(int(os.environ.get("FRAMES", "1")))
    count = [0]

    def dump(signum: int, frame: object) -> None:
        count[0] += 1
        tracemalloc.take_snapshot().dump(os.path.join(directory, f"snap{count[0]}"))
        Path(directory, f"done{count[0]}").touch()

    signal.signal(signal.SIGUSR1, dump)
    under_load.serve(impl, backend, port)


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {path}")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="anyiohttp-asyncio", choices=sorted(under_load.IMPLS))
    parser.add_argument("--kind", default="ws", choices=["ws", "http"])
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--frames", type=int, default=1, help="traceback depth to group by")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        impl, backend, port, directory = args.child
        child(impl, backend, int(port), directory)
        return
    impl, backend = under_load.IMPLS[args.impl]
    request = under_load.WS_REQUEST if args.kind == "ws" else under_load.REQUEST
    port = under_load.free_port()
    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, FRAMES=str(args.frames))
        cmd = [sys.executable, __file__, "--child", impl, backend, str(port), directory]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
        socks: list[socket.socket] = []
        try:
            wait_listening(port, proc, args.impl)

            def open_idle(count: int) -> list[socket.socket]:
                # Each connection answered once (a WebSocket: upgraded), then left idle.
                opened = []
                for _ in range(count):
                    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                    under_load.exchange(sock, request)
                    opened.append(sock)
                return opened

            warm = open_idle(20)
            time.sleep(0.5)
            proc.send_signal(signal.SIGUSR1)
            wait_for(Path(directory, "done1"))
            socks = open_idle(args.n)
            time.sleep(1.0)
            proc.send_signal(signal.SIGUSR1)
            wait_for(Path(directory, "done2"))
            for sock in socks + warm:
                sock.close()
            before = tracemalloc.Snapshot.load(os.path.join(directory, "snap1"))
            after = tracemalloc.Snapshot.load(os.path.join(directory, "snap2"))
        finally:
            proc.terminate()
            proc.wait()
    # Imports the child finished between the snapshots free their scratch.
    filters = [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
    ]
    before = before.filter_traces(filters)
    after = after.filter_traces(filters)
    stats = after.compare_to(before, "traceback" if args.frames > 1 else "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"{args.impl} {args.kind}: {total / args.n:.0f} B per connection ({args.n} connections)")
    for stat in stats[: args.top]:
        print(f"{stat.size_diff / args.n:8.0f} B {stat.count_diff / args.n:6.2f}x")
        for frame in list(stat.traceback)[::-1][: args.frames]:
            print(f"        {frame.filename.split('site-packages/')[-1]}:{frame.lineno}")


if __name__ == "__main__":
    main()
