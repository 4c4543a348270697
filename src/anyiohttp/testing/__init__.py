"""Testing tools: servers on 127.0.0.1, a client bound to them, mocked requests.

The pytest plugin (``anyiohttp.testing.plugin``, registered as the pytest11
entry point ``anyiohttp``) provides the fixtures ``anyiohttp_client``,
``anyiohttp_server``, ``anyiohttp_raw_server`` and ``anyiohttp_unused_port``.
"""

from .utils import (
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
