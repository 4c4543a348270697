"""What the ``*_instructions.py`` benchmarks share: a server or client under valgrind, its count.

Instructions counted by ``valgrind --tool=callgrind`` do not move with the
host's load, so a change of a few percent shows where req/s or msg/s on a
shared machine cannot. A server script prints ``ready`` once it listens and
exits when its client says it is done (a client script runs its requests
against a server outside valgrind and exits); ``count(many) - count(few)`` divided
by the difference in work is the cost of one unit, start-up cancelled out.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def valgrind(*args: str) -> list[str]:
    """The command that runs ``args`` under callgrind, counting instructions only."""
    return ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *args]


def collected(stderr: str) -> int:
    """The instruction count callgrind printed."""
    match = re.search(r"Collected : (\d+)", stderr)
    if match is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{stderr[-2000:]}")
    return int(match.group(1))


def server_run(
    script: str,
    args: list[str],
    drive: Callable[[int], Coroutine[Any, Any, None]],
    env: dict[str, str] | None = None,
) -> int:
    """Instructions of ``script`` (a server on the port passed last) while ``drive(port)`` runs."""
    port = free_port()
    cmd = valgrind(sys.executable, "-c", script, *args, str(port))
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{args} did not start: {proc.communicate()[1][-2000:]}")
        asyncio.run(drive(port))
        _, stderr = proc.communicate(timeout=900)
    finally:
        proc.kill()
    return collected(stderr)


def client_run(script: str, args: list[str], server: list[str]) -> int:
    """Instructions of ``script`` (a client of the port passed last) against ``server``.

    ``server`` is a command that takes ``--port`` and runs outside valgrind
    until it is terminated; the client script runs under valgrind to its end.
    """
    port = free_port()
    peer = subprocess.Popen(
        [*server, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_listening(port, peer, server)
        cmd = valgrind(sys.executable, "-c", script, *args, str(port))
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args} failed:\n{done.stderr[-2000:]}")
    finally:
        peer.terminate()
        peer.wait()
    return collected(done.stderr)


def wait_listening(port: int, proc: subprocess.Popen[Any], what: object) -> None:
    """Wait (up to 30 s) until something accepts on ``port``; ``proc`` is what should listen."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


def print_table(title: str, unit: str, results: dict[str, float]) -> None:
    """The counts as a Markdown table, each beside the ``aiohttp`` row's."""
    base = results.get("aiohttp")
    print(f"| {title:<22} | {unit:>20} | {'vs aiohttp':>10} |")
    print(f"| {'-' * 22} | {'-' * 20}:| {'-' * 10}:|")
    for row, count in results.items():
        ratio = f"{count / base:.2f}" if base else "-"
        print(f"| {row:<22} | {count:>20,.0f} | {ratio:>10} |")
