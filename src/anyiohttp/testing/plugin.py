"""The anyiohttp pytest plugin (entry point ``pytest11: anyiohttp``).

Every ``@pytest.mark.anyio`` test runs on asyncio and on trio (unless the
project defines its own ``anyio_backend`` fixture, which then wins). The
fixtures take the arguments of aiohttp's:

* ``anyiohttp_server(app, *, port=None, **kwargs)`` → a started TestServer
* ``anyiohttp_raw_server(handler, *, port=None, **kwargs)`` → a RawTestServer
* ``anyiohttp_client(app_or_server, *, server_kwargs=None, **session_kwargs)``
  → a started TestClient
* ``anyiohttp_unused_port()`` → a free port number

Everything they start is shut down when the test ends; work the test left
running makes the teardown fail with a message saying so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import anyio
import pytest
from anyio.abc import TaskGroup, TaskStatus

from .._groups import single_error
from ..web.app import Application
from .utils import BaseTestServer, RawTestServer, TestClient, TestServer, unused_port

BACKENDS = ("asyncio", "trio")

_T = TypeVar("_T")


def _backends() -> list[str]:
    try:
        import trio  # noqa: F401
    except ImportError:
        return ["asyncio"]
    return list(BACKENDS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run anyio tests on both backends (older anyio only runs asyncio by default)."""
    if "anyio_backend" not in metafunc.fixturenames:
        return
    defs: Any = getattr(metafunc, "_arg2fixturedefs", {}).get("anyio_backend", ())
    if not defs:
        return
    fixturedef = defs[-1]
    if getattr(fixturedef.func, "__module__", "") != "anyio.pytest_plugin":
        return  # the project's own anyio_backend fixture decides
    if fixturedef.params:
        return  # anyio >= 4.11 already runs each test on every installed backend
    metafunc.parametrize("anyio_backend", _backends(), scope="module")


class _Keeper:
    """Holds each started server or client open in a task of the fixture's own.

    The factories are called from the test's task, but the fixture tears
    down in its task: entering a server's ``async with`` in one task and
    leaving it in another is not allowed, so a keeper task does both.
    """

    def __init__(self, task_group: TaskGroup) -> None:
        self._task_group = task_group
        self._stop = anyio.Event()

    async def enter(self, context: AbstractAsyncContextManager[_T]) -> _T:
        value: _T = await self._task_group.start(self._hold, context)
        return value

    async def _hold(
        self, context: AbstractAsyncContextManager[_T], *, task_status: TaskStatus[_T]
    ) -> None:
        async with context as value:
            task_status.started(value)
            await self._stop.wait()

    def stop(self) -> None:
        self._stop.set()


@asynccontextmanager
async def _keeper() -> AsyncIterator[_Keeper]:
    with single_error():
        async with anyio.create_task_group() as task_group:
            keeper = _Keeper(task_group)
            try:
                yield keeper
            finally:
                keeper.stop()


@pytest.fixture
def anyiohttp_unused_port() -> Callable[[], int]:
    """A function returning a free TCP port on 127.0.0.1."""
    return unused_port


@pytest.fixture
async def anyiohttp_server() -> AsyncIterator[Callable[..., Awaitable[TestServer]]]:
    """Start TestServers for the test: ``server = await anyiohttp_server(app)``."""
    async with _keeper() as keeper:

        async def factory(
            app: Application, *, port: int | None = None, **kwargs: Any
        ) -> TestServer:
            return await keeper.enter(TestServer(app, port=port, **kwargs))

        yield factory


@pytest.fixture
async def anyiohttp_raw_server() -> AsyncIterator[Callable[..., Awaitable[RawTestServer]]]:
    """Start RawTestServers: ``server = await anyiohttp_raw_server(handler)``."""
    async with _keeper() as keeper:

        async def factory(handler: Any, *, port: int | None = None, **kwargs: Any) -> RawTestServer:
            return await keeper.enter(RawTestServer(handler, port=port, **kwargs))

        yield factory


@pytest.fixture
async def anyiohttp_client() -> AsyncIterator[Callable[..., Awaitable[TestClient[Any]]]]:
    """Start a server and a client: ``client = await anyiohttp_client(app)``."""
    async with _keeper() as keeper:

        async def factory(
            app_or_server: Application | BaseTestServer,
            *,
            server_kwargs: dict[str, Any] | None = None,
            **session_kwargs: Any,
        ) -> TestClient[Any]:
            if isinstance(app_or_server, Application):
                server: BaseTestServer = TestServer(app_or_server, **(server_kwargs or {}))
            elif isinstance(app_or_server, BaseTestServer):
                server = app_or_server
            else:
                raise TypeError(f"Unknown argument type: {type(app_or_server)!r}")
            return await keeper.enter(TestClient(server, **session_kwargs))

        yield factory
