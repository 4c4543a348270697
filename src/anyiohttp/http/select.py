"""Which parser runs: h11 always works; httptools (llhttp) is faster when installed.

Both sides choose the same way: ``"h11"``, ``"httptools"`` or ``"auto"``
(httptools when importable, else h11). The ``ANYIOHTTP_PARSER`` environment
variable overrides ``"auto"``, so a deployment (or the test suite) can pin
one without touching code.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from .h11_client import H11ClientParser
from .h11_server import H11ServerParser
from .parser import ClientParser, ServerParser

__all__ = ("client_parser_class", "server_parser_class")

PARSERS = ("auto", "h11", "httptools")


def _pick(kind: str, fallback: Any, module: str, name: str) -> Any:
    if kind == "auto":
        kind = os.environ.get("ANYIOHTTP_PARSER", "auto")
    if kind == "h11":
        return fallback
    if kind not in PARSERS:
        raise ValueError(f"Unknown parser {kind!r}: use 'h11', 'httptools' or 'auto'")
    try:
        return getattr(importlib.import_module(module, __package__), name)
    except ImportError:
        if kind == "httptools":
            raise
        return fallback


def server_parser_class(kind: str = "auto") -> Callable[..., ServerParser]:
    """The request parser for a server connection."""
    parser: Callable[..., ServerParser] = _pick(
        kind, H11ServerParser, ".httptools_server", "HttptoolsServerParser"
    )
    return parser


def client_parser_class(kind: str = "auto") -> Callable[..., ClientParser]:
    """The response parser for a client connection."""
    parser: Callable[..., ClientParser] = _pick(
        kind, H11ClientParser, ".httptools_client", "HttptoolsClientParser"
    )
    return parser
