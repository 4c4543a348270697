"""ClientResponse: status, headers, and a body pulled from the pooled connection.

The body is a :class:`~anyiohttp.http.streams.StreamReader` whose source
reads the connection only when the application reads the body. When the body
ends, the connection goes back to the pool; a response released before its
end closes its connection instead (it is out of step).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Awaitable, Callable, Generator, Sequence
from http.cookies import CookieError, SimpleCookie
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final, NamedTuple
from urllib.parse import unquote

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from .. import hdrs
from ..helpers import ContentTypeMixin, parse_content_type
from ..http.compression import DECODABLE, DecodingSource, brotli_available
from ..http.exceptions import ContentEncodingError
from ..http.parser import HttpVersion, ResponseHead
from ..http.streams import StreamReader
from .exceptions import (
    ClientConnectionError,
    ClientPayloadError,
    ClientResponseError,
    ContentTypeError,
    RequestInfo,
)
from .exchange import BodyEnd, Upload
from .tracing import Trace, TraceResponseChunkReceivedParams

if TYPE_CHECKING:
    from .connector import Connection
    from .exchange import HTTP11Exchange

__all__ = ("ClientResponse", "ContentDisposition")


def _utf8(response: ClientResponse, body: bytes) -> str:
    return "utf-8"


class ContentDisposition(NamedTuple):
    """A parsed Content-Disposition header: its type, parameters and filename."""

    type: str | None
    parameters: MappingProxyType[str, str]
    filename: str | None


def _parse_disposition(value: str) -> ContentDisposition:
    kind, params = parse_content_type(value)
    for key in [k for k in params if k.endswith("*")]:
        # RFC 6266 / 8187: filename*=charset'language'percent-encoded
        charset, sep, rest = params[key].partition("'")
        if sep:
            _, _, encoded = rest.partition("'")
            try:
                params[key] = unquote(encoded, charset or "utf-8", "strict")
            except (LookupError, UnicodeDecodeError):
                del params[key]  # an unknown charset or bad octets: no such parameter
    filename = params.get("filename*") or params.get("filename")
    return ContentDisposition(kind or None, MappingProxyType(params), filename)


class _Done:
    """An awaitable that is already done."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # a generator, never resumed


_DONE: Final = _Done()


class ClientResponse(ContentTypeMixin):
    """A response to a client request; use it as ``async with`` or read its body.

    The response owns its connection until the body was read to its end
    (the connection then goes back to the pool), or until it is released or
    closed. Leaving its ``async with`` block releases it: a body not read
    to the end closes the connection rather than reusing it, and the block
    waits for an upload still running. A task cancelled while reading the
    body leaves the connection closed.
    """

    def __init__(
        self,
        method: str,
        url: URL,
        head: ResponseHead,
        exchange: HTTP11Exchange | None,
        request_info: RequestInfo,
        history: Sequence[ClientResponse] = (),
        traces: Sequence[Trace] = (),
        auto_decompress: bool = True,
        read_bufsize: int = 2**16,
        fallback_charset: Callable[[ClientResponse, bytes], str] | None = None,
        read_until_eof: bool = True,
    ) -> None:
        self.method = method
        self._url = url.with_fragment(None) if url.raw_fragment else url
        self._real_url = url
        self._head = head
        # The exchange that reads the body, while the response holds its connection.
        self._exchange = exchange
        # The same, kept for what the request sent (output_size).
        self._sent_by = exchange
        # The request body's upload task; None when the body went with the head
        # (or there was none). Reads and exits wait for it, as aiohttp's.
        self._upload = exchange.upload if exchange is not None else None
        self._request_info = request_info
        self._history = tuple(history)
        self._traces = traces
        self._body: bytes | None = None
        self._released = False
        self._fallback_charset = fallback_charset or _utf8
        # Inside ``async with``: its exit releases, so raise_for_status() need not.
        self._in_context = False
        self._closed = exchange is None
        encoding = head.headers.get(hdrs.CONTENT_ENCODING, "").lower().strip()
        # Decodes the body in bounded steps (as the server decodes request
        # bodies). It refers back to this response: dropped once the body
        # ended or the connection went, so no reference cycle outlives it.
        self._decoding: DecodingSource | None = None
        self._held = b""  # a chunk whose trace callbacks were interrupted
        self._arrived = b""  # what of the body came with the head, not yet read
        if auto_decompress and encoding in DECODABLE:
            if encoding != "br" or brotli_available():
                self._decoding = DecodingSource(self._next_data, encoding)
        no_body = method == "HEAD" or head.status in (204, 304) or 100 <= head.status < 200
        # As aiohttp: read_until_eof=False takes a body that only the server's
        # close would end (no Content-Length, not chunked) as empty.
        unread = not read_until_eof and head.content_length is None and not head.chunked
        self.content = StreamReader(self._read_chunk, limit=read_bufsize)
        if no_body or exchange is None or unread:
            self.content.feed_eof()
            if exchange is None:
                pass
            elif head.status == 101:
                # The connection switched protocols: kept for whoever takes it
                # over when the server says to what (``Upgrade``), else closed.
                if hdrs.UPGRADE not in head.headers:
                    self._close_connection()
            elif not no_body:
                self._close_connection()  # the body left unread: out of step
            elif exchange.end_empty_body():
                self._finish_body()
            else:
                self._close_connection()
        elif self._decoding is None:
            # As aiohttp: what of the body came with the head is taken now
            # (no read), and a body that came whole is done with its connection
            # (closed, pooled) before anything reads it.
            arrived = exchange.arrived_body()
            if arrived is not None:
                self._arrived = arrived
                if exchange.body_end is BodyEnd.COMPLETE:
                    self._finish_body()
                elif not arrived:  # the server closed a close-delimited body already
                    self._close_connection()

    # -- the head -------------------------------------------------------------------

    @property
    def status(self) -> int:
        """The status code."""
        return self._head.status

    @property
    def reason(self) -> str:
        """The reason phrase."""
        return self._head.reason

    @property
    def ok(self) -> bool:
        """True for a status below 400."""
        return self._head.status < 400

    @property
    def version(self) -> HttpVersion:
        """The response's HTTP version."""
        return self._head.version

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The response headers."""
        return self._head.headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The headers as received."""
        return self._head.raw_headers

    @property
    def url(self) -> URL:
        """The URL of the request (without the fragment)."""
        return self._url

    @property
    def real_url(self) -> URL:
        """The URL as requested (with the fragment)."""
        return self._real_url

    @property
    def host(self) -> str:
        """The host of the URL."""
        return self._url.host or ""

    @property
    def request_info(self) -> RequestInfo:
        """What was requested."""
        return self._request_info

    @property
    def history(self) -> tuple[ClientResponse, ...]:
        """The redirect responses that led here, oldest first."""
        return self._history

    @property
    def connection(self) -> Connection | None:
        """The connection, until the response is released."""
        return self._exchange.conn if self._exchange is not None else None

    @property
    def closed(self) -> bool:
        """True once the connection was released or closed."""
        return self._closed

    @property
    def output_size(self) -> int:
        """How many bytes of the request were written so far (head, framing and body)."""
        return self._sent_by.output_size if self._sent_by is not None else 0

    @property
    def upload_complete(self) -> Upload:
        """Awaitable: done once the request body was sent (or its upload failed or stopped).

        ``done()`` tells without waiting. The response head may come while the
        body still goes out (a server that answers early, a body that waits on
        the response).
        """
        upload = self._upload
        return upload if upload is not None else Upload.completed()

    @property
    def cookies(self) -> SimpleCookie:
        """The cookies this response sets."""
        cookies: SimpleCookie = SimpleCookie()
        for header in self._head.headers.getall(hdrs.SET_COOKIE, ()):
            try:
                cookies.load(header)
            except CookieError:
                continue
        return cookies

    @property
    def content_length(self) -> int | None:
        """The Content-Length header."""
        return self._head.content_length

    @property
    def content_disposition(self) -> ContentDisposition | None:
        """The Content-Disposition header parsed (type, parameters, filename), or None."""
        value = self._head.headers.get(hdrs.CONTENT_DISPOSITION)
        return None if value is None else _parse_disposition(value)

    @property
    def links(self) -> MultiDictProxy[MultiDictProxy[str | URL]]:
        """The Link header parsed by rel (RFC 8288)."""
        links: MultiDict[MultiDictProxy[str | URL]] = MultiDict()
        for value in self._head.headers.getall(hdrs.LINK, ()):
            for part in _split_links(value):
                target, _, params = part.partition(";")
                target = target.strip()
                if not (target.startswith("<") and target.endswith(">")):
                    continue
                link: MultiDict[str | URL] = MultiDict()
                for param in params.split(";"):
                    key, sep, val = param.partition("=")
                    if sep:
                        link.add(key.strip().lower(), val.strip().strip('"'))
                url = self._url.join(URL(target[1:-1]))
                link.add("url", url)
                key = str(link.get("rel", url))
                links.add(key, MultiDictProxy(link))
        return MultiDictProxy(links)

    def get_encoding(self) -> str:
        """The codec to decode the body with, as aiohttp picks it.

        The Content-Type's charset (as its codec name); UTF-8 for JSON;
        otherwise the session's ``fallback_charset_resolver(response, body)``
        (UTF-8 by default), which needs the body read first (RuntimeError if not).
        """
        charset = self.charset
        if charset:
            try:
                return codecs.lookup(charset).name
            except LookupError:
                pass
        if self.content_type in ("application/json", "application/rdap+json"):
            return "utf-8"  # RFC 8259 8.1
        if self._body is None:
            raise RuntimeError("Cannot compute fallback encoding of a not yet read body")
        return self._fallback_charset(self, self._body)

    def __repr__(self) -> str:
        """As aiohttp's: the status line, then the headers on a line of their own."""
        reason = self.reason.encode("ascii", "backslashreplace").decode("ascii")
        return f"<ClientResponse({self._url}) [{self.status} {reason}]>\n{self.headers!r}\n"

    # -- the body -------------------------------------------------------------------

    async def _read_chunk(self) -> bytes:
        """The body source: decoded bytes from the connection, b"" at the end."""
        held = self._held
        if held:
            self._held = b""
            return held
        decoding = self._decoding
        try:
            # Without a decoder (none, or dropped at the end): the body as it comes.
            data = await (decoding() if decoding is not None else self._next_data())
        except ContentEncodingError as exc:
            self._close_connection()
            raise ClientPayloadError(exc.message) from exc
        if data and self._traces:
            params = TraceResponseChunkReceivedParams(self.method, self._url, data)
            try:
                for trace in self._traces:
                    await trace.send("on_response_chunk_received", params)
            except BaseException:
                # The chunk left the connection already: a read cancelled in a
                # callback must not lose it, the next read gets it.
                self._held = data
                raise
        return data

    async def _next_data(self) -> bytes:
        """The next bytes of the body as the connection delivers them, b"" at its end."""
        arrived = self._arrived
        if arrived:
            self._arrived = b""
            return arrived
        exchange = self._exchange
        if exchange is None:
            return b""
        try:
            data = await exchange.receive_body()
        except Exception:
            self._close_connection()  # a broken body or a timeout: out of step
            raise
        if not data:
            if exchange.body_end is BodyEnd.COMPLETE:
                self._finish_body()
            else:  # the server closed a close-delimited body, or switched protocols
                self._close_connection()
        elif exchange.body_end is BodyEnd.COMPLETE and self._decoding is None:
            self._finish_body()  # the last bytes: done now, not at the next read
        return data

    def _detach_connection(self) -> Connection | None:
        """Take the connection away (it switches protocols: no body, no pool)."""
        exchange, self._exchange = self._exchange, None
        self._closed = True
        return exchange.conn if exchange is not None else None

    def _finish_body(self) -> None:
        """The body ended: the connection goes back to the pool (once the upload ended too)."""
        exchange = self._exchange
        if exchange is not None:
            self._exchange = None
            exchange.release()
        self._closed = True
        self._decoding = None  # nothing is pending in it when the body ends

    def _close_connection(self) -> None:
        exchange = self._exchange
        if exchange is not None:
            self._exchange = None
            exchange.close()
        self._closed = True
        self._decoding = None
        # Nothing more comes (what is buffered can still be read); this also
        # ends the stream's reference to this response.
        self.content.feed_eof()

    async def read(self) -> bytes:
        """The whole body (cached after the first call).

        As aiohttp: once the response was released or closed, this raises
        ClientConnectionError("Connection closed") (``text()`` and ``json()``
        still use a body read before). A read that failed or was cancelled
        closes the response, so a later one raises too.
        """
        if self._body is None:
            try:
                self._body = await self.content.read()
                if self._upload is not None:
                    await self._upload  # as aiohttp: the request is all out too
            except BaseException:
                # As aiohttp: the response is closed, and what was read of the
                # body stays unread: reading again raises ClientConnectionError
                # (or the error that cut the body short), never passes what
                # arrived before a cancellation off as the whole body.
                self.close()
                raise
        elif self._released:
            raise ClientConnectionError("Connection closed")
        return self._body

    async def _cached_body(self) -> bytes:
        body = self._body
        if body is None:
            body = await self.read()
        return body

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """The body decoded (with ``encoding``, or the response's charset)."""
        body = await self._cached_body()
        return body.decode(encoding or self.get_encoding(), errors=errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = json.loads,
        content_type: str | None = "application/json",
    ) -> Any:
        """The body parsed as JSON; a body of another content type raises ContentTypeError.

        ``content_type=None`` skips the check. An empty body gives None.
        """
        body = await self._cached_body()
        ctype = self._head.headers.get(hdrs.CONTENT_TYPE, "").lower()
        if content_type and not _is_expected(ctype, content_type):
            raise ContentTypeError(
                self._request_info,
                self._history,
                status=self.status,
                message=f"Attempt to decode JSON with unexpected mimetype: {ctype}",
                headers=self.headers,
            )
        if not body.strip():
            return None
        return loads(body.decode(encoding or self.get_encoding()))

    def release(self) -> Awaitable[None]:
        """Done with the response: unread body means the connection is closed.

        Returns an awaitable that does nothing, so ``await resp.release()``
        (aiohttp's old spelling) works too.

        Reading ``content`` afterwards raises ClientConnectionError, as in
        aiohttp: what was not read is gone, and a silent short body would hide it.
        """
        if self._released:
            return _DONE
        self._mark_released()
        if self._exchange is not None:
            if self.content.is_eof():
                self._finish_body()
            else:
                self._close_connection()
        return _DONE

    def close(self) -> None:
        """Close the connection (whatever was read); reading afterwards raises."""
        if not self._released:
            self._mark_released()
        self._close_connection()
        if self._upload is not None:
            # Stopped even when the body ended first (the connection then
            # waits for it, and is closed: the request was cut short).
            self._upload.cancel()

    def _mark_released(self) -> None:
        self._released = True
        if self.content.exception() is None:
            self.content.set_exception(ClientConnectionError("Connection closed"))

    async def wait_for_close(self) -> None:
        """Wait until the request body went out, then release (as aiohttp).

        An unread body is not read: its connection is closed.
        """
        if self._upload is not None:
            await self._upload
        self.release()

    def raise_for_status(self) -> None:
        """Raise ClientResponseError for a 4xx or 5xx status."""
        if self.status >= 400:
            if not self._in_context:
                # Outside ``async with`` nothing else would release it; inside,
                # the block's exit does, and the body can still be read for a
                # message in between (as aiohttp).
                self.release()
            raise ClientResponseError(
                self._request_info,
                self._history,
                status=self.status,
                message=self.reason,
                headers=self.headers,
            )

    async def __aenter__(self) -> ClientResponse:
        self._in_context = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._in_context = False
        self.release()
        if self._upload is not None:
            await self._upload


# application/json and application/<something>+json (parameters may follow), as aiohttp.
_JSON_TYPE: Final = re.compile(r"application/(?:[\w.+-]+?\+)?json")


def _is_expected(actual: str, expected: str) -> bool:
    """``actual`` is the whole Content-Type value, lower-cased."""
    if expected == "application/json":
        return _JSON_TYPE.match(actual) is not None
    return expected in actual


def _split_links(value: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, char in enumerate(value):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth -= 1
        elif char == "," and not quoted and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return [p.strip() for p in parts if p.strip()]
