"""Hello-world keep-alive req/s, with aiohttp's client as the load generator.

wrk is the reference tool (benchmarks/hello.sh), but on some VMs it saturates
below what the servers can do; this drives the same servers with 50
keep-alive connections from aiohttp's client (C-accelerated, pinned to CPU 1)
for a fixed time, server pinned to CPU 0, each server in turn, ROUNDS times.
Beside requests/s it reports the server's CPU time per request (from
/proc), which moves less than the rate when the VM's neighbours are busy.

    python benchmarks/hello_load.py --rounds 3 --seconds 5
    python benchmarks/hello_load.py --only anyiohttp-asyncio,anyiohttp-asyncio-anyio-streams
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(url: str, connections: int, seconds: float) -> tuple[float, int]:
    """Requests/s over ``seconds`` (after a 1 s warm-up), and all requests made."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        done = 0
        stop_at = 0.0

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                async with session.get(url) as resp:
                    await resp.read()
                done += 1

        stop_at = time.perf_counter() + 1.0  # warm up
        await asyncio.gather(*(worker() for _ in range(connections)))
        warm = done
        done = 0
        start = time.perf_counter()
        stop_at = start + seconds
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.perf_counter() - start), warm + done


HELLO = str(ROOT / "examples/hello.py")
SERVERS = {
    "anyiohttp-asyncio": [HELLO, "--backend", "asyncio", "--no-access-log"],
    # Only with --only: anyio's own asyncio streams instead of our lean one.
    "anyiohttp-asyncio-anyio-streams": [HELLO, "--backend", "asyncio", "--no-access-log"],
    "anyiohttp-trio": [HELLO, "--backend", "trio", "--no-access-log"],
    "h11-loop-asyncio": [str(HERE / "peer_h11_loop.py"), "--backend", "asyncio"],
    "h11-loop-trio": [str(HERE / "peer_h11_loop.py"), "--backend", "trio"],
    "aiohttp": [str(HERE / "peer_aiohttp_hello.py")],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--only", help="comma-separated server names")
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    names = (
        args.only.split(",")
        if args.only
        else [n for n in SERVERS if n != "anyiohttp-asyncio-anyio-streams"]
    )
    runs: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            cmd = SERVERS[name]
            env = dict(os.environ)
            if name.endswith("-anyio-streams"):
                env["ANYIOHTTP_STREAM"] = "anyio"
            port = free_port()
            server = subprocess.Popen(
                ["taskset", "-c", "0", sys.executable, *cmd, "--port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            try:
                deadline = time.time() + 20
                while time.time() < deadline:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        time.sleep(0.1)
                url = f"http://127.0.0.1:{port}/"
                before = cpu_seconds(server.pid)
                rate, total = asyncio.run(load(url, args.connections, args.seconds))
                runs[name].append(rate)
                cpu[name].append((cpu_seconds(server.pid) - before) / total * 1e6)
            finally:
                server.terminate()
                server.wait()
    med = {name: statistics.median(values) for name, values in runs.items()}
    for name, values in runs.items():
        print(
            f"{name:18} {med[name]:8.0f} req/s  {statistics.median(cpu[name]):6.1f} us CPU/req"
            f"   runs: {', '.join(f'{v:.0f}' for v in values)}"
        )
    for backend in ("asyncio", "trio"):
        if f"anyiohttp-{backend}" not in med or f"h11-loop-{backend}" not in med:
            continue
        ours = med[f"anyiohttp-{backend}"]
        print(
            f"anyiohttp/h11-loop on {backend}: {ours / med[f'h11-loop-{backend}']:.2f}x; "
            f"anyiohttp/aiohttp: {ours / med.get('aiohttp', float('nan')):.2f}x"
        )


if __name__ == "__main__":
    main()
