"""Servers under load, beside aiohttp: memory per idle connection, fairness, shutdown.

Each measurement starts a fresh server (pinned to CPU 0; clients on CPU 1):

- idle keep-alive: ``--idle`` connections each make one request and stay
  open; the server's RSS growth divided by their count (KiB per connection);
- idle WebSocket: ``--idle-ws`` WebSockets opened on ``/ws`` and left idle;
  RSS growth per WebSocket;
- busy: ``--busy`` keep-alive connections loop GETs for ``--seconds`` (a
  separate load process); meanwhile a new connection is opened every 0.25 s
  from another process and the time to its first answer is noted (median,
  worst, errors; the target is under 1 s);
- shutdown: ``--shutdown-conns`` connections loop GETs, the server gets
  SIGTERM, and each connection notes how it ended: its last request answered,
  closed cleanly (FIN) before an answer, or reset with a request unanswered
  (a request lost).

    python benchmarks/under_load.py
    python benchmarks/under_load.py --only anyiohttp-asyncio,aiohttp --busy 300 --seconds 5

The clients are plain sockets under ``selectors`` (one process can keep
1,000 connections busy); every loop is bounded in count and time. The host
is shared: the table is followed by the load average around the run.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
WS_REQUEST = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + base64.b64encode(b"0123456789abcdef") + b"\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)
IMPLS = {
    "anyiohttp-asyncio": ("anyiohttp", "asyncio"),
    "anyiohttp-trio": ("anyiohttp", "trio"),
    "aiohttp": ("aiohttp", "asyncio"),
}
TIMEOUT = 10.0  # a request with no answer for this long is an error


# -- the servers (run as a child: --serve IMPL) -----------------------------------------


def serve(impl: str, backend: str, port: int) -> None:
    """Hello world on / and an idle WebSocket on /ws, until SIGTERM."""
    if impl == "aiohttp":
        from aiohttp import web as aioweb

        async def a_hello(request: aioweb.Request) -> aioweb.Response:
            return aioweb.Response(text="Hello, World!")

        async def a_ws(request: aioweb.Request) -> aioweb.WebSocketResponse:
            ws = aioweb.WebSocketResponse()
            await ws.prepare(request)
            async for _msg in ws:
                pass
            return ws

        a_app = aioweb.Application()
        a_app.router.add_get("/", a_hello)
        a_app.router.add_get("/ws", a_ws)
        aioweb.run_app(a_app, host="127.0.0.1", port=port, access_log=None, print=None)
        return
    from anyiohttp import web

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="Hello, World!")

    async def ws_idle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _msg in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/ws", ws_idle)
    web.run_app(app, host="127.0.0.1", port=port, backend=backend, access_log=None, print=None)


def start_server(name: str) -> tuple[subprocess.Popen[bytes], int]:
    impl, backend = IMPLS[name]
    port = free_port()
    proc = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, __file__, "--serve", impl, backend, str(port)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{name} did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=70)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- blocking one-off clients -----------------------------------------------------------


def complete(buffer: bytes) -> int:
    """The length of the first whole Content-Length framed response in ``buffer``, or 0."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return 0
    length = 0
    for line in buffer[:end].split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    total = end + 4 + length
    return total if len(buffer) >= total else 0


def exchange(sock: socket.socket, request: bytes = REQUEST) -> bytes:
    """Send ``request``, return the response (a 101's head, or a whole framed one)."""
    sock.sendall(request)
    data = b""
    for _ in range(10_000):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response ended")
        data += chunk
        if data.startswith(b"HTTP/1.1 101") and b"\r\n\r\n" in data:
            return data
        if complete(data):
            return data
    raise ConnectionError("response too long")


def idle_kib(name: str, count: int, request: bytes) -> float:
    """Server RSS growth per connection left open after one exchange."""
    proc, port = start_server(name)
    socks: list[socket.socket] = []
    try:
        for _ in range(50):  # warm-up: first-use allocations are not per connection
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
                exchange(sock, request)
        time.sleep(0.5)
        before = rss_kib(proc.pid)
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            socks.append(sock)
            exchange(sock, request)
        time.sleep(1.0)
        return (rss_kib(proc.pid) - before) / count
    finally:
        for sock in socks:
            sock.close()
        stop_server(proc)


def first_answer(port: int) -> float | None:
    """Seconds from connect to the first whole answer on a new connection; None on error."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            exchange(sock)
    except OSError:
        return None
    return time.perf_counter() - started


# -- the load process (--load): many busy connections under selectors ---------------


class Conn:
    """One looping keep-alive client connection."""

    __slots__ = ("buffer", "ending", "pending", "sent_at", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.pending = False
        self.sent_at = 0.0
        self.ending = ""


def connect_all(port: int, count: int) -> list[Conn]:
    conns = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        sock.setblocking(False)
        conns.append(Conn(sock))
    return conns


def run_load(port: int, count: int, seconds: float, until_closed: bool) -> dict[str, Any]:
    """Loop GETs on ``count`` connections; report rate, errors and how connections ended.

    ``until_closed``: run until the server closed every connection (at most
    ``seconds``), for the shutdown measurement.
    """
    conns = connect_all(port, count)
    sel = selectors.DefaultSelector()
    for conn in conns:
        sel.register(conn.sock, selectors.EVENT_READ, conn)
    print("ready", flush=True)
    done = errors = 0
    open_count = len(conns)
    start = time.perf_counter()
    stop_at = start + seconds
    endings: dict[str, int] = {}
    last_check = start

    def send(conn: Conn) -> None:
        try:
            conn.sock.send(REQUEST)
            conn.pending, conn.sent_at = True, time.perf_counter()
        except OSError as exc:
            end(conn, "reset" if conn.pending else f"send failed ({type(exc).__name__})")

    def end(conn: Conn, how: str) -> None:
        nonlocal open_count
        endings[how] = endings.get(how, 0) + 1
        sel.unregister(conn.sock)
        conn.sock.close()
        open_count -= 1

    for conn in conns:
        send(conn)
    while open_count and time.perf_counter() < stop_at:
        now = time.perf_counter()
        for key, _ in sel.select(0.1):
            conn = key.data
            try:
                data = conn.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                end(conn, "lost to a reset" if conn.pending else "reset while idle")
                continue
            if not data:
                end(conn, "answered, then FIN" if not conn.pending else "FIN, unanswered")
                continue
            conn.buffer += data
            while length := complete(conn.buffer):
                closing = b"\r\nconnection: close" in conn.buffer[:length].lower()
                conn.buffer = conn.buffer[length:]
                conn.pending = False
                done += 1
                if not closing and (until_closed or now < stop_at):
                    send(conn)
        if not until_closed and now - last_check > 1.0:
            last_check = now
            for conn in conns:
                if conn.pending and now - conn.sent_at > TIMEOUT and conn.sock.fileno() >= 0:
                    errors += 1
                    end(conn, "timed out")
    elapsed = time.perf_counter() - start
    for conn in conns:
        if conn.sock.fileno() >= 0:
            end(conn, "still open")
    return {"rate": done / elapsed, "done": done, "errors": errors, "endings": endings}


def start_load(port: int, count: int, seconds: float, until_closed: bool) -> subprocess.Popen[str]:
    args = [sys.executable, __file__, "--load", str(port), str(count), str(seconds)]
    proc = subprocess.Popen(
        ["taskset", "-c", "1", *args, *(["--until-closed"] if until_closed else [])],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        raise RuntimeError(f"load process failed: {line!r}")
    return proc


def load_result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=120)
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- the measurements ---------------------------------------------------------------------


def busy(name: str, connections: int, seconds: float) -> dict[str, Any]:
    """Load ``connections`` busy ones; probe a new connection's first answer every 0.25 s."""
    proc, port = start_server(name)
    try:
        load = start_load(port, connections, seconds + 1, until_closed=False)
        firsts: list[float | None] = []
        with ThreadPoolExecutor(max_workers=64) as pool:
            futures = []
            probe_until = time.monotonic() + seconds
            for _ in range(int(seconds * 4) + 1):
                if time.monotonic() >= probe_until:
                    break
                futures.append(pool.submit(first_answer, port))
                time.sleep(0.25)
            firsts = [future.result() for future in futures]
        result = load_result(load)
    finally:
        stop_server(proc)
    times = [t for t in firsts if t is not None]
    result["probes"] = len(firsts)
    result["probe_errors"] = len(firsts) - len(times)
    result["first_median"] = statistics.median(times) if times else float("nan")
    result["first_max"] = max(times) if times else float("nan")
    return result


def shutdown(name: str, connections: int) -> dict[str, Any]:
    """SIGTERM while ``connections`` loop GETs; how each connection ended."""
    proc, port = start_server(name)
    try:
        load = start_load(port, connections, 30.0, until_closed=True)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        result = load_result(load)
    finally:
        stop_server(proc)
    return result


def fmt(row: dict[str, Any], key: str, spec: str = ".1f") -> str:
    value = row.get(key)
    return "-" if value is None else format(value, spec)


def print_table(args: argparse.Namespace, rows: dict[str, dict[str, Any]]) -> None:
    print(
        f"| server | KiB per idle keep-alive conn ({args.idle}) | KiB per idle WebSocket "
        f"({args.idle_ws}) | req/s under {args.busy} busy | request errors | new connection's "
        f"first answer, median / worst (s) | probes (errors) | shutdown under "
        f"{args.shutdown_conns}: requests lost to a reset / FIN before an answer / last "
        f"request answered, then FIN |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, row in rows.items():
        busy_row, down = row.get("busy", {}), row.get("shutdown", {})
        endings = down.get("endings", {})
        others = ", ".join(
            f"{how} {n}"
            for how, n in sorted(endings.items())
            if how not in ("lost to a reset", "FIN, unanswered", "answered, then FIN")
        )
        print(
            f"| {name} | {fmt(row, 'idle')} | {fmt(row, 'idle_ws')} | "
            f"{fmt(busy_row, 'rate', '.0f')} | {fmt(busy_row, 'errors', 'd')} | "
            f"{fmt(busy_row, 'first_median', '.2f')} / {fmt(busy_row, 'first_max', '.2f')} | "
            f"{fmt(busy_row, 'probes', 'd')} ({fmt(busy_row, 'probe_errors', 'd')}) | "
            + (
                f"{endings.get('lost to a reset', 0)} / {endings.get('FIN, unanswered', 0)} / "
                f"{endings.get('answered, then FIN', 0)}{'; ' + others if others else ''} |"
                if down
                else "- |"
            )
        )


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            sys.exit(f"ulimit -n: {needed} descriptors needed, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--idle-ws", type=int, default=1_000)
    parser.add_argument("--busy", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--shutdown-conns", type=int, default=1_000)
    parser.add_argument("--only", help="comma-separated server names: " + ", ".join(IMPLS))
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--load", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--until-closed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_fd_limit(max(args.idle, args.idle_ws, args.busy, args.shutdown_conns) + 1024)
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    if args.load:
        port, count, seconds = int(args.load[0]), int(args.load[1]), float(args.load[2])
        print(json.dumps(run_load(port, count, seconds, args.until_closed)), flush=True)
        return
    os.sched_setaffinity(0, {1})
    load_before = os.getloadavg()
    rows: dict[str, dict[str, Any]] = {}
    for name in args.only.split(",") if args.only else list(IMPLS):
        row = rows[name] = {}
        if args.idle:
            row["idle"] = idle_kib(name, args.idle, REQUEST)
        if args.idle_ws:
            row["idle_ws"] = idle_kib(name, args.idle_ws, WS_REQUEST)
        if args.busy:
            row["busy"] = busy(name, args.busy, args.seconds)
        if args.shutdown_conns:
            row["shutdown"] = shutdown(name, args.shutdown_conns)
        print(f"# {name}: {json.dumps(row)}", file=sys.stderr, flush=True)
    print_table(args, rows)
    print(
        f"\nHost: {os.cpu_count()} CPUs, load average (1 min) {load_before[0]:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after; servers on CPU 0, clients on CPU 1."
    )


if __name__ == "__main__":
    main()
