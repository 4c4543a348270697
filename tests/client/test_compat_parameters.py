"""aiohttp parameters that have no effect here say so (a DeprecationWarning), never silently."""

from __future__ import annotations

import warnings

import pytest

import anyiohttp


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"enable_cleanup_closed": True}, "enable_cleanup_closed has no effect"),
        ({"timeout_ceil_threshold": 1}, "timeout_ceil_threshold has no effect"),
    ],
)
def test_connector_parameters_without_effect_warn(kwargs: dict[str, object], message: str) -> None:
    with pytest.warns(DeprecationWarning, match=message) as record:
        anyiohttp.TCPConnector(**kwargs)  # type: ignore[arg-type]
    assert record[0].filename == __file__  # pointed at the caller's line


def test_client_timeout_ceil_threshold_warns() -> None:
    with pytest.warns(DeprecationWarning, match="ceil_threshold"):
        anyiohttp.ClientTimeout(total=1, ceil_threshold=1)


def test_the_defaults_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        anyiohttp.TCPConnector(enable_cleanup_closed=False, timeout_ceil_threshold=5)
        anyiohttp.ClientTimeout(total=1)
