"""aiohttp's plugin module name: ``pytest_plugins = ["anyiohttp.pytest_plugin"]``.

A port of ``pytest_plugins = ["aiohttp.pytest_plugin"]`` changes the import
only. The fixtures are the anyiohttp plugin's (``anyiohttp_client``,
``anyiohttp_server``, ``anyiohttp_raw_server``, ``anyiohttp_unused_port``;
see :mod:`anyiohttp.testing.plugin`), which an installed anyiohttp already
registers through its ``pytest11`` entry point: listing this module then
changes nothing. Where entry points are not loaded
(``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, ``-p no:anyiohttp``), listing it
registers that plugin, once, and anyio's (``@pytest.mark.anyio``), which
the fixtures run on.
"""

from __future__ import annotations

import anyio.pytest_plugin
import pytest

from .testing import plugin

__all__ = ("pytest_configure",)


def pytest_configure(config: pytest.Config) -> None:
    """Register anyio's and anyiohttp's plugins unless their entry points already did."""
    manager = config.pluginmanager
    for module in (anyio.pytest_plugin, plugin):
        if not manager.is_registered(module):
            # Under the module's name, not the entry point's, which
            # ``-p no:anyiohttp`` blocks: listing this module asks for them.
            manager.register(module, module.__name__)
