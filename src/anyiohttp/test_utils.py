"""``anyiohttp.test_utils``: the name aiohttp users import; the same as ``anyiohttp.testing``."""

from .testing import (
    BaseTestServer,
    RawTestServer,
    TestClient,
    TestServer,
    make_mocked_request,
    unused_port,
)

__all__ = [
    "BaseTestServer",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "make_mocked_request",
    "unused_port",
]
