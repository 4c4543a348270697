"""An error raised in ``async with TCPConnector()`` leaves as itself, as from ClientSession."""

from __future__ import annotations

import pytest

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


class Interrupted(BaseException):
    """A BaseException that is not an Exception (as KeyboardInterrupt)."""


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


@pytest.mark.parametrize("error_class", [ValueError, Interrupted, anyiohttp.ClientError])
async def test_error_in_the_block_is_not_wrapped(error_class: type[BaseException]) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    async with run_app(app) as url:
        with pytest.raises(error_class, match="from the block") as info:
            async with anyiohttp.TCPConnector() as connector:
                # The pool's task group is in use: a request went through it.
                async with anyiohttp.ClientSession(
                    connector=connector, connector_owner=False
                ) as session:
                    async with session.get(url) as resp:
                        assert await resp.text() == "hello"
                raise error_class("from the block")
    assert type(info.value) is error_class
    assert connector.closed


@pytest.mark.parametrize("error_class", [ValueError, Interrupted])
async def test_error_in_a_bare_block_is_not_wrapped(error_class: type[BaseException]) -> None:
    with pytest.raises(error_class, match="from the block") as info:
        async with anyiohttp.TCPConnector(keepalive_timeout=None):
            raise error_class("from the block")
    assert type(info.value) is error_class


async def test_error_in_a_unix_connector_block_is_not_wrapped() -> None:
    with pytest.raises(ValueError, match="from the block") as info:
        async with anyiohttp.UnixConnector(path="/nonexistent.sock"):
            raise ValueError("from the block")
    assert type(info.value) is ValueError
