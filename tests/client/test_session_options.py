"""Session and request options as aiohttp's: HTTP/1.0, .netrc, skip_auto_headers,
form bodies from lists of tuples, bad proxies and redirect URLs; TCPSite.port."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.abc import AbstractResolver, ResolveResult

from ..conftest import run_app

pytestmark = pytest.mark.anyio


def recording_app() -> tuple[web.Application, list[dict[str, object]]]:
    seen: list[dict[str, object]] = []

    async def record(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append(
            {
                "version": tuple(request.version),
                "headers": dict(request.headers),
                "body": body,
                "peer": request.transport.get_extra_info("peername"),
            }
        )
        return web.Response(text="ok")

    async def bad_redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "http://[::1/broken"})

    app = web.Application()
    app.router.add_get("/bad-redirect", bad_redirect)
    app.router.add_route("*", "/{tail:.*}", record)
    return app, seen


async def test_tcp_site_port_and_name_once_started() -> None:
    app, _ = recording_app()
    async with web.AppRunner(app) as runner:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        assert site.port == 0  # what was asked for, before start
        await site.start()
        port = site.port
        assert port == site.addresses[0][1] and port != 0
        assert site.name == f"http://127.0.0.1:{port}"
        async with anyiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/") as resp:
                assert await resp.text() == "ok"
    assert web.TCPSite(runner, port=9999).port == 9999


async def test_version_10_sends_http_10_and_keeps_the_connection(each_parser: str) -> None:
    app, seen = recording_app()
    async with (
        run_app(app) as url,
        anyiohttp.ClientSession(version=anyiohttp.HttpVersion10) as session,
    ):
        assert session.version == anyiohttp.HttpVersion10
        for _ in range(2):
            async with session.get(url) as resp:
                assert await resp.text() == "ok"
    assert [s["version"] for s in seen] == [(1, 0), (1, 0)]
    assert seen[0]["headers"]["Connection"] == "keep-alive"  # type: ignore[index]
    # Kept alive, as asked and as the server answered, on both parsers (as aiohttp).
    assert seen[0]["peer"] == seen[1]["peer"]


async def test_trust_env_reads_netrc_for_basic_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc_file.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc_file))
    app, seen = recording_app()
    async with run_app(app) as url:
        async with anyiohttp.ClientSession(trust_env=True) as session:
            await (await session.get(url)).read()
            # A header of one's own wins over .netrc.
            await (await session.get(url, headers={"Authorization": "Bearer t"})).read()
        async with anyiohttp.ClientSession() as session:  # trust_env off: not read
            await (await session.get(url)).read()
    expected = anyiohttp.BasicAuth("alice", "s3cret").encode()
    auths = [s["headers"].get("Authorization") for s in seen]  # type: ignore[attr-defined]
    assert auths == [expected, "Bearer t", None]


@pytest.mark.parametrize("name", ["User-Agent", "user-agent"])
async def test_skip_auto_headers_drops_them_in_any_case(name: str) -> None:
    app, seen = recording_app()
    async with run_app(app) as url:
        async with anyiohttp.ClientSession(skip_auto_headers=(name,)) as session:
            await (await session.get(url)).read()
        async with anyiohttp.ClientSession() as session:
            await (await session.get(url, skip_auto_headers=[name, "ACCEPT"])).read()
    for request in seen:
        assert "User-Agent" not in request["headers"]  # type: ignore[operator]
    assert "Accept" not in seen[1]["headers"]  # type: ignore[operator]


async def test_lists_of_tuples_are_form_bodies() -> None:
    app, seen = recording_app()
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        await (await session.post(url, data=[("a", "1"), ("b", "x y"), ("a", "2")])).read()
        await (await session.post(url, data=(("only", "one"),))).read()
        files = [("f", io.BytesIO(b"first file")), ("f", io.BytesIO(b"second file"))]
        await (await session.post(url, data=files)).read()
    assert seen[0]["body"] == b"a=1&b=x+y&a=2"
    assert seen[0]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"  # type: ignore[index]
    assert seen[1]["body"] == b"only=one"
    multipart = seen[2]["body"]
    assert isinstance(multipart, bytes)
    assert seen[2]["headers"]["Content-Type"].startswith("multipart/form-data")  # type: ignore[index]
    assert multipart.count(b'; name="f"') == 2
    assert b"first file" in multipart and b"second file" in multipart


class RecordingResolver(AbstractResolver):
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        raise OSError("no DNS in this test")

    async def close(self) -> None:
        pass


@pytest.mark.parametrize("proxy", ["no-scheme", "ftp://proxy.test", "http://"])
async def test_a_proxy_that_is_not_an_http_url_is_invalid_before_any_lookup(proxy: str) -> None:
    resolver = RecordingResolver()
    connector = anyiohttp.TCPConnector(resolver=resolver)
    async with anyiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(anyiohttp.InvalidURL) as caught:
            await session.get("http://needs-dns.test/", proxy=proxy)
        assert str(caught.value) == proxy
    assert resolver.asked == []
    with pytest.raises(anyiohttp.InvalidURL):
        anyiohttp.ClientSession(proxy="no-scheme")


async def test_a_redirect_to_an_unparsable_url() -> None:
    app, _ = recording_app()
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        with pytest.raises(anyiohttp.InvalidUrlRedirectClientError) as caught:
            await session.get(url / "bad-redirect")
        assert isinstance(caught.value, anyiohttp.RedirectClientError)
        assert "does not look like a URL" in str(caught.value)
        assert "in_use=0 " in repr(session.connector)
