"""Servers under load, beside aiohttp: fairness to new connections, memory per idle connection.

For each server (run pinned to CPU 0, the load on CPU 1):

- busy: ``--busy`` keep-alive connections loop GETs for ``--seconds``; every
  0.25 s a new connection is opened and the time to its first answer is
  noted. Reports requests/s, errors, and the median and worst first answer
  of a new connection (the target: under 1 s).
- idle: ``--idle`` connections each make one request and stay open; the
  server's RSS growth divided by their count is the memory an idle
  keep-alive connection costs.

    python benchmarks/under_load.py --busy 1000 --seconds 15 --idle 10000
    python benchmarks/under_load.py --only anyiohttp-asyncio,aiohttp --busy 300 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
HELLO = str(ROOT / "examples/hello.py")
SERVERS = {
    "anyiohttp-asyncio": [HELLO, "--backend", "asyncio", "--no-access-log"],
    "anyiohttp-trio": [HELLO, "--backend", "trio", "--no-access-log"],
    "aiohttp": [str(HERE / "peer_aiohttp_hello.py")],
}
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def one_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send a GET and read its whole (Content-Length framed) response."""
    writer.write(REQUEST)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)


async def busy(port: int, connections: int, seconds: float) -> dict[str, float]:
    """Loop GETs on ``connections`` connections; time new connections' first answers."""
    stop_at = time.perf_counter() + seconds
    done = errors = 0
    firsts: list[float] = []

    async def looper() -> None:
        nonlocal done, errors
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            errors += 1
            return
        try:
            while time.perf_counter() < stop_at:
                await asyncio.wait_for(one_request(reader, writer), 10)
                done += 1
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            errors += 1
        finally:
            writer.close()

    async def newcomer() -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
            await asyncio.wait_for(one_request(reader, writer), 10)
            writer.close()
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            errors += 1
            firsts.append(10.0)
            return
        firsts.append(time.perf_counter() - started)

    loops = [asyncio.ensure_future(looper()) for _ in range(connections)]
    newcomers = []
    start = time.perf_counter()
    while time.perf_counter() < stop_at:
        await asyncio.sleep(0.25)
        newcomers.append(asyncio.ensure_future(newcomer()))
    await asyncio.gather(*loops, *newcomers)
    elapsed = time.perf_counter() - start
    return {
        "rate": done / elapsed,
        "errors": errors,
        "first_median": statistics.median(firsts) if firsts else float("nan"),
        "first_max": max(firsts) if firsts else float("nan"),
    }


async def idle(port: int, pid: int, count: int) -> float:
    """KiB of server RSS per idle keep-alive connection (each made one request)."""
    before = rss_kib(pid)
    streams = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await one_request(reader, writer)
        streams.append(writer)
    await asyncio.sleep(1.0)
    after = rss_kib(pid)
    for writer in streams:
        writer.close()
    return (after - before) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--idle", type=int, default=10000)
    parser.add_argument("--only", help="comma-separated server names")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.sched_setaffinity(0, {1})
    names = args.only.split(",") if args.only else list(SERVERS)
    rows = []
    for name in names:
        port = free_port()
        server = subprocess.Popen(
            ["taskset", "-c", "0", sys.executable, *SERVERS[name], "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)),
        )
        try:
            deadline = time.time() + 20
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            load = asyncio.run(busy(port, args.busy, args.seconds)) if args.busy else {}
            per_conn = asyncio.run(idle(port, server.pid, args.idle)) if args.idle else 0.0
        finally:
            server.terminate()
            server.wait()
        rows.append((name, load, per_conn))
    print(
        f"| server | req/s under {args.busy} busy | errors | new connection's first answer "
        f"(median / worst, s) | KiB per idle connection ({args.idle}) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, load, per_conn in rows:
        print(
            f"| {name} | {load.get('rate', 0):.0f} | {load.get('errors', 0):.0f} | "
            f"{load.get('first_median', float('nan')):.2f} / "
            f"{load.get('first_max', float('nan')):.2f} | {per_conn:.1f} |"
        )


if __name__ == "__main__":
    main()
