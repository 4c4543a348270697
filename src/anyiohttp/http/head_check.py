"""The base of both server parsers: the request-head check and the body framing.

Heads are validated incrementally, as their bytes arrive, so the limits count
across TCP segments and a bad head is refused without waiting for its end:

- a request line over ``max_line_size`` or a header line over
  ``max_field_size`` (LineTooLong), more than ``max_headers`` headers;
- bare LF line endings and obs-fold continuation lines;
- Content-Length together with Transfer-Encoding, duplicate Content-Length or
  Host, a Content-Length that is not plain ASCII digits, a transfer coding
  other than ``chunked`` (501).

These are the places where h11 is more lenient than aiohttp. A head that
passes is handed to the subclass's parser (h11 or llhttp), which reads only
the head. Bodies are framed here, by Content-Length or by the one strict
:class:`~anyiohttp.http.chunked.ChunkedDecoder`, whichever parser read the
head: two framings of one body are how requests get smuggled, so there is
one. A request gets the same answer from either parser.
"""

from __future__ import annotations

import re
from typing import Final

from ._abnf import CTL, TCHAR, TOKEN, TOKEN_PREFIX, decode_fields
from .chunked import ChunkedDecoder, take_bytes
from .exceptions import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from .parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RequestHead,
    ServerEvent,
)

__all__ = ("HeadCheckingParser",)

# The request-target forms (RFC 9112 3.2): origin ("/..."), asterisk ("*"),
# absolute ("scheme://..."); authority-form only with CONNECT.
_ABSOLUTE_FORM: Final = re.compile(rb"[A-Za-z]+://")
_AUTHORITY_FORM: Final = re.compile(
    rb"(?:\[[0-9A-Fa-f:.]+\]|[^\x00-\x20\x7f/?#@\[\]:]+):[0-9]{1,5}"
)
VERSIONS: Final = {b"1.1": HttpVersion11, b"1.0": HttpVersion10}
# A whole head of the common shape: an origin-form request line, then fields
# with token names and no control characters but HTAB. Every line-by-line
# check below passes such a head, so one match in C stands in for them (the
# h11 parser's check of a plain head; llhttp checks as much itself).
PLAIN_HEAD: Final = re.compile(
    rb"[" + TCHAR.encode() + rb"]+ /[\x21-\x7e\x80-\xff]* HTTP/1\.[01]\r\n"
    rb"(?:[" + TCHAR.encode() + rb"]+:[\t\x20-\x7e\x80-\xff]*\r\n)*\r\n"
)
# The versions and methods of a plain head (see _plain_head): those llhttp
# parses as they are (CONNECT aside: its target is an authority).
_PLAIN_VERSIONS: Final = {b"HTTP/1.1": HttpVersion11, b"HTTP/1.0": HttpVersion10}
_PLAIN_METHODS: Final = {
    method.encode(): method
    for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE")
}
# The fields a plain head's check reads (in the lower-cased head, at a line's start).
_READ_FIELDS: Final = re.compile(
    rb"\n(?:host|content-length|connection|transfer-encoding|expect|upgrade):"
)
_HOST_ONLY: Final = [b"\nhost:"]
# The Connection tokens of a head without a Connection field.
_NO_TOKENS: Final[frozenset[str]] = frozenset()
# RFC 9112 2.2: a server SHOULD ignore at least one empty line before the
# request-line; more than a few is garbage.
_MAX_LEADING_EMPTY_LINES: Final = 4


class HeadCheckingParser:
    """Base of the server parsers: checks a head, has it parsed, frames the body.

    A subclass implements :meth:`_parse_head`; the rest of the
    :class:`~anyiohttp.http.parser.ServerParser` interface is here.
    """

    __slots__ = (
        "_body_length",
        "_buf",
        "_chunked",
        "_chunks",
        "_empty_lines",
        "_eof",
        "_head",
        "_head_done",
        "_head_start",
        "_header_count",
        "_host_seen",
        "_line_start",
        "_max_field_size",
        "_max_headers",
        "_max_line_size",
        "_message_done",
        "_remaining",
        "_scanned",
        "_transfer_coding",
    )

    def __init__(
        self, *, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> None:
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._buf = bytearray()
        self._eof = False
        self._reset_head_state()

    def _reset_head_state(self) -> None:
        self._scanned = False  # True once the line-by-line check began on this head
        self._head_done = False
        self._message_done = False
        self._line_start = 0  # where the line being scanned starts in _buf
        self._head_start = 0  # where the request line starts (after empty lines)
        self._header_count = -1  # -1: the request line is not complete yet
        self._empty_lines = 0
        self._body_length: int | None = None
        self._chunked = False
        self._transfer_coding = b""
        self._host_seen = False
        self._head: RequestHead | None = None
        self._chunks: ChunkedDecoder | None = None
        self._remaining = 0

    # -- the ServerParser interface ----------------------------------------------

    def feed(self, data: bytes) -> None:
        """Take bytes from the peer (``b""`` for EOF)."""
        if data:
            self._buf += data
        else:
            self._eof = True

    def next_event(self) -> ServerEvent:
        """Return the next request event; raise BadHttpMessage on bad input."""
        if not self._head_done:
            if not self._scanned:
                buf = self._buf
                if not buf:  # between requests
                    return CONNECTION_CLOSED if self._eof else NEED_DATA
                end = buf.find(b"\r\n\r\n")
                if end != -1:
                    head = self._plain_head(end + 4)
                    if head is not None:
                        return head
            if not self._scan_head():
                if self._eof:
                    if self._buf.strip(b"\r\n"):
                        raise BadStatusLine(
                            error="Connection closed in the middle of a request head"
                        )
                    return CONNECTION_CLOSED
                return NEED_DATA
            head = self._head
            assert head is not None
            self._head = None
            return head
        if self._message_done:
            return PAUSED
        buf = self._buf
        if self._chunks is not None:
            data = self._chunks.decode(buf)
            if data is None:
                if self._eof:
                    raise TransferEncodingError(
                        "Not enough data to satisfy transfer length header."
                    )
                return NEED_DATA
            if data:
                return data
        elif self._remaining:
            if not buf:
                if self._eof:
                    raise ContentLengthError("Not enough data to satisfy content length header.")
                return NEED_DATA
            data = take_bytes(buf, self._remaining)
            self._remaining -= len(data)
            return data
        self._message_done = True
        return END_OF_MESSAGE

    def start_next_cycle(self) -> None:
        """Begin parsing the next pipelined request with what is left over."""
        if self._scanned or self._chunks is not None:
            self._reset_head_state()
        else:  # a plain head: only these changed (see _plain_head)
            self._head_done = False
            self._message_done = False
            self._remaining = 0

    @property
    def trailing_data(self) -> bytes:
        """Received bytes past the current request (or head) so far parsed."""
        return bytes(self._buf)

    @property
    def buffered(self) -> int:
        """How many received bytes wait to be parsed."""
        return len(self._buf)

    # -- the head, once checked ---------------------------------------------------

    def _parse_head(self, raw_head: bytes) -> RequestHead:
        """Parse a head that passed the checks (request line to the empty line)."""
        raise NotImplementedError

    def _plain_fields(
        self, raw_head: bytes, keep_alive: bool
    ) -> bytes | list[tuple[bytes, bytes]] | None:
        """A plain head's fields (see _plain_head) as RequestHead takes them, once
        the parser checked the whole head; None when it refuses it.

        ``keep_alive``: the head's request has no body and another may follow.
        """
        raise NotImplementedError

    def _plain_head(self, stop: int) -> RequestHead | None:
        """The head in ``_buf[:stop]``, parsed, when it is of the common shape; else None.

        The common shape: within the limits, an origin-form request line with
        a method llhttp parses as it is, HTTP/1.0 or 1.1, a Host for 1.1, and
        none of the fields that take the line-by-line path (see
        ``_plain_framing``). The subclass's parser checks the rest
        (``_plain_fields``). Any other head is checked line by line, which
        says what is wrong with it. The headers are decoded when asked for.
        """
        buf = self._buf
        line_end = buf.find(b"\r\n")
        size = stop - line_end  # the field lines, with the CRLFs around them
        if (
            line_end > self._max_line_size
            or size > self._max_field_size  # then no field line can be over
            # A field line takes 4 bytes at least ("a:\r\n"): count only when
            # the head is long enough to hold too many.
            or (
                size > 4 * self._max_headers
                and buf.count(b"\r\n", line_end, stop) - 2 > self._max_headers
            )
        ):
            return None
        raw = bytes(buf) if stop == len(buf) else bytes(buf[:stop])
        parts = raw[:line_end].split(b" ")
        if len(parts) != 3:
            return None
        method = _PLAIN_METHODS.get(parts[0])
        version = _PLAIN_VERSIONS.get(parts[2])
        target = parts[1]
        if method is None or version is None or target[:1] != b"/":
            return None
        low = raw.lower()
        found = _READ_FIELDS.findall(low)
        if found == _HOST_ONLY or (not found and version is HttpVersion10):
            length = None
            keep_alive = version is HttpVersion11
        else:
            framing = _plain_framing(low, found, version)
            if framing is None:
                return None
            length, keep_alive = framing
        fields = self._plain_fields(raw, keep_alive and not length)
        if fields is None:
            return None
        if stop == len(buf):
            buf.clear()
        else:
            del buf[:stop]
        self._head_done = True
        self._remaining = length or 0
        return RequestHead(  # positional: cheaper, and one is built per request
            method,
            target.decode("utf-8", "surrogateescape"),
            version,
            None,  # headers: decoded from fields when asked for
            keep_alive,
            False,  # upgrade
            None,  # expect
            False,  # expect_continue
            False,  # chunked
            length,
            fields,
        )

    def _finish_head(self, end: int) -> None:
        if self._chunked:
            self._check_framing()
        self._head = self._parse_head(bytes(self._buf[self._head_start : end]))
        del self._buf[:end]
        self._head_done = True
        if self._chunked:
            self._chunks = ChunkedDecoder(
                max_line_size=self._max_line_size,
                max_field_size=self._max_field_size,
                max_fields=self._max_headers,
            )
        else:
            self._remaining = self._body_length or 0

    def _check_framing(self) -> None:
        if self._body_length is not None:
            # "A server MAY reject a request that contains both Content-Length
            # and Transfer-Encoding" -- RFC 9112 6.1; we do, against smuggling.
            raise BadHttpMessage("Content-Length and Transfer-Encoding are both present")
        if self._transfer_coding != b"chunked":
            # "chunked", once, is the only transfer coding understood; RFC 9112
            # 6.1 lets a server refuse what it cannot frame (501, as h11).
            error = BadHttpMessage("Only Transfer-Encoding: chunked is supported")
            error.code = 501
            raise error

    # -- the head check ------------------------------------------------------------

    def _scan_head(self) -> bool:
        """Validate complete lines of the head; True once the head is complete.

        On completion the head is parsed (``_finish_head``).
        """
        buf = self._buf
        start = self._line_start
        if start == len(buf):
            return False  # nothing new to look at
        self._scanned = True
        while True:
            nl = buf.find(b"\n", start)
            if nl == -1:
                self._check_partial_line(start)
                self._line_start = start
                return False
            # "Although the line terminator for the start-line and fields is
            # the sequence CRLF, a recipient MAY recognize a single LF" -- we
            # do not: a bare LF lets parsers disagree (RFC 9112 2.2).
            if nl == start or buf[nl - 1] != 0x0D:
                raise BadHttpMessage("Bare LF line ending in the request head")
            line = bytes(buf[start : nl - 1])
            line_start, start = start, nl + 1
            if not line:
                if self._header_count < 0:
                    self._empty_lines += 1
                    if self._empty_lines > _MAX_LEADING_EMPTY_LINES:
                        raise BadStatusLine(error="Too many empty lines before the request line")
                    self._head_start = start
                    continue
                self._finish_head(start)
                return True
            if self._header_count < 0:
                self._head_start = line_start
                self._check_request_line(line)
                self._header_count = 0
            else:
                self._check_header_line(line)

    def _check_partial_line(self, start: int) -> None:
        size = len(self._buf) - start
        if self._header_count < 0:
            if size > self._max_line_size:
                raise LineTooLong(
                    bytes(self._buf[start : start + 100]) + b"...", self._max_line_size
                )
            # Refuse a non-token method at once (TLS on a plain port, say)
            # rather than after the header timeout.
            first = bytes(self._buf[start : start + 32])
            sp = first.find(b" ")
            method = first if sp == -1 else first[:sp]
            match = TOKEN_PREFIX.match(method)
            if match is not None and match.end() != len(method):
                raise BadHttpMethod(first.decode("latin-1"))
        elif size > self._max_field_size:
            raise LineTooLong(bytes(self._buf[start : start + 100]) + b"...", self._max_field_size)

    def _check_request_line(self, line: bytes) -> None:
        if len(line) > self._max_line_size:
            raise LineTooLong(line[:100] + b"...", self._max_line_size)
        parts = line.split(b" ")
        if len(parts) != 3:
            raise BadStatusLine(line.decode("latin-1"))
        method, target, version = parts
        if TOKEN.fullmatch(method) is None:
            raise BadHttpMethod(line.decode("latin-1"))
        if method == b"CONNECT":
            # "authority-form = uri-host ":" port", for CONNECT only -- RFC 9112 3.2.3
            if _AUTHORITY_FORM.fullmatch(target) is None:
                raise BadStatusLine(line.decode("latin-1"), f"Invalid request target {target!r}")
        elif target[:1] not in (b"/", b"*") and _ABSOLUTE_FORM.match(target) is None:
            raise BadStatusLine(line.decode("latin-1"), f"Invalid request target {target!r}")
        if not version.startswith(b"HTTP/") or version[5:] not in VERSIONS:
            raise BadStatusLine(line.decode("latin-1"), f"Unsupported HTTP version {version!r}")

    def _check_header_line(self, line: bytes) -> None:
        if len(line) > self._max_field_size:
            raise LineTooLong(line[:100] + b"...", self._max_field_size)
        self._header_count += 1
        if self._header_count > self._max_headers:
            raise BadHttpMessage(f"Too many headers received (limit {self._max_headers})")
        if line[0] in b" \t":
            # "A server that receives an obs-fold in a request message ... MUST
            # either reject the message by sending a 400" -- RFC 9112 5.2
            raise InvalidHeader(line, "obsolete line folding")
        colon = line.find(b":")
        if colon <= 0:
            raise InvalidHeader(line, "no field name")
        if CTL.search(line) is not None:
            raise InvalidHeader(line, "control character in the field")
        self._check_field(line[:colon].lower(), line[colon + 1 :], line)

    def _check_field(self, name: bytes, raw_value: bytes, line: bytes) -> None:
        """The checks on one field's value: framing fields and Host (``name`` lowercased)."""
        if name == b"content-length":
            value = raw_value.strip(b" \t")
            # bytes.isdigit() is ASCII-only, so "١٢" or "+1" cannot pass.
            if not value.isdigit():
                raise InvalidHeader(line, "Content-Length must be decimal digits")
            if self._body_length is not None:
                raise InvalidHeader(line, "duplicate Content-Length")
            self._body_length = int(value)
        elif name == b"transfer-encoding":
            # A second Transfer-Encoding field adds codings: never plain "chunked".
            self._transfer_coding = b"," if self._chunked else raw_value.strip(b" \t").lower()
            self._chunked = True
        elif name == b"host":
            if self._host_seen:
                raise InvalidHeader(line, "duplicate Host")
            self._host_seen = True

    @staticmethod
    def _make_head(
        method: str,
        target: bytes,
        version: HttpVersion,
        raw: tuple[tuple[bytes, bytes], ...],
        chunked: bool,
        content_length: int | None,
    ) -> RequestHead:
        headers = decode_fields(raw)
        connection = headers.get("Connection")
        tokens = (
            {token.strip() for token in connection.lower().split(",")} if connection else _NO_TOKENS
        )
        if chunked and version is HttpVersion10:
            # "A server or client that receives an HTTP/1.0 message containing a
            # Transfer-Encoding header field MUST treat the message as if the
            # framing is faulty ... and close the connection after processing
            # the message" -- RFC 9112 6.1
            keep_alive = False
        elif version is HttpVersion11:
            keep_alive = "close" not in tokens
        else:
            keep_alive = "keep-alive" in tokens
        upgrade = method == "CONNECT" or ("upgrade" in tokens and "Upgrade" in headers)
        expect = headers.get("Expect")
        return RequestHead(  # positional: cheaper, and one is built per request
            method,
            target.decode("utf-8", "surrogateescape"),
            version,
            headers,
            keep_alive,
            upgrade,
            expect,
            version is HttpVersion11
            and expect is not None
            and expect.lower() == "100-continue",  # expect_continue
            chunked,
            content_length,
        )


def _plain_framing(
    low: bytes, found: list[bytes], version: HttpVersion
) -> tuple[int | None, bool] | None:
    """Content-Length and keep-alive of a plain head from its fields ``found``
    (see ``_READ_FIELDS``; ``low`` is the head lower-cased).

    None for a head to check line by line: with Transfer-Encoding, Expect or
    Upgrade, a repeated field, no Host in HTTP/1.1, a Content-Length that is
    not digits, a Connection other than ``close`` or ``keep-alive``.
    """
    if b"\nhost:" not in found and version is HttpVersion11:
        return None
    length = None
    keep_alive = version is HttpVersion11
    for name in found:
        if found.count(name) > 1:
            return None
        if name == b"\nhost:":
            continue
        at = low.find(name) + len(name)
        value = low[at : low.index(b"\r", at)].strip(b" \t")
        if name == b"\ncontent-length:" and value.isdigit():
            length = int(value)
        elif name == b"\nconnection:" and value in (b"close", b"keep-alive"):
            keep_alive = value == b"keep-alive"
        else:
            return None
    return length, keep_alive
