"""The anyiohttp pytest plugin (entry point ``pytest11: anyiohttp``).

Runs every ``@pytest.mark.anyio`` test on both asyncio and trio, unless the
project defines its own ``anyio_backend`` fixture (which then wins).
"""

from __future__ import annotations

from typing import Any

import pytest

BACKENDS = ("asyncio", "trio")


def _backends() -> list[str]:
    try:
        import trio  # noqa: F401
    except ImportError:
        return ["asyncio"]
    return list(BACKENDS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``anyio_backend`` over both backends for anyio tests."""
    if "anyio_backend" not in metafunc.fixturenames:
        return
    defs: Any = getattr(metafunc, "_arg2fixturedefs", {}).get("anyio_backend", ())
    if not defs:
        return
    fixturedef = defs[-1]
    if getattr(fixturedef.func, "__module__", "") != "anyio.pytest_plugin":
        return  # the user's own anyio_backend fixture decides
    if fixturedef.params:
        return  # anyio >= 4.11 already runs each test on every installed backend
    metafunc.parametrize("anyio_backend", _backends(), scope="module")
