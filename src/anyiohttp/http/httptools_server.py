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


class _NoCallbacks:
    """A protocol without callbacks: llhttp only checks the head."""

    __slots__ = ()


_CHECK_ONLY: Final = _NoCallbacks()


class HttptoolsServerParser(HeadCheckingParser):
    """Check request heads, parse them with llhttp, frame the bodies in the base class."""

    __slots__ = ("_checker",)

    def __init__(
        self, *, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> None:
        super().__init__(
            max_line_size=max_line_size, max_field_size=max_field_size, max_headers=max_headers
        )
        # llhttp checking plain heads: kept for the next request while the
        # last one ended with its head (no body) and the connection stays.
        self._checker: Any = None

    def _plain_fields(self, raw_head: bytes, keep_alive: bool) -> bytes | None:
        # What the base class read of a plain head (request line, framing
        # fields) llhttp reads the same way, and it checks the whole head as
        # strictly as the line-by-line check (control characters, bare CR or
        # LF, obs-fold, field names). No callbacks: the fields are decoded
        # from the head only when asked for.
        checker = self._checker
        if checker is None:
            checker = httptools.HttpRequestParser(_CHECK_ONLY)
        try:
            checker.feed_data(raw_head)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            self._checker = None
            return None  # the line-by-line check then says what is wrong
        self._checker = checker if keep_alive else None
        return raw_head

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
