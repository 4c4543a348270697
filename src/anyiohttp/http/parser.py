"""The sans-I/O seam between a connection loop and an HTTP/1.1 request parser.

A parser takes bytes (``feed``) and hands back events (``next_event``): one
:class:`RequestHead`, then body chunks as ``bytes``, then
:data:`END_OF_MESSAGE`. It never touches a socket, so every rule in it is
tested with plain bytes. Two implementations exist, h11's and httptools'
(:mod:`anyiohttp.http.select` picks one); they share the head checks and the
body framing, so the connection loop and the handlers cannot tell them apart.

Responses go the other way through :mod:`anyiohttp.http.writer`, which does
not depend on the parser at all. The client's seam, :class:`ClientParser`,
is at the end: requests out, response events in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple, Protocol, final

from multidict import CIMultiDictProxy

from ._abnf import decode_field_lines, decode_fields


class HttpVersion(NamedTuple):
    """An HTTP version as ``(major, minor)``."""

    major: int
    minor: int


#: HTTP/1.0 (``ClientSession(version=HttpVersion10)`` sends HTTP/1.0 request lines).
HttpVersion10: Final = HttpVersion(1, 0)
#: HTTP/1.1, the version spoken unless told otherwise.
HttpVersion11: Final = HttpVersion(1, 1)


@final
class NeedData:
    """Sentinel type: the parser needs more bytes before the next event."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


@final
class Paused:
    """Sentinel type: the connection switched protocols (Upgrade, CONNECT).

    What the peer sent past the request is in ``trailing_data``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "PAUSED"


@final
class EndOfMessage:
    """Sentinel type: the current request body is complete."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "END_OF_MESSAGE"


@final
class ConnectionClosed:
    """Sentinel type: the peer closed the connection between requests."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "CONNECTION_CLOSED"


NEED_DATA: Final = NeedData()
PAUSED: Final = Paused()
END_OF_MESSAGE: Final = EndOfMessage()
CONNECTION_CLOSED: Final = ConnectionClosed()


class RequestHead:
    """A parsed and validated request line with its headers.

    One is made per request, so it is a slotted class (cheaper to build
    than a NamedTuple), and its headers are decoded into a CIMultiDictProxy
    only when first asked for: ``fields`` holds them as received, either
    the whole head, already checked (its field lines ``b"Name: value\\r\\n"``
    after the request line) or ``(name, value)`` byte pairs.
    """

    __slots__ = (
        "_fields",
        "_headers",
        "chunked",
        "content_length",
        "expect",
        "expect_continue",
        "keep_alive",
        "method",
        "target",
        "upgrade",
        "version",
    )

    def __init__(
        self,
        method: str,
        target: str,
        version: HttpVersion,
        headers: CIMultiDictProxy[str] | None,
        keep_alive: bool,
        upgrade: bool,
        expect: str | None,
        expect_continue: bool,
        chunked: bool,
        content_length: int | None,
        fields: bytes | Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        self.method = method
        #: The request target exactly as sent (path and query), decoded as UTF-8
        #: with surrogate escapes so that no byte is lost.
        self.target = target
        self.version = version
        self._headers = headers
        self._fields = fields
        #: False when the request asks for the connection to end after it
        #: (``Connection: close``, or HTTP/1.0 without ``keep-alive``).
        self.keep_alive = keep_alive
        #: The request carries ``Upgrade`` (with ``Connection: upgrade``) or is CONNECT.
        self.upgrade = upgrade
        #: The value of the Expect field; None without one.
        self.expect = expect
        #: The client waits for ``100 Continue`` before sending the body.
        self.expect_continue = expect_continue
        self.chunked = chunked
        self.content_length = content_length

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The header fields, names as Latin-1 and values as UTF-8 (surrogate escapes)."""
        headers = self._headers
        if headers is None:
            fields = self._fields
            if isinstance(fields, bytes):
                headers = decode_field_lines(fields)
            else:
                headers = decode_fields(fields)
            self._headers = headers
        return headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The header fields as ``(name, value)`` bytes, as received (values without OWS)."""
        return tuple(
            (name.encode("utf-8", "surrogateescape"), value.encode("utf-8", "surrogateescape"))
            for name, value in self.headers.items()
        )

    def replace(
        self,
        *,
        method: str | None = None,
        target: str | None = None,
        headers: CIMultiDictProxy[str] | None = None,
    ) -> RequestHead:
        """A copy with the method, target or headers replaced."""
        return RequestHead(
            self.method if method is None else method,
            self.target if target is None else target,
            self.version,
            self.headers if headers is None else headers,
            self.keep_alive,
            self.upgrade,
            self.expect,
            self.expect_continue,
            self.chunked,
            self.content_length,
        )

    def _key(self) -> tuple[object, ...]:
        return (
            self.method,
            self.target,
            self.version,
            self.headers,
            self.keep_alive,
            self.upgrade,
            self.expect,
            self.expect_continue,
            self.chunked,
            self.content_length,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RequestHead):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # its headers are not hashable

    def __repr__(self) -> str:
        major, minor = self.version
        return f"<RequestHead {self.method} {self.target!r} HTTP/{major}.{minor}>"


#: What :meth:`ServerParser.next_event` returns; body chunks are plain bytes.
ServerEvent = RequestHead | bytes | EndOfMessage | NeedData | Paused | ConnectionClosed


class ServerParser(Protocol):
    """The interface every server-side HTTP/1.1 parser implements.

    Errors in what the peer sent are raised from :meth:`next_event` as
    :class:`~anyiohttp.http.exceptions.BadHttpMessage` subclasses whose
    ``code`` is the status to answer with.
    """

    def feed(self, data: bytes) -> None:
        """Give the parser bytes read from the peer; ``b""`` means EOF."""

    def next_event(self) -> ServerEvent:
        """Return the next event, or NEED_DATA / PAUSED."""

    def start_next_cycle(self) -> None:
        """After END_OF_MESSAGE and the response, get ready for the next request."""

    @property
    def trailing_data(self) -> bytes:
        """Bytes received past the current request (for a protocol switch)."""

    @property
    def buffered(self) -> int:
        """How many received bytes are waiting to be parsed."""


# -- the client side ------------------------------------------------------------------


class ResponseHead(NamedTuple):
    """A parsed status line with its headers."""

    status: int
    reason: str
    version: HttpVersion
    headers: CIMultiDictProxy[str]
    raw_headers: tuple[tuple[bytes, bytes], ...]
    chunked: bool
    content_length: int | None


class InformationalHead(NamedTuple):
    """A 1xx interim response (``100 Continue``, ``103 Early Hints``)."""

    status: int
    headers: CIMultiDictProxy[str]


ClientEvent = (
    ResponseHead | InformationalHead | bytes | EndOfMessage | NeedData | Paused | ConnectionClosed
)


class ClientParser(Protocol):
    """The interface every client-side HTTP/1.1 parser implements (h11's, httptools').

    One instance serves one connection for its whole life: it serializes the
    requests and parses the responses. Errors in what the server sent are
    raised from :meth:`next_event` as
    :class:`~anyiohttp.http.exceptions.HttpProcessingError` subclasses.
    """

    def set_limits(self, max_line_size: int, max_field_size: int, max_headers: int) -> None:
        """Limits for the next response heads."""

    def request_head(self, method: str, target: str, headers: list[tuple[str, str]]) -> bytes:
        """The request line and headers; ValueError (before anything is sent) when invalid."""

    def request_body(self, data: bytes) -> bytes:
        """``data`` framed as the request head announced (a chunk, or as is)."""

    def request_end(self) -> bytes:
        """What ends the request body (the last chunk, or nothing)."""

    @property
    def request_done(self) -> bool:
        """True once the request was ended."""

    def feed(self, data: bytes) -> None:
        """Give the parser bytes read from the server; ``b""`` means EOF."""

    def next_event(self) -> ClientEvent:
        """The next event: a head, body bytes, END_OF_MESSAGE, NEED_DATA, PAUSED or CLOSED."""

    @property
    def reusable(self) -> bool:
        """True when both messages ended cleanly and the connection may be kept."""

    @property
    def response_started(self) -> bool:
        """True once the final (non-1xx) response head was parsed."""

    def start_next_cycle(self) -> None:
        """Get ready for the next request on a kept connection."""

    @property
    def trailing_data(self) -> bytes:
        """Bytes received past the response (for a protocol switch)."""
