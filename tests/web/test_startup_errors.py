"""Startup failures leave every public entry point as the original exception.

A failing ``on_startup`` and a port already in use must come out of
``run_app``, ``AppRunner``/``TCPSite``, ``python -m anyiohttp.web`` and the
Gunicorn workers as the LookupError / OSError the user catches, on both
backends, never as an ExceptionGroup of our own task groups.
"""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from anyiohttp import web

BACKENDS = pytest.mark.parametrize("backend", ["asyncio", "trio"])


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that a listening socket holds for the test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def failing_app() -> web.Application:
    async def fail(app: web.Application) -> None:
        raise LookupError("startup failed")

    app = web.Application()
    app.on_startup.append(fail)
    return app


# run_app calls anyio.run itself: these tests are synchronous, one per backend.


def run_on(port: int, backend: str) -> None:
    web.run_app(web.Application(), host="127.0.0.1", port=port, backend=backend, print=None)


@BACKENDS
def test_run_app_startup_failure_is_the_original_exception(backend: str) -> None:
    with pytest.raises(LookupError, match="startup failed") as info:
        web.run_app(failing_app(), host="127.0.0.1", port=0, backend=backend, print=None)
    assert info.type is LookupError


@BACKENDS
def test_run_app_on_a_busy_port_is_an_oserror(backend: str, busy_port: int) -> None:
    with pytest.raises(OSError, match="in use") as info:
        run_on(busy_port, backend)
    assert info.type is OSError
    assert info.value.errno == errno.EADDRINUSE


@BACKENDS
def test_run_app_on_a_busy_port_is_caught_by_except_oserror(backend: str, busy_port: int) -> None:
    try:
        run_on(busy_port, backend)
    except OSError as exc:
        caught: OSError | None = exc
    else:  # pragma: no cover - the port is held
        caught = None
    assert caught is not None and caught.errno == errno.EADDRINUSE


@pytest.mark.anyio
async def test_app_runner_startup_failure_is_the_original_exception() -> None:
    with pytest.raises(LookupError, match="startup failed") as info:
        async with web.AppRunner(failing_app()):
            pass  # pragma: no cover
    assert info.type is LookupError


@pytest.mark.anyio
async def test_tcp_site_on_a_busy_port_is_an_oserror(busy_port: int) -> None:
    with pytest.raises(OSError, match="in use") as info:
        async with web.AppRunner(web.Application()) as runner:
            await web.TCPSite(runner, "127.0.0.1", busy_port).start()
    assert info.type is OSError and info.value.errno == errno.EADDRINUSE


# -- the command line and the Gunicorn workers: their own processes -----------------------

APP = textwrap.dedent(
    """
    from anyiohttp import web

    async def fail(app):
        raise LookupError("startup failed")

    def factory(argv):
        return web.Application()

    def failing(argv):
        app = web.Application()
        app.on_startup.append(fail)
        return app

    app = failing([])
    """
)


def last_line(stderr: bytes) -> str:
    return stderr.decode().strip().splitlines()[-1]


@BACKENDS
@pytest.mark.anyio
async def test_cli_on_a_busy_port_fails_with_oserror(
    tmp_path: Path, backend: str, busy_port: int
) -> None:
    (tmp_path / "startapp.py").write_text(APP)
    with anyio.fail_after(60):
        result = await anyio.run_process(
            [sys.executable, "-m", "anyiohttp.web", "startapp:factory", "--host", "127.0.0.1",
             "--port", str(busy_port), "--backend", backend],
            cwd=tmp_path, check=False,
        )  # fmt: skip
    assert result.returncode == 1
    assert last_line(result.stderr).startswith("OSError: [Errno 98]"), result.stderr.decode()
    assert b"ExceptionGroup" not in result.stderr


@BACKENDS
@pytest.mark.anyio
async def test_cli_startup_failure_is_the_original_exception(tmp_path: Path, backend: str) -> None:
    (tmp_path / "startapp.py").write_text(APP)
    port = free_port()
    with anyio.fail_after(60):
        result = await anyio.run_process(
            [sys.executable, "-m", "anyiohttp.web", "startapp:failing", "--host", "127.0.0.1",
             "--port", str(port), "--backend", backend],
            cwd=tmp_path, check=False,
        )  # fmt: skip
    assert result.returncode == 1
    assert last_line(result.stderr) == "LookupError: startup failed", result.stderr.decode()
    assert b"ExceptionGroup" not in result.stderr


@pytest.mark.parametrize("worker", ["GunicornWebWorker", "GunicornTrioWebWorker"])
@pytest.mark.anyio
async def test_gunicorn_worker_startup_failure_is_the_original_exception(
    tmp_path: Path, worker: str
) -> None:
    (tmp_path / "startapp.py").write_text(APP)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = ""
    # Gunicorn logs the worker's exception with its traceback, then starts
    # the worker again: read until the first worker gave up, then stop it.
    async with await anyio.open_process(
        [str(gunicorn), "startapp:app", "--worker-class", f"anyiohttp.worker.{worker}",
         "--bind", f"127.0.0.1:{free_port()}", "--workers", "1",
         "--control-socket", str(tmp_path / "gunicorn.ctl")],
        cwd=tmp_path, stdout=subprocess.DEVNULL,
    ) as proc:  # fmt: skip
        assert proc.stderr is not None
        try:
            with anyio.fail_after(60):
                async for chunk in proc.stderr:
                    log += chunk.decode()
                    if "Worker exiting" in log:
                        break
        finally:
            proc.terminate()
            with anyio.move_on_after(30):
                await proc.wait()
            if proc.returncode is None:  # pragma: no cover
                proc.kill()
    assert "Exception in worker process" in log, log
    assert "\nLookupError: startup failed\n" in log, log
    assert "ExceptionGroup" not in log, log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
