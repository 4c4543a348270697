"""The anyiohttp pytest plugin (entry point ``pytest11: anyiohttp``).

Every ``@pytest.mark.anyio`` test runs on asyncio and on trio (unless the
project defines its own ``anyio_backend`` fixture, which then wins). The
fixtures take the arguments of aiohttp's:

* ``anyiohttp_server(app, *, host="127.0.0.1", port=None, **kwargs)`` → a
  started TestServer
* ``anyiohttp_raw_server(handler, *, host="127.0.0.1", port=None, **kwargs)``
  → a RawTestServer
* ``anyiohttp_client(app_or_server, *, server_kwargs=None, **session_kwargs)``
  → a started TestClient
* ``anyiohttp_unused_port()`` → a free port number

Everything they start is shut down when the test ends; work the test left
running makes the teardown fail with a message saying so. An error that
escapes what they hold (a handler's BaseException, say) never cancels the
test or the test runner: the fixture keeps it and raises it at its teardown.
Past the held servers' shutdown timeout plus TEARDOWN_MARGIN, the teardown
cancels what is still running and fails saying so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final, Protocol, TypeVar, cast, overload

import anyio
import pytest
from anyio.abc import TaskGroup, TaskStatus

from .._groups import single_error
from ..web.app import Application
from ..web.request import BaseRequest, Request
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


#: How long a fixture's teardown may take beyond the shutdown timeouts of the
#: servers it holds, before what is left is cancelled.
TEARDOWN_MARGIN: Final = 10.0


class _Keeper:
    """Holds each started server or client open in a task of the fixture's own.

    The factories are called from the test's task, but the fixture tears
    down in its task: entering a server's ``async with`` in one task and
    leaving it in another is not allowed, so a keeper task does both.

    The task group's host is the test runner's task (anyio runs the test and
    its fixtures there). An error escaping what a keeper task holds (a
    handler's BaseException, an error raised in a client's session) would
    cancel that task: the test, and with it the runner. So a keeper task never
    raises once it holds something: it keeps the error, and the fixture
    raises it at its teardown.
    """

    def __init__(self, task_group: TaskGroup) -> None:
        self._task_group = task_group
        self._stop = anyio.Event()
        self._teardown_timeout = TEARDOWN_MARGIN
        self.errors: list[BaseException] = []

    async def enter(self, context: AbstractAsyncContextManager[_T]) -> _T:
        server = context.server if isinstance(context, TestClient) else context
        if isinstance(server, BaseTestServer):
            self._teardown_timeout = max(
                self._teardown_timeout, server._shutdown_timeout + TEARDOWN_MARGIN
            )
        value: _T = await self._task_group.start(self._hold, context)
        return value

    async def _hold(
        self, context: AbstractAsyncContextManager[_T], *, task_status: TaskStatus[_T]
    ) -> None:
        holding = False
        try:
            async with context as value:
                holding = True
                task_status.started(value)
                await self._stop.wait()
        except BaseException as exc:
            if not holding:
                raise  # a failed start: start() raises it in the test, the group never sees it
            if self._task_group.cancel_scope.cancel_called:
                raise  # our own cancellation, at the teardown deadline
            self.errors.append(exc)

    def stop(self) -> None:
        """Let every keeper task leave what it holds; bound how long that may take."""
        self._stop.set()
        self._task_group.cancel_scope.deadline = anyio.current_time() + self._teardown_timeout

    @property
    def teardown_timeout(self) -> float:
        """How long the teardown may take (seconds)."""
        return self._teardown_timeout


@asynccontextmanager
async def _keeper() -> AsyncIterator[_Keeper]:
    with single_error():
        async with anyio.create_task_group() as task_group:
            keeper = _Keeper(task_group)
            try:
                yield keeper
            finally:
                keeper.stop()
    errors = list(keeper.errors)
    if task_group.cancel_scope.cancelled_caught:
        errors.append(
            RuntimeError(
                f"The fixture's teardown did not end within {keeper.teardown_timeout:g} s: "
                "what it held was cancelled (a shutdown or cleanup that hangs?)"
            )
        )
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise BaseExceptionGroup("Errors in what the fixture held", errors)


class AiohttpClient(Protocol):
    """The type of the ``anyiohttp_client`` fixture (aiohttp's name)."""

    @overload
    async def __call__(
        self,
        __param: Application,
        *,
        server_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestClient[Request, Application]: ...

    @overload
    async def __call__(
        self,
        __param: BaseTestServer,
        *,
        server_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestClient[BaseRequest, None]: ...


class AiohttpServer(Protocol):
    """The type of the ``anyiohttp_server`` fixture (aiohttp's name)."""

    def __call__(
        self, app: Application, *, host: str = ..., port: int | None = None, **kwargs: Any
    ) -> Awaitable[TestServer]: ...


class AiohttpRawServer(Protocol):
    """The type of the ``anyiohttp_raw_server`` fixture (aiohttp's name)."""

    def __call__(
        self,
        handler: Callable[[BaseRequest], Awaitable[Any]],
        *,
        host: str = ...,
        port: int | None = None,
        **kwargs: Any,
    ) -> Awaitable[RawTestServer]: ...


@pytest.fixture
def anyiohttp_unused_port() -> Callable[[], int]:
    """A function returning a free TCP port on 127.0.0.1."""
    return unused_port


@pytest.fixture
async def anyiohttp_server() -> AsyncIterator[AiohttpServer]:
    """Start TestServers for the test: ``server = await anyiohttp_server(app)``.

    Keyword arguments are TestServer's (``ssl=``, ``skip_url_asserts=``, the
    runner's options...). ``await server.close()`` in the test closes one early.
    """
    async with _keeper() as keeper:

        async def factory(
            app: Application, *, host: str = "127.0.0.1", port: int | None = None, **kwargs: Any
        ) -> TestServer:
            return await keeper.enter(TestServer(app, host=host, port=port, **kwargs))

        yield factory


@pytest.fixture
async def anyiohttp_raw_server() -> AsyncIterator[AiohttpRawServer]:
    """Start RawTestServers: ``server = await anyiohttp_raw_server(handler)``."""
    async with _keeper() as keeper:

        async def factory(
            handler: Callable[[BaseRequest], Awaitable[Any]],
            *,
            host: str = "127.0.0.1",
            port: int | None = None,
            **kwargs: Any,
        ) -> RawTestServer:
            return await keeper.enter(RawTestServer(handler, host=host, port=port, **kwargs))

        yield factory


@pytest.fixture
async def anyiohttp_client() -> AsyncIterator[AiohttpClient]:
    """Start a server and a client: ``client = await anyiohttp_client(app)``.

    ``server_kwargs`` go to the TestServer made for an application, the
    other keyword arguments to the client's session. ``await client.close()``
    in the test closes it early (and the server it started).
    """
    async with _keeper() as keeper:

        async def factory(
            app_or_server: Application | BaseTestServer,
            *,
            server_kwargs: dict[str, Any] | None = None,
            **session_kwargs: Any,
        ) -> TestClient[Any, Any]:
            if isinstance(app_or_server, Application):
                server: BaseTestServer = TestServer(app_or_server, **(server_kwargs or {}))
            elif isinstance(app_or_server, BaseTestServer):
                server = app_or_server
            else:
                raise TypeError(f"Unknown argument type: {type(app_or_server)!r}")
            client: TestClient[Any, Any] = TestClient(server, **session_kwargs)
            return await keeper.enter(client)

        yield cast(AiohttpClient, factory)
