"""What escapes what a fixture holds is raised at that fixture's teardown.

The fixtures hold servers and clients in a task group whose host is the test
runner's task: an error escaping one of them must not cancel that task (the
test, or every later test of the run). Each case runs in a pytest of its own
(``runpytest_subprocess`` with a timeout, so a hang fails instead of hanging)
and is followed by a test that must still pass, on both backends.
"""

from __future__ import annotations

import pytest

HEADER = """
import anyio
import pytest
import anyiohttp
from anyiohttp import web

pytestmark = pytest.mark.anyio


class Boom(BaseException):
    '''Not an Exception: the server does not turn it into a 500.'''


async def hello(request):
    return web.Response(text="hi")


async def boom(request):
    raise Boom("handler blew up")


def make_app():
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/boom", boom)
    return app


async def wait_until_down(client):
    # The server's task group ends with the error: its listener is closed
    # (or the client that held it is closed too), and the error has left the
    # server on its way to the fixture.
    while True:
        try:
            await client.get("/", headers={"Connection": "close"})
        except (anyiohttp.ClientConnectorError, RuntimeError):
            break
        except anyiohttp.ClientError:
            pass
        await anyio.sleep(0.01)
    # Checkpoints of the test's own: a fixture that let the error cancel the
    # test's task would have it cancelled here.
    for _ in range(20):
        await anyio.sleep(0.01)
"""

FOLLOWING = """

async def test_following(anyiohttp_client):
    client = await anyiohttp_client(make_app())
    assert await (await client.get("/")).text() == "hi"
"""


def run(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    pytester.makepyfile(test_held=HEADER + body + FOLLOWING)
    # hypothesis is not needed there, and its import under pytest's assertion
    # rewriting trips a CPython 3.11 bug now and then (SystemError: AST
    # constructor recursion depth mismatch).
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--timeout=30", timeout=60
    )


def assert_boom_at_teardown(result: pytest.RunResult) -> None:
    """Each backend's run of the test errors at teardown with the handler's exception."""
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_held_server_raises?asyncio?*",
            "E *.Boom: handler blew up",
            "*ERROR at teardown of test_held_server_raises?trio?*",
            "E *.Boom: handler blew up",
        ]
    )


def test_a_handlers_base_exception_errors_its_test_at_teardown(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """

async def test_held_server_raises(anyiohttp_client):
    client = await anyiohttp_client(make_app())
    with pytest.raises(anyiohttp.ClientError):
        await client.get("/boom")
    await wait_until_down(client)
""",
    )
    result.assert_outcomes(passed=4, errors=2)
    assert_boom_at_teardown(result)
    result.stdout.no_fnmatch_line("*ClosedResourceError*")
    result.stdout.no_fnmatch_line("*Timeout*")


def test_the_same_with_anyiohttp_server(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """

async def test_held_server_raises(anyiohttp_server, anyiohttp_client):
    server = await anyiohttp_server(make_app())
    client = await anyiohttp_client(server)
    with pytest.raises(anyiohttp.ClientError):
        await client.get("/boom")
    await wait_until_down(client)
""",
    )
    result.assert_outcomes(passed=4, errors=2)
    assert_boom_at_teardown(result)


def test_the_same_with_anyiohttp_raw_server(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """

async def test_held_server_raises(anyiohttp_raw_server, anyiohttp_client):
    async def handler(request):
        if request.path == "/boom":
            raise Boom("handler blew up")
        return web.Response(text="hi")

    client = await anyiohttp_client(await anyiohttp_raw_server(handler))
    with pytest.raises(anyiohttp.ClientError):
        await client.get("/boom")
    await wait_until_down(client)
""",
    )
    result.assert_outcomes(passed=4, errors=2)
    assert_boom_at_teardown(result)


def test_a_failing_test_whose_server_also_raised_reports_both(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """

async def test_held_server_raises(anyiohttp_client):
    client = await anyiohttp_client(make_app())
    with pytest.raises(anyiohttp.ClientError):
        await client.get("/boom")
    await wait_until_down(client)
    assert False, "the test's own failure"
""",
    )
    result.assert_outcomes(passed=2, failed=2, errors=2)
    result.stdout.fnmatch_lines(["*the test's own failure*"])
    assert_boom_at_teardown(result)
