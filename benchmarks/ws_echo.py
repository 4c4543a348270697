"""WebSocket echo round trips per second against each server, one client, sequential.

Each server runs in its own process pinned to CPU 0; the client (aiohttp's,
on asyncio, the same for every server, no compression) is pinned to CPU 1
and sends N small text messages one after the other, waiting for each echo.
Beside the rate, the server's CPU time per round trip (from /proc), which
moves less than the rate when the VM's neighbours are busy. With
``--rounds R`` every server runs R times, interleaved, and the best counts.

    python benchmarks/ws_echo.py -n 20000 --rounds 3
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
sys.path.insert(0, str(HERE))

from hello_load import cpu_seconds  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def round_trips(port: int, n: int, pid: int | None = None) -> tuple[float, float]:
    """Round trips per second, and the server's CPU seconds per round trip (with ``pid``)."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/", compress=0) as ws:
            for _ in range(100):  # warm up
                await ws.send_str("hello")
                await ws.receive()
            cpu = cpu_seconds(pid) if pid else 0.0
            start = time.perf_counter()
            for _ in range(n):
                await ws.send_str("hello")
                await ws.receive()
            elapsed = time.perf_counter() - start
            cpu = cpu_seconds(pid) - cpu if pid else 0.0
            return n / elapsed, cpu / n


def measure(impl: str, backend: str, n: int) -> tuple[float, float]:
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
        return asyncio.run(round_trips(port, n, server.pid))
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    cases = (
        ("anyiohttp", "asyncio"),
        ("anyiohttp", "trio"),
        ("aiohttp", "asyncio"),
        ("websockets", "asyncio"),
    )
    rates: dict[tuple[str, str], float] = {}
    costs: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for impl, backend in cases:
            rate, cost = measure(impl, backend, args.n)
            rates[(impl, backend)] = max(rate, rates.get((impl, backend), 0.0))
            costs[(impl, backend)] = min(cost, costs.get((impl, backend), float("inf")))
            print(
                f"{impl:11} {backend:8} {rate:8.0f} round trips/s {cost * 1e6:7.1f} us server CPU",
                flush=True,
            )
    if args.rounds > 1:
        print(f"best of {args.rounds}:")
        for impl, backend in cases:
            print(
                f"{impl:11} {backend:8} {rates[(impl, backend)]:8.0f} round trips/s "
                f"{costs[(impl, backend)] * 1e6:7.1f} us server CPU"
            )
    for backend in ("asyncio", "trio"):
        ratio = rates[("anyiohttp", backend)] / rates[("aiohttp", "asyncio")]
        cpu = costs[("anyiohttp", backend)] / costs[("aiohttp", "asyncio")]
        print(f"anyiohttp on {backend} / aiohttp: {ratio:.2f}x rate, {cpu:.2f}x server CPU")


if __name__ == "__main__":
    main()
