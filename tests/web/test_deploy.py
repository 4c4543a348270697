"""Deployment: the CLI with workers, Gunicorn worker classes, TLS sites via curl."""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import anyio
import httpx
import pytest
import trustme

from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio

APP = textwrap.dedent(
    """
    import os
    from anyiohttp import web

    async def pid(request):
        return web.Response(text=str(os.getpid()))

    def factory(argv):
        app = web.Application()
        app.router.add_get("/", pid)
        return app

    app = factory([])
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for_http(url: str) -> None:
    with anyio.fail_after(30):
        while True:
            try:
                async with httpx.AsyncClient() as client:
                    await client.get(url)
                return
            except httpx.TransportError:
                await anyio.sleep(0.1)


async def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        await anyio.to_thread.run_sync(lambda: proc.wait(timeout=30))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode


async def test_cli_with_two_workers_serves_from_both_and_exits_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "pidapp.py").write_text(APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "anyiohttp.web", "pidapp:factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "2"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        await wait_for_http(url)
        with anyio.fail_after(10):
            while True:  # both workers up
                async with httpx.AsyncClient() as client:
                    pids = {
                        (await client.get(url, headers={"Connection": "close"})).text
                        for _ in range(20)
                    }
                if len(pids) == 2:
                    break
                await anyio.sleep(0.2)
        counts: Counter[str] = Counter()
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits) as client:

            async def fetch(n: int) -> None:
                for _ in range(n):
                    counts[(await client.get(url)).text] += 1

            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(fetch, 100)
        assert sum(counts.values()) == 1000
        assert len(counts) == 2 and min(counts.values()) > 50
    finally:
        code = await stop(proc)
    assert code == 0


async def test_cli_single_process_and_bad_entry(tmp_path: Path) -> None:
    (tmp_path / "pidapp.py").write_text(APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "anyiohttp.web", "pidapp:factory", "--host", "127.0.0.1",
         "--port", str(port), "--backend", "trio"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await wait_for_http(f"http://127.0.0.1:{port}/")
    finally:
        assert await stop(proc) == 0
    bad = await anyio.run_process(
        [sys.executable, "-m", "anyiohttp.web", "nocolon"], cwd=tmp_path, check=False
    )
    assert bad.returncode != 0 and b"module:function" in bad.stderr


async def test_cli_logs_as_aiohttp_cli(tmp_path: Path, anyio_backend_name: str) -> None:
    # aiohttp's CLI shows the access log (logging at DEBUG) and says "Stopped" at the end.
    (tmp_path / "pidapp.py").write_text(APP)
    port = free_port()
    with (tmp_path / "stderr").open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "anyiohttp.web", "pidapp:factory", "-H", "127.0.0.1",
             "-P", str(port), "--backend", anyio_backend_name],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            await wait_for_http(f"http://127.0.0.1:{port}/")
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"http://127.0.0.1:{port}/")).status_code == 200
        finally:
            assert await stop(proc) == 0
    log = (tmp_path / "stderr").read_text()
    assert "INFO:anyiohttp.access:127.0.0.1 [" in log and '"GET / HTTP/1.1" 200' in log
    assert log.endswith("Stopped\n")


@pytest.mark.parametrize("worker", ["GunicornWebWorker", "GunicornTrioWebWorker"])
async def test_gunicorn_worker_serves_curl(tmp_path: Path, worker: str) -> None:
    (tmp_path / "pidapp.py").write_text(APP)
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn), "pidapp:app", "--worker-class", f"anyiohttp.worker.{worker}",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--graceful-timeout", "5",
         "--control-socket", str(tmp_path / "gunicorn.ctl")],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await wait_for_http(f"http://127.0.0.1:{port}/")
        result = await anyio.run_process(["curl", "-s", f"http://127.0.0.1:{port}/"])
        assert result.stdout.decode().isdigit()
    finally:
        assert await stop(proc) == 0


async def test_tls_site_with_sni_and_alpn_via_curl(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    seen: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: seen.append(name) or None  # type: ignore[func-returns-value]
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    async def hello(request: web.Request) -> web.Response:
        alpn = request.transport.get_extra_info("ssl_object").selected_alpn_protocol()
        return web.Response(text=f"{request.scheme} {alpn}")

    app = web.Application()
    app.router.add_get("/", hello)
    async with run_app(app, ssl_context=context) as url:
        result = await anyio.run_process(
            ["curl", "-s", "--cacert", str(ca_file), "--resolve",
             f"localhost:{url.port}:127.0.0.1", f"https://localhost:{url.port}/"],
        )  # fmt: skip
        refused = await anyio.run_process(
            ["curl", "-s", f"https://localhost:{url.port}/", "--resolve",
             f"localhost:{url.port}:127.0.0.1"], check=False,
        )  # fmt: skip
        plain = await anyio.run_process(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{url.port}/"],
            check=False,
        )  # fmt: skip
    assert result.stdout == b"https http/1.1"
    assert seen and seen[0] == "localhost"
    assert refused.returncode != 0  # the CA is not trusted by default
    assert plain.stdout == b"000"  # plain HTTP on a TLS port is dropped


async def test_unix_site_via_curl(tmp_path: Path) -> None:
    path = str(tmp_path / "web.sock")

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="over a unix socket")

    app = web.Application()
    app.router.add_get("/", hello)
    async with web.AppRunner(app) as runner:
        await web.UnixSite(runner, path).start()
        result = await anyio.run_process(["curl", "-s", "--unix-socket", path, "http://x/"])
    assert result.stdout == b"over a unix socket"


async def test_several_sites_at_once() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=str(request.transport.get_extra_info("sockname")[1]))

    app = web.Application()
    app.router.add_get("/", hello)
    async with web.AppRunner(app) as runner:
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        await tcp.start()
        sock_site = web.SockSite(runner, sock)
        await sock_site.start()
        async with httpx.AsyncClient() as client:
            for site in (tcp, sock_site):
                port = site.addresses[0][1]
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == str(port)
        assert len(runner.sites) == 2


async def test_tcp_site_with_a_host_list() -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=request.transport.get_extra_info("sockname")[0])

    app = web.Application()
    app.router.add_get("/", hello)
    async with web.AppRunner(app) as runner:
        site = web.TCPSite(runner, ["127.0.0.1", "127.0.0.2"], 0, backlog=16, reuse_port=True)
        await site.start()
        assert {address[0] for address in site.addresses} == {"127.0.0.1", "127.0.0.2"}
        async with httpx.AsyncClient() as client:
            for host, port in (a[:2] for a in site.addresses):
                assert (await client.get(f"http://{host}:{port}/")).text == host
