"""Custom resolvers (aiohttp's AbstractResolver / ResolveResult) and the default one."""

from __future__ import annotations

import socket

import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.abc import AbstractResolver, ResolveResult
from anyiohttp.resolver import DefaultResolver, ThreadedResolver

from ..conftest import run_app

pytestmark = pytest.mark.anyio


class StaticResolver(AbstractResolver):
    """Every name resolves to 127.0.0.1 at ``port`` (as an SRV record may say)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls: list[tuple[str, int, int]] = []
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append((host, port, family))
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=self.port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        self.closed = True


async def host_header(request: web.Request) -> web.Response:
    return web.Response(text=request.headers["Host"])


def app() -> web.Application:
    application = web.Application()
    application.router.add_get("/", host_header)
    return application


async def test_the_resolver_chooses_the_address_and_the_port() -> None:
    async with run_app(app()) as url:
        assert url.port is not None
        resolver = StaticResolver(url.port)
        connector = anyiohttp.TCPConnector(resolver=resolver, force_close=True)
        async with anyiohttp.ClientSession(connector=connector) as session:
            # Port 1 in the URL: only the resolver's port can reach the server.
            for _ in range(2):
                async with session.get("http://service.test:1/") as resp:
                    assert resp.status == 200
                    assert await resp.text() == "service.test:1"  # the URL's authority
        # Asked once (the DNS cache answers the second connection), with the URL's port.
        assert resolver.calls == [("service.test", 1, 0)]
        assert not resolver.closed  # a resolver given is the caller's to close
        await resolver.close()


async def test_without_the_dns_cache_each_connection_resolves() -> None:
    async with run_app(app()) as url:
        assert url.port is not None
        resolver = StaticResolver(url.port)
        connector = anyiohttp.TCPConnector(resolver=resolver, use_dns_cache=False, force_close=True)
        async with anyiohttp.ClientSession(connector=connector) as session:
            for _ in range(3):
                async with session.get("http://service.test/") as resp:
                    assert resp.status == 200
        assert len(resolver.calls) == 3


async def test_a_resolver_that_finds_nothing_is_a_dns_error() -> None:
    class Nothing(StaticResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            return []

    connector = anyiohttp.TCPConnector(resolver=Nothing(0))
    async with anyiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(anyiohttp.ClientConnectorDNSError):
            await session.get("http://nowhere.test/")


async def test_threaded_resolver_gives_aiohttps_result_shape() -> None:
    assert DefaultResolver is ThreadedResolver
    resolver = ThreadedResolver()
    results = await resolver.resolve("localhost", 8080, family=socket.AF_INET)
    assert results, "localhost resolves"
    first = results[0]
    assert first == {
        "hostname": "localhost",
        "host": "127.0.0.1",
        "port": 8080,
        "family": socket.AF_INET,
        "proto": first["proto"],
        "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
    }
    await resolver.close()


async def test_the_default_resolver_reaches_localhost() -> None:
    async with run_app(app()) as url, anyiohttp.ClientSession() as session:
        async with session.get(f"http://localhost:{url.port}/") as resp:
            assert await resp.text() == f"localhost:{url.port}"
