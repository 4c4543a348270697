"""AioHTTPTestCase: unittest test cases against an application, on anyio.

aiohttp's is an ``IsolatedAsyncioTestCase``; this one is a plain
``unittest.TestCase`` that runs ``asyncSetUp``, the test method and
``asyncTearDown`` in one ``anyio.run`` on the backend the class names
(``anyio_backend``, asyncio by default), so the server and client the test
uses live in one ``async with`` block from setup to teardown.
"""

from __future__ import annotations

import inspect
import unittest
import warnings
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any, ClassVar, TypeVar

import anyio

from ..web.app import Application
from ..web.request import Request
from .utils import TestClient, TestServer

__all__ = ("AioHTTPTestCase", "unittest_run_loop")

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


class AioHTTPTestCase(unittest.TestCase):
    """A unittest base class for testing an application, as aiohttp's.

    Define ``async def get_application(self)``; each test then has
    ``self.app``, ``self.server`` (a started TestServer) and ``self.client``
    (a started TestClient), and may be ``async def``. The order is aiohttp's:
    ``setUp``, ``asyncSetUp``, the test, ``asyncTearDown``, ``tearDown``.

    The backend is the class attribute ``anyio_backend`` (``"asyncio"`` or
    ``"trio"``; ``anyio_backend_options`` are passed to ``anyio.run``). There
    is no ``self.loop``: nothing here is bound to an event loop.
    """

    #: The anyio backend the tests of the class run on.
    anyio_backend: ClassVar[str] = "asyncio"
    #: Options for the backend (``anyio.run(..., backend_options=...)``).
    anyio_backend_options: ClassVar[dict[str, Any] | None] = None

    app: Application
    server: TestServer
    client: TestClient[Request, Application]

    _exit_stack: AsyncExitStack | None = None

    async def get_application(self) -> Application:
        """The application to test (override this; aiohttp's old ``get_app()`` is called)."""
        return self.get_app()

    def get_app(self) -> Application:
        """aiohttp's older, synchronous way to give the application."""
        raise RuntimeError("Did you forget to define get_application()?")

    async def get_server(self, app: Application) -> TestServer:
        """The TestServer for ``app`` (override to pass it arguments)."""
        return TestServer(app)

    async def get_client(self, server: TestServer) -> TestClient[Request, Application]:
        """The TestClient for ``server`` (override to pass it arguments)."""
        return TestClient(server)

    async def asyncSetUp(self) -> None:
        """Start the application's server and client (call it first when overriding)."""
        await self.setUpAsync()

    async def setUpAsync(self) -> None:
        """What ``asyncSetUp`` does (aiohttp's older name)."""
        self.app = await self.get_application()
        self.server = await self.get_server(self.app)
        self.client = await self.get_client(self.server)
        await self.enterAsyncContext(self.client)

    async def asyncTearDown(self) -> None:
        """Close the client and its server (call it last when overriding)."""
        await self.tearDownAsync()

    async def tearDownAsync(self) -> None:
        """What ``asyncTearDown`` does (aiohttp's older name)."""
        await self.client.close()

    async def enterAsyncContext(self, cm: AbstractAsyncContextManager[_T]) -> _T:
        """Enter ``cm`` for the rest of the test; it is exited after ``asyncTearDown``.

        As ``IsolatedAsyncioTestCase.enterAsyncContext``, but usable only
        from ``asyncSetUp`` and the test (the one ``anyio.run`` they share).
        """
        return await self._stack().enter_async_context(cm)

    def addAsyncCleanup(
        self, func: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any
    ) -> None:
        """Await ``func(*args, **kwargs)`` after ``asyncTearDown`` (last added, first run).

        Usable only from ``asyncSetUp`` and the test.
        """
        self._stack().push_async_callback(func, *args, **kwargs)

    def _stack(self) -> AsyncExitStack:
        if self._exit_stack is None:
            raise RuntimeError(
                "enterAsyncContext()/addAsyncCleanup() work in asyncSetUp and in the test"
            )
        return self._exit_stack

    def _callTestMethod(self, method: Callable[[], Any]) -> None:
        anyio.run(
            self._run_test,
            method,
            backend=self.anyio_backend,
            backend_options=self.anyio_backend_options,
        )

    async def _run_test(self, method: Callable[[], Any]) -> None:
        async with AsyncExitStack() as stack:
            self._exit_stack = stack
            try:
                await self.asyncSetUp()
                try:
                    result = method()
                    if inspect.isawaitable(result):
                        await result
                finally:
                    await self.asyncTearDown()
            finally:
                self._exit_stack = None


def unittest_run_loop(func: _F, *args: Any, **kwargs: Any) -> _F:
    """aiohttp's decorator for AioHTTPTestCase tests, needed no more: it returns ``func``."""
    warnings.warn(
        "unittest_run_loop is not needed: AioHTTPTestCase runs async tests as they are",
        DeprecationWarning,
        stacklevel=2,
    )
    return func
