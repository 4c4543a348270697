"""Every client test runs on each installed parser (the server follows the same variable)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _parser(each_parser: str) -> str:
    return each_parser
