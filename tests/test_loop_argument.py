"""aiohttp's ``loop=`` argument is refused with an error that says what to do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.resolver import DefaultResolver

# Each constructor aiohttp's own examples pass loop= to (client_auth.py,
# client_json.py, fake_server.py), plus run_app, which takes it in aiohttp too.
TAKERS: dict[str, Callable[..., Any]] = {
    "ClientSession": anyiohttp.ClientSession,
    "TCPConnector": anyiohttp.TCPConnector,
    "UnixConnector": lambda **kw: anyiohttp.UnixConnector("/tmp/none.sock", **kw),
    "Application": web.Application,
    "ThreadedResolver": DefaultResolver,
    "run_app": lambda **kw: web.run_app(web.Application(), **kw),
}


@pytest.mark.parametrize("name", list(TAKERS))
def test_loop_argument_says_to_remove_it(name: str) -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(TypeError, match=r"takes no loop= argument.*Remove loop=") as info:
            TAKERS[name](loop=loop)
    finally:
        loop.close()
    assert str(info.value).startswith(f"{name}()")


def test_constructors_still_work_without_loop() -> None:
    assert isinstance(web.Application(client_max_size=10), web.Application)
    assert isinstance(DefaultResolver(), DefaultResolver)
