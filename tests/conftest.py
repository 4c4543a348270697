"""Shared test helpers: run an app on 127.0.0.1:0, talk to it over raw sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import pytest
from yarl import URL

from anyiohttp import web

pytest_plugins = ["pytester"]


@asynccontextmanager
async def run_app(app: web.Application, **kwargs: Any) -> AsyncIterator[URL]:
    """Serve ``app`` on a free port for the block; yields its base URL.

    Leaving the block cancels ``web.serve``, which shuts down gracefully.
    """
    kwargs.setdefault("shutdown_timeout", 5.0)
    async with anyio.create_task_group() as tg:
        host, port = await tg.start(partial(web.serve, app, host="127.0.0.1", port=0, **kwargs))
        try:
            yield URL.build(scheme="http", host=host, port=port)
        finally:
            tg.cancel_scope.cancel()


async def raw_exchange(url: URL, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    assert url.host is not None and url.port is not None
    with anyio.fail_after(timeout):
        async with await anyio.connect_tcp(url.host, url.port) as stream:
            await stream.send(data)
            chunks = []
            while True:
                try:
                    chunks.append(await stream.receive())
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    break
            return b"".join(chunks)


def split_responses(raw: bytes) -> list[tuple[bytes, bytes]]:
    """Split concatenated Content-Length framed responses into (head, body) pairs."""
    out = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        assert sep, raw
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        out.append((head, rest[:length]))
        raw = rest[length:]
    return out


def installed_parsers() -> list[str]:
    """The HTTP parsers installed: h11 always, httptools with the speedups extra."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return ["h11"]
    return ["h11", "httptools"]


@pytest.fixture(params=installed_parsers())
def each_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once per installed parser, pinned through ANYIOHTTP_PARSER.

    Servers (``ServerConfig(parser="auto")``) and connectors read the variable
    when they are made, so both ends of a test use the parser under test.
    """
    monkeypatch.setenv("ANYIOHTTP_PARSER", request.param)
    return request.param  # type: ignore[no-any-return]
