"""TLS with a trustme CA, HTTP and CONNECT proxies, tracing, big streamed bodies."""

from __future__ import annotations

import resource
import ssl
import sys
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
import trustme
from yarl import URL

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def leaf(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1")


@pytest.fixture(scope="module")
def server_ssl(leaf: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_ssl(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def hello(request: web.Request) -> web.Response:
    return web.Response(text=f"{request.scheme} {request.secure}")


def hello_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", hello)
    return app


async def test_tls_verified_and_refused(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    async with run_app(hello_app(), ssl_context=server_ssl) as url:
        https = url.with_scheme("https")
        async with anyiohttp.ClientSession() as session:
            resp = await session.get(https, ssl=client_ssl)
            assert await resp.text() == "https True"
            again = await session.get(https, ssl=client_ssl)
            assert again.status == 200
            with pytest.raises(anyiohttp.ClientConnectorCertificateError):
                await session.get(https)  # the system CAs do not know trustme's
            insecure = await session.get(https, ssl=False)
            assert insecure.status == 200


async def test_tls_pinned_by_fingerprint(
    server_ssl: ssl.SSLContext, leaf: trustme.LeafCert
) -> None:
    """As aiohttp: ssl=Fingerprint(sha256 of the DER certificate) pins it (no CA needed)."""
    import hashlib

    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    digest = hashlib.sha256(der).digest()
    async with run_app(hello_app(), ssl_context=server_ssl) as url:
        https = url.with_scheme("https")
        async with anyiohttp.ClientSession() as session:
            resp = await session.get(https, ssl=anyiohttp.Fingerprint(digest))
            assert await resp.text() == "https True"
            with pytest.raises(anyiohttp.ServerFingerprintMismatch) as info:
                await session.get(https, ssl=anyiohttp.Fingerprint(b"\x00" * 32))
            assert info.value.got == digest
            with pytest.warns(DeprecationWarning, match="fingerprint is deprecated"):
                resp = await session.get(https, fingerprint=digest)
            assert resp.status == 200
            with (
                pytest.warns(DeprecationWarning, match="fingerprint"),
                pytest.raises(ValueError, match="exclusive"),
            ):
                await session.get(https, fingerprint=digest, ssl=False)
        # On the connector too, for every request that leaves ssl= alone.
        connector = anyiohttp.TCPConnector(ssl=anyiohttp.Fingerprint(digest))
        async with anyiohttp.ClientSession(connector=connector) as session:
            assert (await session.get(https)).status == 200
        connector = anyiohttp.TCPConnector(ssl=anyiohttp.Fingerprint(b"\x01" * 32))
        async with anyiohttp.ClientSession(connector=connector) as session:
            with pytest.raises(anyiohttp.ServerFingerprintMismatch):
                await session.get(https)
    with pytest.raises(ValueError, match="sha256"):
        anyiohttp.Fingerprint(hashlib.md5(der).digest())


async def test_tls_connector_level_context(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    async with run_app(hello_app(), ssl_context=server_ssl) as url:
        connector = anyiohttp.TCPConnector(ssl=client_ssl)
        async with anyiohttp.ClientSession(connector=connector) as session:
            resp = await session.get(url.with_scheme("https"))
            assert resp.status == 200


class Proxy:
    """A small forward proxy: absolute-form requests and CONNECT tunnels."""

    def __init__(self, require_auth: str | None = None) -> None:
        self.require_auth = require_auth
        self.seen: list[str] = []

    async def handle(self, client: anyio.abc.SocketStream) -> None:
        async with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = await client.receive()
                if not chunk:
                    return
                head += chunk
            head, _, rest = head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ")
            headers = dict(line.split(": ", 1) for line in lines[1:])
            self.seen.append(f"{method} {target}")
            if self.require_auth and headers.get("Proxy-Authorization") != self.require_auth:
                await client.send(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                  b"Content-Length: 0\r\n\r\n")  # fmt: skip
                return
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                upstream = await anyio.connect_tcp(host, int(port))
                await client.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                url = URL(target)
                upstream = await anyio.connect_tcp(url.host or "", url.port or 80)
                fixed = [f"{method} {url.raw_path_qs} HTTP/1.1"] + [
                    f"{k}: {v}" for k, v in headers.items() if k.lower() != "proxy-authorization"
                ]
                await upstream.send(("\r\n".join(fixed) + "\r\n\r\n").encode() + rest)
            async with upstream, anyio.create_task_group() as tg:

                async def pump(src: anyio.abc.ByteStream, dst: anyio.abc.ByteStream) -> None:
                    try:
                        async for data in src:
                            await dst.send(data)
                    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                        pass
                    tg.cancel_scope.cancel()

                tg.start_soon(pump, client, upstream)
                tg.start_soon(pump, upstream, client)


async def run_proxy(proxy: Proxy, *, task_status: anyio.abc.TaskStatus[int]) -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        task_status.started(listener.extra(anyio.abc.SocketAttribute.local_port))
        await listener.serve(proxy.handle)


async def test_http_proxy_with_auth() -> None:
    auth = anyiohttp.BasicAuth("p", "secret")
    proxy = Proxy(require_auth=auth.encode())
    async with run_app(hello_app()) as url, anyio.create_task_group() as tg:
        port = await tg.start(run_proxy, proxy)
        async with anyiohttp.ClientSession() as session:
            refused = await session.get(url, proxy=f"http://127.0.0.1:{port}")
            assert refused.status == 407
            resp = await session.get(url, proxy=f"http://127.0.0.1:{port}", proxy_auth=auth)
            assert await resp.text() == "http False"
        tg.cancel_scope.cancel()
    assert proxy.seen[-1] == f"GET {url}/"


async def test_connect_proxy_for_https(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    proxy = Proxy()
    async with run_app(hello_app(), ssl_context=server_ssl) as url, anyio.create_task_group() as tg:
        port = await tg.start(run_proxy, proxy)
        async with anyiohttp.ClientSession(proxy=f"http://127.0.0.1:{port}") as session:
            resp = await session.get(url.with_scheme("https"), ssl=client_ssl)
            assert await resp.text() == "https True"
        tg.cancel_scope.cancel()
    assert proxy.seen == [f"CONNECT 127.0.0.1:{url.port}"]


async def test_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = Proxy()
    async with run_app(hello_app()) as url, anyio.create_task_group() as tg:
        port = await tg.start(run_proxy, proxy)
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        async with anyiohttp.ClientSession(trust_env=True) as session:
            assert (await session.get(url)).status == 200
        async with anyiohttp.ClientSession() as session:  # trust_env off: direct
            assert (await session.get(url)).status == 200
        tg.cancel_scope.cancel()
    assert len(proxy.seen) == 1


async def test_tracing_events_in_order() -> None:
    events: list[str] = []

    def record(name: str):  # type: ignore[no-untyped-def]
        async def callback(session: object, ctx: SimpleNamespace, params: object) -> None:
            assert ctx.trace_request_ctx == {"id": 7}
            events.append(name)

        return callback

    config = anyiohttp.TraceConfig()
    for name in (
        "on_request_start", "on_connection_queued_start", "on_connection_queued_end",
        "on_connection_create_start", "on_connection_create_end", "on_connection_reuseconn",
        "on_request_headers_sent", "on_request_chunk_sent", "on_response_chunk_received",
        "on_request_redirect", "on_request_end", "on_request_exception",
        "on_dns_resolvehost_start", "on_dns_resolvehost_end",
        "on_dns_cache_hit", "on_dns_cache_miss",
    ):  # fmt: skip
        getattr(config, name).append(record(name))

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/")

    app = hello_app()
    app.router.add_post("/go", redirect)
    async with run_app(app) as url, anyiohttp.ClientSession(trace_configs=[config]) as session:
        resp = await session.post(url / "go", data=b"x", trace_request_ctx={"id": 7})
        await resp.read()
        events.append("--")
        resp = await session.get(url.with_host("localhost"), trace_request_ctx={"id": 7})
        await resp.read()
    assert events == [
        "on_request_start",
        "on_connection_create_start", "on_connection_create_end",
        "on_request_headers_sent", "on_request_chunk_sent",
        "on_request_redirect", "on_response_chunk_received",  # the redirect's own body
        "on_connection_reuseconn", "on_request_headers_sent",
        "on_request_end", "on_response_chunk_received",
        "--",
        "on_request_start",
        "on_connection_create_start",
        "on_dns_cache_miss", "on_dns_resolvehost_start", "on_dns_resolvehost_end",
        "on_connection_create_end", "on_request_headers_sent",
        "on_request_end", "on_response_chunk_received",
    ]  # fmt: skip


def peak_rss() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage if sys.platform != "darwin" else usage // 1024  # kilobytes


async def test_50_mib_streamed_upload_and_download_keep_memory_flat() -> None:
    size = 50 * 1024 * 1024
    chunk = b"z" * 65536

    async def upload(request: web.Request) -> web.Response:
        total = 0
        async for data in request.content.iter_any():
            total += len(data)
        return web.Response(text=str(total))

    async def download(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = size
        await resp.prepare(request)
        for _ in range(size // len(chunk)):
            await resp.write(chunk)
        return resp

    async def produce() -> AsyncIterator[bytes]:
        for _ in range(size // len(chunk)):
            yield chunk

    app = web.Application(client_max_size=0)
    app.router.add_post("/up", upload)
    app.router.add_get("/down", download)
    before = peak_rss()
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        resp = await session.post(url / "up", data=produce())
        assert await resp.text() == str(size)
        received = 0
        async with session.get(url / "down") as resp:
            async for data in resp.content.iter_chunked(65536):
                received += len(data)
    assert received == size
    growth_kib = peak_rss() - before
    assert growth_kib < 20 * 1024, f"peak RSS grew by {growth_kib} KiB for a {size} byte body"


async def test_against_an_aiohttp_server_in_a_subprocess(tmp_path: object) -> None:
    import pathlib
    import subprocess

    script = pathlib.Path(str(tmp_path)) / "srv.py"
    script.write_text(
        "import sys\nfrom aiohttp import web\n"
        "async def h(request):\n"
        "    body = await request.read()\n"
        "    resp = web.json_response({'m': request.method, 'n': len(body)})\n"
        "    resp.set_cookie('c', 'v')\n"
        "    return resp\n"
        "async def r(request):\n    raise web.HTTPFound('/')\n"
        "async def g(request):\n"
        "    resp = web.Response(text='zipped ' * 1000)\n"
        "    resp.enable_compression()\n    return resp\n"
        "app = web.Application()\napp.router.add_route('*', '/', h)\n"
        "app.router.add_get('/r', r)\napp.router.add_get('/g', g)\n"
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
    )
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.DEVNULL)
    try:
        base = URL(f"http://127.0.0.1:{port}/")
        jar = anyiohttp.CookieJar(unsafe=True)
        async with anyiohttp.ClientSession(cookie_jar=jar) as session:
            with anyio.fail_after(20):
                while True:
                    try:
                        resp = await session.get(base)
                        break
                    except anyiohttp.ClientConnectorError:
                        await anyio.sleep(0.1)
            assert await resp.json() == {"m": "GET", "n": 0}
            posted = await session.post(base, data=b"q" * 100_000)
            assert await posted.json() == {"m": "POST", "n": 100_000}
            redirected = await session.get(base / "r")
            assert redirected.history[0].status == 302
            zipped = await session.get(base / "g")
            assert zipped.headers["Content-Encoding"] in ("deflate", "gzip", "br")
            assert await zipped.text() == "zipped " * 1000
            assert {m.key for m in jar} == {"c"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_server_hostname_names_the_tls_peer(
    ca: trustme.CA, client_ssl: ssl.SSLContext, anyio_backend_name: str
) -> None:
    """As aiohttp: server_hostname= is the name sent as SNI and the one the certificate
    is checked against, instead of the URL's host (here an address the certificate does
    not name); without it the same server fails verification."""
    names: list[str | None] = []
    server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("example.test").configure_cert(server_ssl)

    def record(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        names.append(name)  # the name the client sent (SNI), None without one

    server_ssl.sni_callback = record

    async def fetch(session: Any, https: URL) -> tuple[int, str]:
        async with session.get(str(https), ssl=client_ssl, server_hostname="example.test") as r:
            return r.status, await r.text()

    async with run_app(hello_app(), ssl_context=server_ssl) as url:
        https = url.with_scheme("https")
        async with anyiohttp.ClientSession() as session:
            assert await fetch(session, https) == (200, "https True")
            assert await fetch(session, https) == (200, "https True")  # the same connection
            with pytest.raises(anyiohttp.ClientConnectorCertificateError):
                await session.get(https, ssl=client_ssl)  # a connection of its own, refused
        assert names == ["example.test", None]  # one connection each; no SNI for an address
        if anyio_backend_name == "asyncio":  # aiohttp itself, on the same server
            aiohttp = pytest.importorskip("aiohttp")
            async with aiohttp.ClientSession() as session:
                assert await fetch(session, https) == (200, "https True")
                with pytest.raises(aiohttp.ClientConnectorCertificateError):
                    await session.get(str(https), ssl=client_ssl)
            assert names == ["example.test", None] * 2
