"""Our server against real clients: curl and aiohttp's client (run in a thread)."""

from __future__ import annotations

import asyncio
import json

import anyio
import pytest

from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "length": len(body),
            "chunked": "chunked" in request.headers.get("Transfer-Encoding", ""),
            "version": f"{request.version.major}.{request.version.minor}",
        }
    )


async def stream(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.content_type = "text/plain"
    await resp.prepare(request)
    for i in range(100):
        await resp.write(b"line %d\n" % i)
    await resp.write_eof()
    return resp


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/stream", stream)
    return app


async def curl(*args: str, input: bytes = b"") -> bytes:
    result = await anyio.run_process(["curl", "-s", "--fail-with-body", *args], input=input)
    return result.stdout


async def test_curl_get_post_head_and_http10() -> None:
    async with run_app(make_app()) as url:
        got = json.loads(await curl(f"{url}/echo?a=1&b=two"))
        posted = json.loads(await curl("-d", "x" * 5000, f"{url}/echo"))
        http10 = json.loads(await curl("--http1.0", f"{url}/echo"))
        head = await curl("-I", f"{url}/echo")
    assert got == {
        "method": "GET", "path": "/echo", "query": {"a": "1", "b": "two"},
        "length": 0, "chunked": False, "version": "1.1",
    }  # fmt: skip
    assert posted["method"] == "POST" and posted["length"] == 5000
    assert http10["version"] == "1.0"
    assert head.startswith(b"HTTP/1.1 200 OK")


async def test_curl_chunked_upload_with_expect_continue() -> None:
    async with run_app(make_app()) as url:
        out = await curl(
            "-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue",
            "--data-binary", "@-", f"{url}/echo", input=b"u" * 70_000,
        )  # fmt: skip
    data = json.loads(out)
    assert data["chunked"] is True and data["length"] == 70_000


async def test_curl_streamed_response_and_keep_alive_reuse() -> None:
    async with run_app(make_app()) as url:
        result = await anyio.run_process(
            ["curl", "-sv", f"{url}/stream", f"{url}/stream"], check=True, input=b""
        )
    assert result.stdout == b"".join(b"line %d\n" % i for i in range(100)) * 2
    assert b"Re-using existing connection" in result.stderr or b"Reusing existing" in result.stderr


async def test_aiohttp_client_against_our_server() -> None:
    import aiohttp

    async def client_session(base: str) -> list[object]:
        async with aiohttp.ClientSession() as session:
            out: list[object] = []
            async with session.get(f"{base}/echo", params={"k": "v"}) as resp:
                out.append(await resp.json())
            async with session.post(f"{base}/echo", data=b"z" * 100_000) as resp:
                out.append(await resp.json())

            async def gen():  # type: ignore[no-untyped-def]
                for _ in range(10):
                    yield b"c" * 1000

            async with session.put(f"{base}/echo", data=gen()) as resp:
                out.append(await resp.json())
            async with session.get(f"{base}/stream") as resp:
                out.append(await resp.text())
            return out

    async with run_app(make_app()) as url:
        results = await anyio.to_thread.run_sync(asyncio.run, client_session(str(url)))
    get, post, put, streamed = results
    assert get["query"] == {"k": "v"}  # type: ignore[index]
    assert post["length"] == 100_000  # type: ignore[index]
    assert put["chunked"] is True and put["length"] == 10_000  # type: ignore[index]
    assert streamed == "".join(f"line {i}\n" for i in range(100))
