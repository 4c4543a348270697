"""``anyiohttp.test_utils``: the name aiohttp users import; the same as ``anyiohttp.testing``."""

from .testing import (
    REUSE_ADDRESS,
    AioHTTPTestCase,
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
    unittest_run_loop,
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
