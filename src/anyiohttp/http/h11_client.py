"""The client side of HTTP/1.1 over h11: request bytes out, response events in.

Sans-I/O like the server parser: :class:`H11ClientParser` turns a request
into bytes and the server's bytes into :class:`ResponseHead`, body chunks
and :data:`END_OF_MESSAGE`. One instance serves one connection for its whole
life; :meth:`start_next_cycle` readies it for the next request when both
sides ended their message and the connection may be kept.
"""

from __future__ import annotations

from typing import Final

import h11
from multidict import CIMultiDictProxy

from ._abnf import CTL, decode_fields
from .exceptions import BadHttpMessage, ContentLengthError, LineTooLong, TransferEncodingError
from .parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    ClientEvent,
    HttpVersion,
    InformationalHead,
    ResponseHead,
)

__all__ = ("H11ClientParser", "check_head_limits")


def _both_lengths() -> BadHttpMessage:
    # RFC 9112 6.1: "ought to be handled as an error" (smuggling, splitting);
    # aiohttp refuses it too. h11 alone would let Transfer-Encoding win.
    return BadHttpMessage("Transfer-Encoding can't be present with Content-Length")


def check_head_limits(
    reason: bytes,
    raw: list[tuple[bytes, bytes]],
    max_line_size: int,
    max_field_size: int,
    max_headers: int = 128,
    check_values: bool = True,
    head_size: int | None = None,
) -> None:
    """Raise LineTooLong for a status line or header name/value over its limit.

    ``max_line_size`` bounds the status line, ``max_field_size`` each header
    name and each value, as aiohttp's client counts them. Control characters
    (other than HTAB) in the reason or a value are a BadHttpMessage: llhttp
    refuses them, h11 would keep them. Without ``check_values``, a
    ``head_size`` (the whole head's bytes) within ``max_field_size`` spares
    the look at each field: none can be longer than the head.
    """
    if len(raw) > max_headers:
        raise BadHttpMessage("Too many headers received")
    if len(reason) + 13 > max_line_size:  # "HTTP/1.1 200 " plus the reason
        raise LineTooLong(b"Status line is too long", max_line_size)
    if CTL.search(reason) is not None:
        raise BadHttpMessage(f"Control character in the reason phrase {reason!r}")
    if not check_values and head_size is not None and head_size <= max_field_size:
        return
    for name, value in raw:
        if check_values and CTL.search(value) is not None:
            raise BadHttpMessage(f"Control character in response header {name!r}")
        if len(value) > max_field_size:
            raise LineTooLong(b"Response header " + name[:100] + b" is too long", max_field_size)
        if len(name) > max_field_size:
            raise LineTooLong(b"Response header name is too long", max_field_size)


def _incomplete_head_cap(max_line_size: int, max_field_size: int) -> int:
    """h11's cap on a head not yet complete: room for the longest line the limits allow."""
    return max(16384, 2 * max(max_line_size, max_field_size))


# The states of a complete exchange; after an HTTP/1.0 response h11 puts both
# sides in MUST_CLOSE instead of DONE.
_DONE: Final = (h11.DONE,)
_DONE_KEPT_10: Final = (h11.DONE, h11.MUST_CLOSE)


def header_tokens(headers: CIMultiDictProxy[str], name: str) -> set[str]:
    """The comma-separated tokens of every ``name`` field, lower-cased."""
    return {t.strip().lower() for v in headers.getall(name, ()) for t in v.split(",")}


class H11ClientParser:
    """Drive one client connection through h11."""

    __slots__ = (
        "_cap",
        "_chunked",
        "_conn",
        "_keep_alive_10",
        "_length",
        "_max_field_size",
        "_max_headers",
        "_max_line_size",
        "_pending",
        "_response_started",
    )

    def __init__(
        self, *, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> None:
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._cap = _incomplete_head_cap(max_line_size, max_field_size)
        self._conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=self._cap)
        self._chunked = False
        self._length: int | None = None
        self._response_started = False
        # An HTTP/1.0 response that asked to keep the connection: h11 never
        # reuses one (it closes after 1.0), but the server kept it open, as
        # the httptools parser and aiohttp see it.
        self._keep_alive_10 = False
        # What came before the final head and h11 may not have read yet: a
        # 101 that no upgrade was proposed for is read again from it.
        self._pending = b""

    def set_limits(self, max_line_size: int, max_field_size: int, max_headers: int) -> None:
        """Limits for the next response heads (a request's own, or the session's again).

        Set between exchanges: h11's cap on an incomplete head follows them
        (h11 takes it only when made, so an idle connection gets a new one).
        """
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        cap = _incomplete_head_cap(max_line_size, max_field_size)
        conn = self._conn
        if (
            cap != self._cap
            and conn.our_state is h11.IDLE
            and conn.their_state is h11.IDLE
            and conn.trailing_data == (b"", False)
        ):
            self._conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=cap)
            self._cap = cap

    # -- the request ---------------------------------------------------------------

    def request_head(self, method: str, target: str, headers: list[tuple[str, str]]) -> bytes:
        """Serialize the request line and headers.

        Raises ValueError for a header h11 refuses (CR/LF in a value, say).
        """
        try:
            data = self._conn.send(
                h11.Request(
                    method=method,
                    target=target.encode("ascii"),
                    headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers],
                )
            )
        except (h11.LocalProtocolError, UnicodeEncodeError) as exc:
            raise ValueError(f"Invalid request: {exc}") from None
        assert data is not None
        return data

    def request_body(self, data: bytes) -> bytes:
        """Frame a piece of the request body (ValueError past the Content-Length)."""
        if not data:
            return b""
        try:
            out = self._conn.send(h11.Data(data=data))
        except h11.LocalProtocolError as exc:
            raise ValueError(str(exc)) from None
        return out or b""

    def request_end(self) -> bytes:
        """End the request body (the last chunk of a chunked body)."""
        if self._conn.our_state is h11.SEND_BODY:
            try:
                return self._conn.send(h11.EndOfMessage()) or b""
            except h11.LocalProtocolError as exc:
                raise ValueError(str(exc)) from None
        return b""

    @property
    def request_done(self) -> bool:
        """True once the whole request was serialized."""
        return self._conn.our_state is h11.DONE

    # -- the response --------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Take bytes from the server; ``b""`` means it closed."""
        if not self._response_started:
            self._pending = self._pending + data if self._pending else data
        self._conn.receive_data(data)

    def next_event(self) -> ClientEvent:
        """The next response event; raises BadHttpMessage for a broken response."""
        try:
            event = self._conn.next_event()
        except h11.RemoteProtocolError as exc:
            if not self._response_started and self._conn.trailing_data == (b"", True):
                # Closed before a byte of the response: the same event as
                # for an idle connection, so callers can retry alike.
                return CONNECTION_CLOSED
            if "without a pending proposal" in str(exc):
                return self._unasked_switch()
            raise self._translate(exc) from None
        if type(event) is h11.Data:
            return bytes(event.data)
        if event is h11.NEED_DATA:
            return NEED_DATA
        if type(event) is h11.EndOfMessage:
            return END_OF_MESSAGE
        if type(event) is h11.Response:
            return self._response_head(event)
        if type(event) is h11.InformationalResponse:
            # Only what h11 has not read yet may hold a head still to come.
            self._pending = self._conn.trailing_data[0]
            return self._informational(event)
        if type(event) is h11.ConnectionClosed:
            return CONNECTION_CLOSED
        return PAUSED

    def _informational(self, event: h11.InformationalResponse) -> InformationalHead:
        raw = list(event.headers.raw_items())
        check_head_limits(
            event.reason, raw, self._max_line_size, self._max_field_size, self._max_headers
        )
        headers = decode_fields(raw)
        if "Content-Length" in headers and "Transfer-Encoding" in headers:
            raise _both_lengths()
        return InformationalHead(status=event.status_code, headers=headers)

    def _unasked_switch(self) -> ClientEvent:
        """A ``101`` to a request that proposed no upgrade: the final head, as aiohttp
        (and llhttp) take it, not h11's protocol error.

        h11 refuses it, so its bytes are read again by an h11 connection that
        did propose an upgrade, which then stands in for the one that failed:
        switched, what follows the head is its trailing data.
        """
        stand_in = h11.Connection(h11.CLIENT, max_incomplete_event_size=self._cap)
        stand_in.send(
            h11.Request(method="GET", target="/", headers=[("Host", "-"), ("Upgrade", "-")])
        )
        stand_in.send(h11.EndOfMessage())
        stand_in.receive_data(self._pending)
        self._pending = b""
        while True:
            try:
                event = stand_in.next_event()
            except h11.RemoteProtocolError as exc:
                raise self._translate(exc) from None
            if type(event) is h11.InformationalResponse and event.status_code == 101:
                self._conn = stand_in
                return self._informational(event)
            if type(event) is not h11.InformationalResponse:
                # Not what h11 refused: nothing is left to say but that.
                raise BadHttpMessage("Received a 101 without a pending upgrade proposal")

    def _response_head(self, event: h11.Response) -> ResponseHead:
        raw = list(event.headers.raw_items())
        check_head_limits(
            event.reason, raw, self._max_line_size, self._max_field_size,
            max_headers=self._max_headers,
        )  # fmt: skip
        headers = decode_fields(raw)
        length = headers.get("Content-Length")
        if length is not None and "Transfer-Encoding" in headers:
            raise _both_lengths()  # llhttp refuses it by itself
        self._chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        self._length = int(length) if length is not None and length.isdigit() else None
        self._response_started = True
        self._pending = b""
        if event.http_version == b"1.0":
            connection = header_tokens(headers, "Connection")
            self._keep_alive_10 = "keep-alive" in connection and "close" not in connection
        return ResponseHead(
            status=event.status_code,
            reason=event.reason.decode("utf-8", "surrogateescape"),  # as aiohttp
            version=HttpVersion(*map(int, event.http_version.split(b"."))),
            headers=headers,
            raw_headers=tuple(raw),
            chunked=self._chunked,
            content_length=self._length,
        )

    def _translate(self, exc: h11.RemoteProtocolError) -> BadHttpMessage:
        text = str(exc)
        if "peer closed connection without sending complete message body" in text:
            if self._chunked:
                return TransferEncodingError(
                    "Response payload is not completed: <TransferEncodingError: 400, "
                    "message='Not enough data to satisfy transfer length header.'>"
                )
            return ContentLengthError(
                "Response payload is not completed: <ContentLengthError: 400, "
                "message='Not enough data to satisfy content length header.'>"
            )
        return BadHttpMessage(text or "Bad response")

    # -- reuse ---------------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """True when request and response are complete and the connection may be kept."""
        conn = self._conn
        # h11 calls a body read until EOF "DONE" too: the closed flag tells.
        # Bytes past the response mean the server is out of step.
        trailing, closed = conn.trailing_data
        done = _DONE_KEPT_10 if self._keep_alive_10 else _DONE
        return conn.our_state in done and conn.their_state in done and not closed and not trailing

    @property
    def response_started(self) -> bool:
        """True once a (final) response head arrived."""
        return self._response_started

    def start_next_cycle(self) -> None:
        """Reset for the next request on the same connection."""
        if self._keep_alive_10:
            # h11 holds the 1.0 connection as closing: the next exchange gets a new one.
            self._conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=self._cap)
            self._keep_alive_10 = False
        else:
            self._conn.start_next_cycle()
        self._chunked = False
        self._length = None
        self._response_started = False
        self._pending = b""

    @property
    def trailing_data(self) -> bytes:
        """Bytes received past the response (for a protocol switch)."""
        return bytes(self._conn.trailing_data[0])
