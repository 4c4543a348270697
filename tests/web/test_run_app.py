"""run_app in a subprocess on each backend: serves curl, exits 0 on SIGINT/SIGTERM after cleanup."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

pytestmark = pytest.mark.anyio

APP = textwrap.dedent(
    """
    import sys
    from anyiohttp import web

    async def hello(request):
        return web.Response(text="hello from " + sys.argv[2])

    async def on_cleanup(app):
        print("cleanup ran", flush=True)

    app = web.Application()
    app.router.add_get("/", hello)
    app.on_cleanup.append(on_cleanup)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), backend=sys.argv[2])
    print("run_app returned", flush=True)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_run_app_serves_curl_and_exits_cleanly_on_signal(
    tmp_path: Path, backend: str, signum: signal.Signals
) -> None:
    script = tmp_path / "app.py"
    script.write_text(APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port), backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = b""
        with anyio.fail_after(20):
            while True:
                result = await anyio.run_process(
                    ["curl", "-s", f"http://127.0.0.1:{port}/"], check=False
                )
                if result.returncode == 0:
                    body = result.stdout
                    break
                await anyio.sleep(0.1)
        assert body == f"hello from {backend}".encode()
        proc.send_signal(signum)
        out, err = await anyio.to_thread.run_sync(lambda: proc.communicate(timeout=20))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Running on http://127.0.0.1:" in out
    assert out.index("cleanup ran") < out.index("run_app returned")
    assert "Traceback" not in err


RUNNER = textwrap.dedent(
    """
    import sys
    import anyio
    from anyiohttp import web

    async def hello(request):
        return web.Response(text="hello")

    async def main():
        app = web.Application()
        app.router.add_get("/", hello)
        try:
            async with web.AppRunner(app, handle_signals=True) as runner:
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                print(site.addresses[0][1], flush=True)
                await anyio.sleep_forever()
        except web.GracefulExit:
            print("GracefulExit after the shutdown", flush=True)

    anyio.run(main, backend=sys.argv[1])
    """
)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
async def test_app_runner_handle_signals_ends_its_block_with_graceful_exit(
    tmp_path: Path, backend: str
) -> None:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    proc = subprocess.Popen(
        [sys.executable, str(script), backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(await anyio.to_thread.run_sync(proc.stdout.readline))
        result = await anyio.run_process(["curl", "-s", f"http://127.0.0.1:{port}/"])
        assert result.stdout == b"hello"
        proc.send_signal(signal.SIGTERM)
        out, err = await anyio.to_thread.run_sync(lambda: proc.communicate(timeout=20))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "GracefulExit after the shutdown" in out
