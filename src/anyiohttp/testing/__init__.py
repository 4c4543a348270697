"""Testing tools: servers on 127.0.0.1, a client bound to them, mocked requests.

The pytest plugin (``anyiohttp.testing.plugin``, registered as the pytest11
entry point ``anyiohttp``) provides the fixtures ``anyiohttp_client``,
``anyiohttp_server``, ``anyiohttp_raw_server`` and ``anyiohttp_unused_port``.
``AioHTTPTestCase`` is the unittest way, on the anyio backend of its choice.
"""

from .testcase import AioHTTPTestCase, unittest_run_loop
from .utils import (
    REUSE_ADDRESS,
    BaseTestServer,
    RawTestServer,
    TestClient,
    TestServer,
    get_port_socket,
    get_unused_port_socket,
    loop_context,
    make_mocked_coro,
    make_mocked_request,
    setup_test_loop,
    teardown_test_loop,
    unused_port,
)

__all__ = [
    "REUSE_ADDRESS",
    "AioHTTPTestCase",
    "BaseTestServer",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "get_port_socket",
    "get_unused_port_socket",
    "loop_context",
    "make_mocked_coro",
    "make_mocked_request",
    "setup_test_loop",
    "teardown_test_loop",
    "unittest_run_loop",
    "unused_port",
]
