"""Fixtures of the companions' tests: a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..redis_server import redis_server


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int]:
    """The port of a redis-server on 127.0.0.1, one per test process."""
    with redis_server() as port:
        yield port
