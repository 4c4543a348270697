"""A faster :class:`~anyiohttp.http.parser.ServerParser`: httptools (llhttp) for heads.

Optional (``pip install anyiohttp[speedups]``). The head is checked by the
same :class:`~anyiohttp.http.head_check.HeadCheckingParser` as for h11, then
parsed by llhttp in C; bodies are framed by the base class (Content-Length,
or the chunked decoder of :mod:`anyiohttp.http.chunked`), as for h11, so
pipelined requests are taken one at a time and each head gets the same checks. Same events,
same errors, same answers as the h11 parser: the test suite runs on both.
"""

from __future__ import annotations

from typing import Any, Final

import httptools  # type: ignore[import-not-found,import-untyped,unused-ignore]  # untyped, optional

from .exceptions import BadHttpMessage, BadStatusLine
from .head_check import VERSIONS, HeadCheckingParser
from .parser import RequestHead

__all__ = ("HttptoolsServerParser",)


class _Head:
    """Collects what llhttp reports for one head."""

    __slots__ = ("headers", "url")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        # llhttp keeps trailing whitespace; it is not part of the value (RFC 9110 5.5).
        self.headers.append((name, value.rstrip(b" \t")))


# Methods llhttp parses as plain HTTP with no effect on the framing; any other
# token is parsed as GET (CONNECT is here: llhttp reads it as an upgrade).
_LLHTTP_SAFE_METHODS: Final = frozenset(
    {b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE"}
)


# llhttp's version strings (the head check let only these two through).
_VERSIONS: Final = {version.decode("ascii"): value for version, value in VERSIONS.items()}


def _parse(raw_head: bytes) -> tuple[Any, _Head]:
    """llhttp's reading of a whole head."""
    collected = _Head()
    parser: Any = httptools.HttpRequestParser(collected)
    try:
        parser.feed_data(raw_head)
    except httptools.HttpParserUpgrade:
        pass  # the head is complete; what follows belongs to the new protocol
    except httptools.HttpParserError as exc:
        raise BadHttpMessage(str(exc) or "Bad Request") from None
    return parser, collected


class HttptoolsServerParser(HeadCheckingParser):
    """Check request heads, parse them with llhttp, frame the bodies in the base class."""

    __slots__ = ()

    def _parse_head(self, raw_head: bytes) -> RequestHead:
        space = raw_head.index(b" ")
        method = raw_head[:space]
        if method in _LLHTTP_SAFE_METHODS:
            parser, collected = _parse(raw_head)
        else:
            # llhttp knows a fixed list of methods (and reads some, like PLAY,
            # as RTSP); RFC 9110 9.1 allows any token, which the head check
            # vouched for: parse as GET, keep the name.
            parser, collected = _parse(b"GET" + raw_head[space:])
        version = _VERSIONS.get(parser.get_http_version())
        if version is None:  # the head check let only 1.0 and 1.1 through; llhttp disagrees
            raise BadStatusLine(raw_head[:100].decode("latin-1"), "Unsupported HTTP version")
        if version.minor == 1 and not self._host_seen:
            # "A server MUST respond with a 400 (Bad Request) status code to any
            # HTTP/1.1 request message that lacks a Host header field" -- RFC 9112 3.2
            raise BadHttpMessage("Missing mandatory Host: header")
        return self._make_head(
            method.decode("ascii"),
            collected.url,
            version,
            tuple(collected.headers),
            self._chunked,
            self._body_length,
        )
