"""A faster client-side parser: our request serializer, llhttp (httptools) for response heads.

Optional, like :mod:`anyiohttp.http.httptools_server`, with the interface and
events of :class:`~anyiohttp.http.h11_client.H11ClientParser`: requests are
serialized with :func:`~anyiohttp.http.writer.serialize_head` (CR/LF in a
header is a ValueError before anything is sent), response heads are parsed
by llhttp in C, bodies are framed here (Content-Length, chunked, or until the
server closes), so one instance serves a keep-alive connection request after
request.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Final

import httptools  # type: ignore[import-not-found,import-untyped,unused-ignore]  # untyped, optional
from multidict import CIMultiDictProxy

from .. import hdrs
from ._abnf import TOKEN_STR, decode_fields
from .chunked import ChunkedDecoder, take_bytes
from .exceptions import (
    BadHttpMessage,
    BadStatusLine,
    ContentLengthError,
    LineTooLong,
    TransferEncodingError,
)
from .h11_client import check_head_limits, header_tokens
from .parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    ClientEvent,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    InformationalHead,
    NeedData,
    ResponseHead,
)
from .writer import LAST_CHUNK, encode_chunk, serialize_head

__all__ = ("HttptoolsClientParser",)

_NO_BODY_STATUS: Final = frozenset({204, 304})
# The methods and header names of hdrs, as spelt there: known tokens, so a
# request made of them skips a regular expression per name (the hot path).
_KNOWN_TOKENS: Final = frozenset(
    str(value)
    for value in vars(hdrs).values()
    if isinstance(value, str) and TOKEN_STR.fullmatch(value) is not None
)
_VERSIONS: Final = {"1.1": HttpVersion11, "1.0": HttpVersion10}
# The blank line that ends a head, CRLF or (tolerated) bare LF line ends.
_HEAD_END: Final = re.compile(rb"\r?\n\r?\n")
_BARE_LF: Final = re.compile(rb"(?<!\r)\n")
_OBS_FOLD: Final = re.compile(rb"\r\n[ \t]+")


class _Framing(enum.Enum):
    NONE = "none"
    LENGTH = "length"
    CHUNKED = "chunked"
    UNTIL_CLOSE = "until close"


class _Head:
    __slots__ = ("complete", "headers", "reason")

    def __init__(self) -> None:
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.complete = False

    def on_headers_complete(self) -> None:
        self.complete = True

    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        # llhttp keeps trailing whitespace; it is not part of the value (RFC 9110 5.5).
        self.headers.append((name, value.rstrip(b" \t")))


class HttptoolsClientParser:
    """Drive one client connection: request bytes out, response events in."""

    __slots__ = (
        "_buf",
        "_chunks",
        "_eof",
        "_framing",
        "_keep_alive",
        "_max_field_size",
        "_max_head",
        "_max_headers",
        "_max_line_size",
        "_method",
        "_remaining",
        "_request_chunked",
        "_request_done",
        "_request_left",
        "_response_done",
        "_response_started",
        "_switched",
    )

    def __init__(
        self, *, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> None:
        self.set_limits(max_line_size, max_field_size, max_headers)
        self._buf = bytearray()
        self._eof = False
        self._reset()

    def _reset(self) -> None:
        self._method = "GET"
        self._request_chunked = False
        self._request_left: int | None = 0
        self._request_done = False
        self._response_started = False
        self._response_done = False
        self._framing = _Framing.NONE
        self._remaining = 0
        self._chunks: ChunkedDecoder | None = None
        self._keep_alive = True
        self._switched = False

    def set_limits(self, max_line_size: int, max_field_size: int, max_headers: int) -> None:
        """Limits for the next response heads (a request's own, or the session's again)."""
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        # The same allowance for an incomplete head as the h11 parser gives.
        self._max_head = max(16384, 2 * max(max_line_size, max_field_size))

    # -- the request ---------------------------------------------------------------

    def request_head(self, method: str, target: str, headers: list[tuple[str, str]]) -> bytes:
        """Serialize the request line and headers.

        ValueError, before anything is sent, for a method or header name that
        is not a token, CR/LF/NUL anywhere, or an unusable Content-Length.
        """
        if method not in _KNOWN_TOKENS and TOKEN_STR.fullmatch(method) is None:
            raise ValueError(f"Invalid request: method {method!r} is not a token")
        chunked = False
        close = False
        length: int | None = None
        for name, value in headers:
            if name not in _KNOWN_TOKENS and TOKEN_STR.fullmatch(name) is None:
                raise ValueError(f"Invalid request: header name {name!r} is not a token")
            lowered = name.lower()
            if lowered == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif lowered == "connection":
                close = "close" in value.lower()
            elif lowered == "content-length":
                if not value.strip().isdigit() or (length is not None and int(value) != length):
                    raise ValueError(f"Invalid request: Content-Length {value!r}")
                length = int(value)
        head = serialize_head(f"{method} {target} HTTP/1.1", headers)
        self._method = method
        self._request_chunked = chunked
        # Without chunking, the body is exactly what Content-Length says (none
        # without one): more would be read by the server as another request.
        self._request_left = None if chunked else (length or 0)
        self._keep_alive = not close
        return head

    def request_body(self, data: bytes) -> bytes:
        """Frame a piece of the request body (ValueError past the Content-Length)."""
        if not data:
            return b""
        if self._request_chunked:
            return encode_chunk(data)
        left = self._request_left
        if left is not None:
            if len(data) > left:
                raise ValueError("Too much data for declared Content-Length")
            self._request_left = left - len(data)
        return data

    def request_end(self) -> bytes:
        """End the request (the last chunk of a chunked body)."""
        if self._request_done:
            return b""
        if self._request_left:
            raise ValueError("Too little data for declared Content-Length")
        self._request_done = True
        return LAST_CHUNK if self._request_chunked else b""

    @property
    def request_done(self) -> bool:
        """True once the whole request was serialized."""
        return self._request_done

    # -- the response --------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Take bytes from the server; ``b""`` means it closed."""
        if data:
            self._buf += data
        else:
            self._eof = True

    def next_event(self) -> ClientEvent:
        """The next response event; raises BadHttpMessage for a broken response."""
        if self._switched or self._response_done:
            return PAUSED
        if not self._response_started:
            return self._head_event()
        framing = self._framing
        if framing is _Framing.LENGTH:
            if self._remaining:
                if not self._buf:
                    if self._eof:
                        raise ContentLengthError(
                            "Response payload is not completed: <ContentLengthError: 400, "
                            "message='Not enough data to satisfy content length header.'>"
                        )
                    return NEED_DATA
                data = take_bytes(self._buf, self._remaining)
                self._remaining -= len(data)
                return data
        elif framing is _Framing.CHUNKED:
            assert self._chunks is not None
            chunk = self._chunks.decode(self._buf)
            if chunk is None:
                if self._eof:
                    raise TransferEncodingError(
                        "Response payload is not completed: <TransferEncodingError: 400, "
                        "message='Not enough data to satisfy transfer length header.'>"
                    )
                return NEED_DATA
            if chunk:
                return chunk
        elif framing is _Framing.UNTIL_CLOSE:
            if self._buf:
                data = bytes(self._buf)
                self._buf.clear()
                return data
            if not self._eof:
                return NEED_DATA
        self._response_done = True
        return END_OF_MESSAGE

    def _head_event(self) -> ClientEvent:
        if not self._buf:  # nothing yet (the first look, before any read)
            return CONNECTION_CLOSED if self._eof else NEED_DATA
        raw = self._take_head()
        if type(raw) is not bytes:
            return raw  # NEED_DATA
        collected = _Head()
        parser: Any = httptools.HttpResponseParser(collected)
        try:
            parser.feed_data(raw)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            # llhttp stops after a 101 head ("pause on upgrade"): the head is
            # whole, and what follows is not HTTP.
            if not collected.complete:
                raise BadHttpMessage(str(exc) or "Invalid response") from None
        # llhttp itself refuses control characters in header values.
        check_head_limits(  # positional: cheaper than keywords on this hot path
            collected.reason, collected.headers, self._max_line_size, self._max_field_size,
            self._max_headers, False, len(raw),
        )  # fmt: skip
        status = parser.get_status_code()
        version = _VERSIONS.get(parser.get_http_version())
        if version is None:
            major, _, minor = parser.get_http_version().partition(".")
            version = HttpVersion(int(major), int(minor or 0))
        headers = decode_fields(collected.headers)
        chunked = "Transfer-Encoding" in headers
        if chunked:
            codings = [
                t.strip().lower() for v in headers.getall("Transfer-Encoding") for t in v.split(",")
            ]
            if codings != ["chunked"]:
                # As h11: no other transfer coding is decoded, so none is framed.
                raise BadHttpMessage("Only Transfer-Encoding: chunked is supported")
        if 100 <= status < 200:
            if status == 101:
                self._switched = True  # what follows belongs to the new protocol
            return InformationalHead(status=status, headers=headers)
        self._response_started = True
        content_length = self._frame_body(status, version, headers, chunked)
        reason = collected.reason.decode("utf-8", "surrogateescape")  # as aiohttp
        return ResponseHead(  # positional: cheaper than keywords on this hot path
            status, reason, version, headers, tuple(collected.headers),
            self._framing is _Framing.CHUNKED, content_length,
        )  # fmt: skip

    def _take_head(self) -> bytes | NeedData:
        """The whole head off the (non-empty) buffer, with CRLF line ends and no obs-fold."""
        buf = self._buf
        if buf[:5] != b"HTTP/"[: len(buf)]:
            # As h11: the status line comes first, no blank lines before it.
            raise BadStatusLine(bytes(buf[:100]).decode("latin-1"), "no status line received")
        end = buf.find(b"\r\n\r\n") + 4
        raw = bytes(buf[:end]) if end != 3 else b""
        if end == 3 or raw.count(b"\n") != raw.count(b"\r\n"):
            # Bare LF line ends: tolerated in responses (as h11 does), but
            # llhttp is strict, so find the first blank line either way and
            # give llhttp CRLFs.
            found = _HEAD_END.search(buf)
            if found is None:
                if len(buf) > self._max_head:
                    raise LineTooLong(bytes(buf[:100]) + b"...", self._max_head)
                if self._eof:
                    raise BadStatusLine(
                        error="peer closed connection in the middle of a response head"
                    )
                return NEED_DATA
            end = found.end()
            raw = _BARE_LF.sub(b"\r\n", bytes(buf[:end]))
        del buf[:end]
        if b"\n " in raw or b"\n\t" in raw:
            # obs-fold: "a user agent ... MUST replace each received obs-fold
            # with one or more SP octets" (RFC 9112 5.2); llhttp refuses it.
            # Not after the status line: a fold there has nothing to continue.
            first = raw.index(b"\r\n") + 2
            raw = raw[:first] + _OBS_FOLD.sub(b" ", raw[first:])
        return raw

    def _frame_body(
        self, status: int, version: HttpVersion, headers: CIMultiDictProxy[str], chunked: bool
    ) -> int | None:
        """Set how the body of a final response is framed; its Content-Length, if any."""
        if "Connection" in headers:
            connection = header_tokens(headers, "Connection")
            if "close" in connection or (version < (1, 1) and "keep-alive" not in connection):
                self._keep_alive = False
        elif version < (1, 1):
            self._keep_alive = False
        length = headers.get("Content-Length")
        content_length = int(length) if length is not None and length.strip().isdigit() else None
        if self._method == "HEAD" or status in _NO_BODY_STATUS:
            self._framing = _Framing.NONE
        elif chunked:
            self._framing = _Framing.CHUNKED
            self._chunks = ChunkedDecoder(
                max_line_size=self._max_line_size,
                max_field_size=self._max_field_size,
                max_fields=self._max_headers,
                lax=True,
            )
        elif length is not None:
            if content_length is None:
                raise BadHttpMessage(f"Invalid Content-Length {length!r}")
            self._framing = _Framing.LENGTH
            self._remaining = content_length
        else:
            self._framing = _Framing.UNTIL_CLOSE
            self._keep_alive = False
        return content_length

    # -- reuse ---------------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """True when request and response are complete and the connection may be kept."""
        # Bytes past the response mean the server is out of step: never reuse.
        return self._request_done and self._response_done and self._keep_alive and not self._buf

    @property
    def response_started(self) -> bool:
        """True once a (final) response head arrived."""
        return self._response_started

    def start_next_cycle(self) -> None:
        """Reset for the next request on the same connection."""
        self._reset()

    @property
    def trailing_data(self) -> bytes:
        """Bytes received past the response (for a protocol switch)."""
        return bytes(self._buf)
