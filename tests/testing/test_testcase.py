"""AioHTTPTestCase: aiohttp's unittest base class, on the anyio backend the
class names, over a real server on 127.0.0.1."""

from __future__ import annotations

import unittest
from typing import Any

import pytest
import sniffio

from anyiohttp import test_utils, web
from anyiohttp.testing import AioHTTPTestCase, TestClient, TestServer, unittest_run_loop

BACKENDS = ["asyncio", "trio"]

aiohttp_test_utils = pytest.importorskip("aiohttp.test_utils")


def make_app(events: list[str]) -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def on_cleanup(app: web.Application) -> None:
        events.append("on_cleanup")

    app = web.Application()
    app.router.add_get("/", hello)
    app.on_cleanup.append(on_cleanup)
    return app


def run(case: type[unittest.TestCase]) -> unittest.TestResult:
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    return result


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_test_case_gets_a_started_client_in_aiohttps_order(backend: str) -> None:
    events: list[str] = []

    class Case(AioHTTPTestCase):
        anyio_backend = backend

        async def get_application(self) -> web.Application:
            return make_app(events)

        def setUp(self) -> None:
            events.append("setUp")

        async def asyncSetUp(self) -> None:
            await super().asyncSetUp()
            events.append("asyncSetUp")

            async def cleanup(name: str) -> None:
                events.append(name)

            self.addAsyncCleanup(cleanup, "async cleanup")

        async def test_request(self) -> None:
            events.append("test")
            assert sniffio.current_async_library() == backend
            assert self.client.app is self.app and self.client.server is self.server
            resp = await self.client.get("/")
            assert resp.status == 200 and await resp.text() == "hello"

        async def asyncTearDown(self) -> None:
            events.append("asyncTearDown")
            await super().asyncTearDown()

        def tearDown(self) -> None:
            events.append("tearDown")

    result = run(Case)
    assert result.wasSuccessful(), result.errors + result.failures
    assert events == [
        "setUp",
        "asyncSetUp",
        "test",
        "asyncTearDown",
        "on_cleanup",
        "async cleanup",
        "tearDown",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_test_is_a_failure_and_the_server_still_closes(backend: str) -> None:
    events: list[str] = []

    class Case(AioHTTPTestCase):
        anyio_backend = backend

        async def get_application(self) -> web.Application:
            return make_app(events)

        async def test_wrong(self) -> None:
            resp = await self.client.get("/")
            assert await resp.text() == "not this"

        def test_sync_method(self) -> None:
            assert self.client.port is not None

    result = run(Case)
    assert len(result.failures) == 1 and not result.errors
    assert "not this" in result.failures[0][1]
    assert result.testsRun == 2 and events == ["on_cleanup", "on_cleanup"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_get_server_and_get_client_are_the_hooks_for_arguments(backend: str) -> None:
    class Case(AioHTTPTestCase):
        anyio_backend = backend

        def get_app(self) -> web.Application:  # aiohttp's older synchronous form
            return make_app([])

        async def get_server(self, app: web.Application) -> TestServer:
            return TestServer(app, skip_url_asserts=True)

        async def get_client(self, server: TestServer) -> TestClient[Any, Any]:
            return TestClient(server, headers={"X-Test": "yes"})

        async def test_it(self) -> None:
            assert self.server.skip_url_asserts
            assert self.client.session.headers["X-Test"] == "yes"
            assert (await self.client.get("/")).status == 200

    result = run(Case)
    assert result.wasSuccessful(), result.errors + result.failures


def test_without_an_application_the_error_says_so() -> None:
    class Case(AioHTTPTestCase):
        async def test_it(self) -> None:
            pass

    result = run(Case)
    assert len(result.errors) == 1
    assert "Did you forget to define get_application()?" in result.errors[0][1]


def test_async_helpers_outside_the_test_say_where_they_work() -> None:
    case = AioHTTPTestCase()
    with pytest.raises(RuntimeError, match="asyncSetUp and in the test"):
        case.addAsyncCleanup(unittest_run_loop)


def test_unittest_run_loop_is_not_needed() -> None:
    async def test_x() -> None:
        pass

    with pytest.warns(DeprecationWarning, match="not needed"):
        assert unittest_run_loop(test_x) is test_x


PYTEST_RUN = """
from anyiohttp import test_utils, web
from anyiohttp.test_utils import AioHTTPTestCase


async def hello(request):
    return web.Response(text="hi")


class TestOnAsyncio(AioHTTPTestCase):
    async def get_application(self):
        app = web.Application()
        app.router.add_get("/", hello)
        return app

    async def test_get(self):
        async with self.client.get("/") as resp:
            assert await resp.text() == "hi"


class TestOnTrio(TestOnAsyncio):
    anyio_backend = "trio"

    async def test_fails(self):
        assert (await self.client.get("/")).status == 404
"""


def test_pytest_runs_aiohttp_test_cases(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_cases=PYTEST_RUN)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--timeout=60", timeout=120
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*TestOnTrio.test_fails*", "*assert 200 == 404*"])


def test_test_utils_has_aiohttps_public_names() -> None:
    wanted = {
        name
        for name in dir(aiohttp_test_utils)
        if not name.startswith("_")
        and getattr(getattr(aiohttp_test_utils, name), "__module__", "") == "aiohttp.test_utils"
    }
    assert wanted <= set(test_utils.__all__), wanted - set(test_utils.__all__)
