"""Client requests/s: anyiohttp beside aiohttp's ClientSession and httpx.AsyncClient.

Starts one local server (aiohttp, in a subprocess pinned to CPU 0), then for
each client runs N GETs sequentially and N GETs with C concurrent tasks
(one session each), pinned to CPU 1, and prints requests/s. With
``--rounds R`` every case runs R times, interleaved, and the best run counts:
on a shared VM the slow runs measure the neighbours, not the client.

    python benchmarks/client.py -n 5000 -c 64 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_load(get: Callable[[], Awaitable[None]], n: int, concurrency: int) -> float:
    done = 0

    async def worker(count: int) -> None:
        nonlocal done
        for _ in range(count):
            await get()
            done += 1

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        per = n // concurrency
        for i in range(concurrency):
            tg.start_soon(worker, per + (1 if i < n % concurrency else 0))
    elapsed = time.perf_counter() - start
    assert done == n
    return n / elapsed


async def anyiohttp_client(url: str, n: int, concurrency: int) -> float:
    import anyiohttp

    async with anyiohttp.ClientSession() as session:

        async def get() -> None:
            async with session.get(url) as resp:
                await resp.read()

        await get()
        return await run_load(get, n, concurrency)


async def aiohttp_client(url: str, n: int, concurrency: int) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as session:

        async def get() -> None:
            async with session.get(url) as resp:
                await resp.read()

        await get()
        return await run_load(get, n, concurrency)


async def httpx_client(url: str, n: int, concurrency: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits) as client:

        async def get() -> None:
            resp = await client.get(url)
            resp.read()

        await get()
        return await run_load(get, n, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("-c", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [
            "taskset",
            "-c",
            "0",
            sys.executable,
            str(HERE / "peer_aiohttp_hello.py"),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.sched_setaffinity(0, {1})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        cases = [
            ("anyiohttp", "asyncio", anyiohttp_client),
            ("anyiohttp", "trio", anyiohttp_client),
            ("aiohttp", "asyncio", aiohttp_client),
            ("httpx", "asyncio", httpx_client),
            ("httpx", "trio", httpx_client),
        ]
        results: dict[tuple[str, str, int], float] = {}
        for _ in range(args.rounds):
            for concurrency in (1, args.c):
                for name, backend, func in cases:
                    if name == "aiohttp":
                        rate = asyncio.run(func(url, args.n, concurrency))
                    else:
                        rate = anyio.run(func, url, args.n, concurrency, backend=backend)
                    key = (name, backend, concurrency)
                    results[key] = max(rate, results.get(key, 0.0))
                    print(
                        f"{name:10} {backend:8} concurrency={concurrency:3}  {rate:8.0f} req/s",
                        flush=True,
                    )
        print(f"best of {args.rounds}:")
        for (name, backend, concurrency), rate in results.items():
            print(f"{name:10} {backend:8} concurrency={concurrency:3}  {rate:8.0f} req/s")
        for concurrency in (1, args.c):
            for backend in ("asyncio", "trio"):
                ours = results[("anyiohttp", backend, concurrency)]
                print(
                    f"c={concurrency:3} {backend:8} anyiohttp/httpx "
                    f"{ours / results[('httpx', backend, concurrency)]:.2f}x, "
                    f"anyiohttp/aiohttp {ours / results[('aiohttp', 'asyncio', concurrency)]:.2f}x"
                )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
