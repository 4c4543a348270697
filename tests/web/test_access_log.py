"""The access log and its aiohttp format directives."""

from __future__ import annotations

import logging
import os
import re

import httpx
import pytest

from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello", headers={"X-Out": "o"})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/hi", hello)
    return app


async def test_default_format(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="anyiohttp.access"):
        async with run_app(make_app()) as url, httpx.AsyncClient() as client:
            await client.get(
                str(url / "hi") + "?q=1", headers={"Referer": "http://ref/", "User-Agent": "tester"}
            )
    lines = [r.getMessage() for r in caplog.records if r.name == "anyiohttp.access"]
    assert len(lines) == 1
    assert re.fullmatch(
        r"127\.0\.0\.1 \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "
        r'"GET /hi\?q=1 HTTP/1\.1" 200 \d+ "http://ref/" "tester"',
        lines[0],
    ), lines[0]


async def test_every_directive(caplog: pytest.LogCaptureFixture) -> None:
    fmt = "%a|%P|%r|%s|%b|%O|%T|%Tf|%D|%{X-In}i|%{X-Out}o|%{HOME}e|%{Missing}i|%%"
    with caplog.at_level(logging.INFO, logger="anyiohttp.access"):
        async with run_app(make_app(), access_log_format=fmt) as url, httpx.AsyncClient() as client:
            await client.get(str(url / "hi"), headers={"X-In": "i"})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "anyiohttp.access"]
    fields = line.split("|")
    assert fields[0] == "127.0.0.1"
    assert fields[1] == f"<{os.getpid()}>"
    assert fields[2] == "GET /hi HTTP/1.1"
    assert fields[3] == "200"
    assert int(fields[4]) > len("hello") and fields[4] == fields[5]
    assert fields[6] == "0"
    assert re.fullmatch(r"\d+\.\d{6}", fields[7])
    assert fields[8].isdigit()
    assert fields[9:13] == ["i", "o", os.environ.get("HOME", "-"), "-"]
    assert fields[13] == "%"


async def test_access_log_none_disables_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="anyiohttp.access"):
        async with run_app(make_app(), access_log=None) as url, httpx.AsyncClient() as client:
            await client.get(str(url / "hi"))
    assert not [r for r in caplog.records if r.name == "anyiohttp.access"]


async def test_custom_access_logger_class(caplog: pytest.LogCaptureFixture) -> None:
    from anyiohttp.abc import AbstractAccessLogger

    seen: list[tuple[str, int]] = []

    class Collect(AbstractAccessLogger):
        def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
            seen.append((request.path, response.status))

    async with run_app(make_app(), access_log_class=Collect) as url, httpx.AsyncClient() as client:
        await client.get(str(url / "hi"))
        await client.get(str(url / "missing"))
    assert seen == [("/hi", 200), ("/missing", 404)]


async def test_logged_headers_are_those_sent(each_parser: str) -> None:
    """A response sent in one piece (its headers kept as text until asked for)
    shows the access logger the fields and size it went out with, as any other."""
    from anyiohttp.abc import AbstractAccessLogger

    seen: list[tuple[list[tuple[str, str]], int, bool | None]] = []

    class Collect(AbstractAccessLogger):
        def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
            seen.append((list(response.headers.items()), response.body_length, response.keep_alive))

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def raw(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x01")

    async def closing(request: web.Request) -> web.Response:
        resp = web.json_response({"a": 1})
        resp.force_close()
        return resp

    app = web.Application()
    app.router.add_get("/text", text)
    app.router.add_get("/raw", raw)
    app.router.add_get("/closing", closing)
    sent = []
    async with run_app(app, access_log_class=Collect) as url, httpx.AsyncClient() as client:
        for path in ("text", "raw", "closing"):
            response = await client.get(str(url / path))
            head = b"HTTP/1.1 200 OK\r\n" + b"".join(
                name + b": " + value + b"\r\n" for name, value in response.headers.raw
            )
            sent.append(
                (
                    [(n.decode(), v.decode()) for n, v in response.headers.raw],
                    len(head) + 2 + len(response.content),
                    response.headers.get("Connection") != "close",
                )
            )
    assert seen == sent
    assert [name for name, _ in seen[1][0]] == [
        "Content-Length",
        "Date",
        "Server",
        "Content-Type",
    ]
