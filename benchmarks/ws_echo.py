"""WebSocket echo round trips per second against each server, one client, sequential.

Each server runs in its own process pinned to CPU 0; the client (aiohttp's,
on asyncio, the same for every server, no compression) is pinned to CPU 1
and sends N small text messages one after the other, waiting for each echo.

    python benchmarks/ws_echo.py -n 20000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def round_trips(port: int, n: int) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/", compress=0) as ws:
            for _ in range(100):  # warm up
                await ws.send_str("hello")
                await ws.receive()
            start = time.perf_counter()
            for _ in range(n):
                await ws.send_str("hello")
                await ws.receive()
            return n / (time.perf_counter() - start)


def measure(impl: str, backend: str, n: int) -> float:
    port = free_port()
    cmd = ["taskset", "-c", "0", sys.executable, str(HERE / "ws_servers.py"), impl]
    cmd += ["--port", str(port), "--backend", backend]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        return asyncio.run(round_trips(port, n))
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    results = {}
    for impl, backend in (
        ("anyiohttp", "asyncio"),
        ("anyiohttp", "trio"),
        ("aiohttp", "asyncio"),
        ("websockets", "asyncio"),
    ):
        rate = measure(impl, backend, args.n)
        results[(impl, backend)] = rate
        print(f"{impl:11} {backend:8} {rate:8.0f} round trips/s", flush=True)
    for backend in ("asyncio", "trio"):
        ratio = results[("anyiohttp", backend)] / results[("aiohttp", "asyncio")]
        print(f"anyiohttp on {backend} / aiohttp: {ratio:.2f}x")


if __name__ == "__main__":
    main()
