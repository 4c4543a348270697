"""docs/migrating.rst: its anyiohttp code runs, and it lists every aiohttp name we lack.

The page's anyiohttp blocks are included from examples/migrating.py (run
here on both backends) and from the tests below. The last tests compare
aiohttp 3.14's public names with ours, module by module: a name aiohttp has
and anyiohttp lacks must be named on the page (with what to use instead).
"""

from __future__ import annotations

import importlib
import re
import ssl
from typing import Any

import aiohttp
import aiohttp.hdrs
import anyio
import pytest
import trustme

import anyiohttp
import anyiohttp.hdrs
from anyiohttp import web
from anyiohttp.testing import TestServer

from .helpers import BACKENDS, ROOT, run_example

MIGRATING = ROOT / "docs" / "migrating.rst"

# aiohttp module -> ours (or ours, where one of them holds the name); names
# compared are the aiohttp module's __all__, or the public names it defines.
MODULES = {
    "aiohttp": "anyiohttp",
    "aiohttp.web": "anyiohttp.web",
    "aiohttp.client": "anyiohttp.client",
    "aiohttp.test_utils": "anyiohttp.test_utils",
    "aiohttp.pytest_plugin": "anyiohttp.pytest_plugin anyiohttp.testing.plugin",
    "aiohttp.abc": "anyiohttp.abc",
    "aiohttp.resolver": "anyiohttp.resolver",
    "aiohttp.typedefs": "anyiohttp.typedefs",
    "aiohttp.multipart": "anyiohttp.multipart",
    "aiohttp.streams": "anyiohttp.streams",
    "aiohttp.http": "anyiohttp.http",
    "aiohttp.helpers": "anyiohttp.helpers",
    "aiohttp.worker": "anyiohttp.worker",
    "aiohttp.tracing": "anyiohttp.client.tracing",
    "aiohttp.payload": "anyiohttp.http.payload",
}


def make_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    return app


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migrating_example_runs(backend: str) -> None:
    output = run_example("migrating.py", "--backend", backend)
    assert output.splitlines() == [
        "events seen: True",
        "low-level server: low-level hello",
        "stopped",
    ]


@pytest.mark.anyio
async def test_hello(anyiohttp_client: Any) -> None:
    client = await anyiohttp_client(make_app())
    async with client.get("/") as resp:
        assert await resp.text() == "hello"


@pytest.mark.anyio
async def test_a_test_server_with_tls() -> None:
    ca = trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    async with TestServer(make_app(), ssl=ctx) as server:
        async with anyiohttp.ClientSession() as session:
            async with session.get(server.make_url("/"), ssl=client_ctx) as resp:
                assert await resp.text() == "hello"
        await server.close()  # optional: the block closes it anyway


@pytest.mark.anyio
async def test_cancel_a_handler_through_its_scope() -> None:
    handlers: list[web.Request] = []
    cancelled = anyio.Event()

    async def slow(request: web.Request) -> web.Response:
        handlers.append(request)
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()
        raise AssertionError("not reached")

    app = web.Application()
    app.router.add_get("/slow", slow)
    async with TestServer(app) as server, anyiohttp.ClientSession() as session:
        async with anyio.create_task_group() as tg:

            async def call() -> None:
                with pytest.raises(anyiohttp.ClientError):
                    await session.get(server.make_url("/slow"))

            tg.start_soon(call)
            while not handlers:
                await anyio.sleep(0.01)
            handlers[0].cancel_scope.cancel()  # aiohttp: request.task.cancel()
            await cancelled.wait()


def aiohttp_names(module_name: str) -> set[str]:
    """The public names of an aiohttp module: its __all__, else what it defines."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is not None:
        return set(names)
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and getattr(getattr(module, name), "__module__", None) == module_name
    }


def test_every_header_name_of_aiohttp_hdrs_is_in_ours() -> None:
    theirs = {n for n in dir(aiohttp.hdrs) if n.isupper() and n != "HOST_ALL"}
    differ = [n for n in sorted(theirs) if not _same(getattr(anyiohttp.hdrs, n, None), n)]
    assert differ == []


def _same(ours: object, name: str) -> bool:
    theirs = getattr(aiohttp.hdrs, name)
    if isinstance(theirs, str):
        # Case aside: ETAG is "ETag" here, as RFC 9110 spells it ("Etag" in aiohttp).
        return isinstance(ours, str) and ours.lower() == theirs.lower()
    return bool(ours == theirs)  # METH_ALL and the like: the same set


def test_every_aiohttp_name_we_lack_is_named_on_the_migrating_page() -> None:
    assert aiohttp.__version__.startswith("3.14")
    page = MIGRATING.read_text(encoding="utf-8")
    named = set(re.findall(r"``(?:[\w.]+\.)?(\w+)(?:\(.*?\))?``", page))
    unlisted = []
    for theirs, ours in MODULES.items():
        modules = [importlib.import_module(module) for module in ours.split()]
        for name in sorted(aiohttp_names(theirs)):
            if not any(hasattr(module, name) for module in modules) and name not in named:
                unlisted.append(f"{theirs}.{name}")
    assert unlisted == []
