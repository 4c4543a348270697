"""``python -m anyiohttp.web``: serve an application factory, in one or N processes.

    python -m anyiohttp.web package.module:factory --host 0.0.0.0 --port 8080 \\
        --backend trio --workers 4

The factory is called with the command line arguments left after ours (as
aiohttp's ``python -m aiohttp.web``), and may be async. With ``--workers N``
(N > 1) a supervisor process starts N workers that share the port (through
SO_REUSEPORT where the OS has it, else through one listening socket the
supervisor opens and hands down), restarts a worker that dies, and passes
SIGINT/SIGTERM on to all of them, then waits for their graceful shutdown.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any, Final

import anyio
from anyio.abc import Process

from .app import Application
from .runner import run_app

__all__ = ("main",)

_RESTART_DELAY: Final = 1.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m anyiohttp.web",
        description="Serve an anyiohttp application from a factory function.",
    )
    parser.add_argument("entry_func", help="the application factory, as module:function")
    parser.add_argument("-H", "--hostname", "--host", dest="host", default="localhost")
    parser.add_argument("-P", "--port", type=int, default=8080)
    parser.add_argument("-U", "--path", help="serve on this Unix socket instead of TCP")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--shutdown-timeout", type=float, default=60.0)
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sock-fd", type=int, help=argparse.SUPPRESS)
    return parser


def _load_factory(entry: str) -> Any:
    module_name, sep, func_name = entry.partition(":")
    if not sep or not module_name or not func_name:
        raise SystemExit("'entry_func' should be module:function")
    if module_name.startswith("."):
        raise SystemExit("relative module names are not supported")
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemExit(f"unable to import {module_name}: {exc}") from None
    try:
        return getattr(module, func_name)
    except AttributeError:
        raise SystemExit(f"module {module_name!r} has no attribute {func_name!r}") from None


async def _build_app(factory: Any, extra: list[str]) -> Application:
    app = factory(extra) if _takes_argv(factory) else factory()
    if inspect.isawaitable(app):
        app = await app
    if not isinstance(app, Application):
        raise TypeError(f"{factory!r} returned {app!r}, not a web.Application")
    return app


def _takes_argv(factory: Any) -> bool:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return True
    return len(params) > 0


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line."""
    args, extra = _parser().parse_known_args(argv)
    if args.workers < 1:
        raise SystemExit("--workers must be at least 1")
    if args.workers > 1:
        sys.exit(_supervise(args, extra))
    factory = _load_factory(args.entry_func)
    sock = socket.socket(fileno=args.sock_fd) if args.sock_fd is not None else None
    # As aiohttp's CLI: everything logged is shown, the access log included.
    logging.basicConfig(level=logging.DEBUG)
    run_app(
        _build_app(factory, extra),
        host=None if (args.path or sock) else args.host,
        port=None if (args.path or sock) else args.port,
        path=args.path,
        sock=sock,
        backend=args.backend,
        shutdown_timeout=args.shutdown_timeout,
        reuse_port=args.reuse_port or None,
    )
    print("Stopped", file=sys.stderr)  # as aiohttp's, after a graceful shutdown


# -- the supervisor ------------------------------------------------------------------


def _worker_command(args: argparse.Namespace, extra: list[str], sock_fd: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "anyiohttp.web", args.entry_func, "--backend", args.backend]
    cmd += ["--shutdown-timeout", str(args.shutdown_timeout)]
    if args.path:
        cmd += ["--path", args.path]
    elif sock_fd is not None:
        cmd += ["--sock-fd", str(sock_fd)]
    else:
        cmd += ["--host", args.host, "--port", str(args.port), "--reuse-port"]
    return cmd + extra


def _supervise(args: argparse.Namespace, extra: list[str]) -> int:
    if args.path:
        raise SystemExit("--workers > 1 serves TCP only (one Unix socket path cannot be shared)")
    sock: socket.socket | None = None
    if not hasattr(socket, "SO_REUSEPORT"):
        # No SO_REUSEPORT: one listening socket, inherited by every worker.
        sock = socket.create_server((args.host, args.port), backlog=128)
        sock.set_inheritable(True)
    command = _worker_command(args, extra, sock.fileno() if sock is not None else None)
    try:
        return anyio.run(_supervisor, command, args.workers, sock)
    finally:
        if sock is not None:
            sock.close()


async def _supervisor(command: list[str], workers: int, sock: socket.socket | None) -> int:
    stopping = anyio.Event()
    processes: dict[int, Process] = {}
    pass_fds = (sock.fileno(),) if sock is not None else ()

    async def run_worker(index: int) -> None:
        while not stopping.is_set():
            process = await anyio.open_process(
                command, stdin=None, stdout=None, stderr=None, pass_fds=pass_fds
            )
            async with process:
                processes[index] = process
                print(f"worker {index} started (pid {process.pid})", file=sys.stderr, flush=True)
                code = await process.wait()
            if stopping.is_set():
                return
            print(
                f"worker {index} (pid {process.pid}) exited with {code}; restarting",
                file=sys.stderr,
                flush=True,
            )
            await anyio.sleep(_RESTART_DELAY)

    async with anyio.create_task_group() as tg:
        for index in range(workers):
            tg.start_soon(run_worker, index)
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _signum in signals:
                stopping.set()
                for process in processes.values():
                    if process.returncode is None:
                        process.send_signal(signal.SIGTERM)
                break
    return 0
