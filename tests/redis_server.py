"""A real redis-server for the tests: its own process, on a free 127.0.0.1 port.

redis-server has no ``--port 0``: a port is picked by binding to port 0 and
releasing it, and if another process takes it first the start is tried again
on another. Nothing is written to disk (``--save '' --appendonly no``, a
temporary working directory). Every wait is bounded.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

#: How long redis-server may take to answer PING, or to exit when asked.
START_TIMEOUT: Final = 10.0
STOP_TIMEOUT: Final = 10.0


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ping(port: int) -> bool:
    """True when a Redis server answers PING on 127.0.0.1:``port`` (raw RESP, no client)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _wait_ready(process: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # exited: the port was taken, say
        if ping(port):
            return True
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # SIGTERM: redis-server shuts down cleanly (nothing to save)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)


@contextmanager
def redis_server(attempts: int = 3) -> Iterator[int]:
    """Run redis-server for the block; yields its port on 127.0.0.1."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError(
            "redis-server is not installed: scripts/test installs it "
            "(apt-get install -y redis-server)"
        )
    with tempfile.TemporaryDirectory() as workdir:
        logfile = Path(workdir) / "redis.log"
        for _ in range(attempts):
            port = free_port()
            process = subprocess.Popen(
                [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", workdir, "--logfile", str(logfile),
                 "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                ready = _wait_ready(process, port)
                if ready:
                    yield port
            finally:
                _stop(process)
            if ready:
                return
        log = logfile.read_text(errors="replace") if logfile.exists() else ""
        raise RuntimeError(f"redis-server did not start in {attempts} attempts:\n{log}")
