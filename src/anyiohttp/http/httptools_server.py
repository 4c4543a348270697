"""A faster :class:`~anyiohttp.http.parser.ServerParser`: httptools (llhttp) for heads.

Optional (``pip install anyiohttp[speedups]``). The head is checked by the
same :class:`~anyiohttp.http.head_check.HeadCheckingParser` as for h11, then
parsed by llhttp in C; bodies are framed here (Content-Length, or the
chunked decoder of :mod:`anyiohttp.http.chunked`), so pipelined requests are
still taken one at a time and each head gets the same checks. Same events,
same errors, same answers as the h11 parser: the test suite runs on both.
"""

from __future__ import annotations

from typing import Any, Final

import httptools  # type: ignore[import-not-found,import-untyped,unused-ignore]

from .chunked import ChunkedDecoder
from .exceptions import (
    BadHttpMessage,
    BadStatusLine,
    ContentLengthError,
    TransferEncodingError,
)
from .head_check import VERSIONS, HeadCheckingParser
from .parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    RequestHead,
    ServerEvent,
)

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
    """Check request heads, parse them with llhttp, frame the bodies here."""

    __slots__ = ("_body", "_chunks", "_head_event", "_remaining")

    def __init__(
        self, *, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> None:
        super().__init__(
            max_line_size=max_line_size, max_field_size=max_field_size, max_headers=max_headers
        )
        self._body = bytearray()
        self._head_event: RequestHead | None = None
        self._remaining = 0
        self._chunks: ChunkedDecoder | None = None

    # -- the ServerParser interface ----------------------------------------------

    def feed(self, data: bytes) -> None:
        """Take bytes from the peer (``b""`` for EOF)."""
        if not data:
            self._eof = True
        elif self._head_done:
            self._body += data
        else:
            self._buf += data

    def next_event(self) -> ServerEvent:
        """Return the next request event; raise BadHttpMessage on bad input."""
        if not self._head_done:
            if not self._scan_head():
                if self._eof:
                    if self._buf.strip(b"\r\n"):
                        raise BadStatusLine(
                            error="Connection closed in the middle of a request head"
                        )
                    return CONNECTION_CLOSED
                return NEED_DATA
            head = self._head_event
            assert head is not None
            self._head_event = None
            return head
        if self._message_done:
            return PAUSED
        if self._chunks is not None:
            data = self._chunks.decode(self._body)
            if data is None:
                if self._eof:
                    raise TransferEncodingError(
                        "Not enough data to satisfy transfer length header."
                    )
                return NEED_DATA
            if data:
                return data
        elif self._remaining:
            if not self._body:
                if self._eof:
                    raise ContentLengthError("Not enough data to satisfy content length header.")
                return NEED_DATA
            take = min(self._remaining, len(self._body))
            data = bytes(self._body[:take])
            del self._body[:take]
            self._remaining -= take
            return data
        self._message_done = True
        return END_OF_MESSAGE

    def start_next_cycle(self) -> None:
        """Begin parsing the next pipelined request with what is left over."""
        self._buf = self._body
        self._body = bytearray()
        self._chunks = None
        self._remaining = 0
        self._reset_head_state()

    @property
    def trailing_data(self) -> bytes:
        """Received bytes past the current request."""
        return bytes(self._body if self._head_done else self._buf)

    @property
    def buffered(self) -> int:
        """How many received bytes wait to be parsed."""
        return len(self._body if self._head_done else self._buf)

    # -- the head ---------------------------------------------------------------

    def _finish_head(self, end: int) -> None:
        self._check_framing()
        if self._chunked:
            self._check_transfer_encoding(end)
        raw_head = bytes(self._buf[self._head_start : end])
        space = raw_head.index(b" ")
        method = raw_head[:space]
        if method in _LLHTTP_SAFE_METHODS:
            parser, collected = _parse(raw_head)
        else:
            # llhttp knows a fixed list of methods (and reads some, like PLAY,
            # as RTSP); RFC 9110 9.1 allows any token, which the head check
            # vouched for: parse as GET, keep the name.
            parser, collected = _parse(b"GET" + raw_head[space:])
        version = VERSIONS[parser.get_http_version().encode("ascii")]
        if version.minor == 1 and not self._host_seen:
            # "A server MUST respond with a 400 (Bad Request) status code to any
            # HTTP/1.1 request message that lacks a Host header field" -- RFC 9112 3.2
            raise BadHttpMessage("Missing mandatory Host: header")
        self._head_event = self._make_head(
            method.decode("ascii"),
            collected.url,
            version,
            tuple(collected.headers),
            self._chunked,
            self._body_length,
        )
        self._head_done = True
        self._body = bytearray(self._buf[end:])
        self._buf = bytearray()
        if self._chunked:
            self._chunks = ChunkedDecoder(max_trailer_size=self._max_field_size * 8)
        else:
            self._remaining = self._body_length or 0

    def _check_transfer_encoding(self, end: int) -> None:
        # As h11: "chunked", once, is the only transfer coding understood;
        # anything else is 501 (RFC 9112 6.1 lets a server refuse what it
        # cannot frame).
        values = [
            value.strip().lower()
            for name, _, value in (
                line.partition(b":")
                for line in bytes(self._buf[self._head_start : end]).split(b"\r\n")[1:]
            )
            if name.strip().lower() == b"transfer-encoding"
        ]
        if values != [b"chunked"]:
            error = BadHttpMessage("Only Transfer-Encoding: chunked is supported")
            error.code = 501
            raise error
