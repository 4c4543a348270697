"""Responses: StreamResponse, Response and json_response.

A response is a small state machine (:class:`ResponseState`): NEW, then
PREPARED for exactly one request (its head is written or waiting to be
written with the first body bytes), then FINISHED after ``write_eof``.
Preparing it for a second request raises RuntimeError: in aiohttp that
silently wrote into the first request's connection.
"""

from __future__ import annotations

import enum
import io
import json
import os
import time
import warnings
from collections.abc import Callable
from contextlib import aclosing
from datetime import datetime
from http import HTTPStatus
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, overload

import anyio
from multidict import CIMultiDict

from .. import hdrs
from ..helpers import (
    ETag,
    format_http_date,
    parse_content_type,
    parse_http_date,
    rfc822_formatted_time,
)
from ..http.compression import brotli_available
from ..http.cookies import partitionable
from ..http.parser import HttpVersion10, HttpVersion11
from ..http.payload import Payload, content_disposition_header, get_payload
from ..http.stream_writer import StreamWriter, compress_whole
from ..http.writer import serialize_head
from .keys import ResponseKey, StateMapping

if TYPE_CHECKING:
    from .request import BaseRequest

__all__ = ("ContentCoding", "Response", "StreamResponse", "json_bytes_response", "json_response")

_T = TypeVar("_T")

SERVER_SOFTWARE: Final = "Python anyiohttp"
# RFC 9110 6.4.1: 1xx, 204 and 304 responses never carry content.
_EMPTY_BODY_STATUS: Final = frozenset({204, 304, *range(100, 200)})


class ContentCoding(enum.Enum):
    """Content codings a response can be compressed with."""

    deflate = "deflate"
    gzip = "gzip"
    br = "br"
    identity = "identity"


class _Framing(NamedTuple):
    """How the body of a prepared response is framed on the wire."""

    no_body: bool
    chunked: bool
    length: int | None
    coding: ContentCoding | None


class ResponseState(enum.Enum):
    """Where a response is in its life."""

    NEW = "new"
    PREPARED = "prepared"
    FINISHED = "finished"


# An enum member looked up on its class costs ~1k instructions on CPython 3.11
# (EnumType's __getattr__ hook): the per-request paths use these names.
_NEW: Final = ResponseState.NEW
_PREPARED: Final = ResponseState.PREPARED
_FINISHED: Final = ResponseState.FINISHED

# HTTPStatus(status) is an enum lookup by value: slow enough to matter per request.
_REASONS: Final = {status.value: status.phrase for status in HTTPStatus}
# The reason and HTTP/1.1 status line of each status a response sent whole may
# have (those with content: see Response._whole_message).
_STATUS_LINES: Final = {
    status.value: (status.phrase, f"HTTP/1.1 {status.value} {status.phrase}\r\n")
    for status in HTTPStatus
    if status.value not in _EMPTY_BODY_STATUS
}
# The Date and Server fields, made once per second: (second, fields).
_date_and_server_cache: tuple[int, str] = (0, "")


def _date_and_server() -> str:
    """The Date and Server fields of a response sent now, serialized."""
    global _date_and_server_cache
    now = int(time.time())
    if _date_and_server_cache[0] != now:
        date = rfc822_formatted_time()
        _date_and_server_cache = (now, f"Date: {date}\r\nServer: {SERVER_SOFTWARE}\r\n")
    return _date_and_server_cache[1]


class _FieldsAsHeaders:
    """``_headers`` of a response that keeps its header fields as text (``_fields``).

    A non-data descriptor: the CIMultiDict it makes from the fields on first
    use is stored as the instance's own ``_headers``, which every later
    lookup finds first (a response built the general way has one from the
    start). A ``__getattr__`` would do the same but make every attribute
    lookup on a response a slow one.
    """

    def __get__(self, response: StreamResponse | None, owner: type[Any]) -> Any:
        if response is None:
            return self
        fields = response._fields
        if fields is None:
            raise AttributeError("_headers")
        headers: CIMultiDict[str] = CIMultiDict()
        for line in fields.split("\r\n"):
            if line:
                name, _, value = line.partition(": ")
                headers.add(name, value)
        response._headers = headers
        response._fields = None
        return headers


class StreamResponse(StateMapping[ResponseKey[Any]]):
    """A response whose body is written piece by piece after :meth:`prepare`.

    ``await resp.prepare(request)`` sends the status line and headers;
    ``await resp.write(data)`` sends body bytes (chunked when no length is
    set on HTTP/1.1); ``await resp.write_eof()`` ends it. Works as a dict to
    carry data between middlewares and signal handlers.
    """

    _send_head_at_prepare = True
    _length_check = True

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: Any = None,
    ) -> None:
        self._init(status, reason, CIMultiDict(headers) if headers else CIMultiDict())

    def _init(self, status: int, reason: str | None, headers: CIMultiDict[str]) -> None:
        """Set up a new response that owns ``headers`` (built by the caller)."""
        self._state_dict: dict[Any, Any] = {}
        self._headers = headers
        self.set_status(status, reason)

    # Defaults as class attributes: a response is built per request, and only
    # what a response changes gets written to it.
    _cookies: SimpleCookie | None = None
    _req: BaseRequest | None = None
    _writer: StreamWriter | None = None
    _state = _NEW
    _keep_alive: bool | None = None
    _chunked = False
    _compression = False
    _compression_force: ContentCoding | None = None
    _compression_level: int | None = None
    _body_length = 0
    # A Response built from text or bytes alone keeps its header fields
    # serialized ("Name: value\r\n" each) instead of in a CIMultiDict, until
    # something asks for them (_headers is then made, see _FieldsAsHeaders);
    # after it was sent whole, they are the fields it was sent with.
    _fields: str | None = None
    if TYPE_CHECKING:
        _headers: CIMultiDict[str]
    else:
        _headers = _FieldsAsHeaders()

    # -- status ----------------------------------------------------------------

    @property
    def status(self) -> int:
        """The status code."""
        return self._status

    @property
    def reason(self) -> str:
        """The reason phrase."""
        return self._reason

    def set_status(self, status: int, reason: str | None = None) -> None:
        """Change the status (and reason) before the response is prepared."""
        if self._state is not _NEW:
            raise RuntimeError("Cannot change the response status after the headers were sent")
        self._status = int(status)
        if reason is None:
            reason = _REASONS.get(self._status, "")
        elif "\r" in reason or "\n" in reason:
            raise ValueError("Reason cannot contain \\r or \\n")
        self._reason = reason

    # -- state -----------------------------------------------------------------

    @property
    def prepared(self) -> bool:
        """True once :meth:`prepare` ran (the head is sent or on its way)."""
        return self._state is not _NEW

    @property
    def keep_alive(self) -> bool | None:
        """Whether the connection stays open after this response (None: as the request says)."""
        return self._keep_alive

    def force_close(self) -> None:
        """Close the connection after this response."""
        self._keep_alive = False

    @property
    def body_length(self) -> int:
        """Body bytes written (after the response finished)."""
        return self._body_length

    @property
    def chunked(self) -> bool:
        """True when chunked encoding was requested."""
        return self._chunked

    @property
    def compression(self) -> bool:
        """True when compression was enabled."""
        return self._compression

    def enable_chunked_encoding(self) -> None:
        """Send the body with chunked transfer coding (HTTP/1.1 only)."""
        if hdrs.CONTENT_LENGTH in self._headers:
            raise RuntimeError("You can't enable chunked encoding when a content length is set")
        self._chunked = True

    def enable_compression(
        self, force: ContentCoding | bool | None = None, strategy: int | None = None
    ) -> None:
        """Compress the body with the best coding the client accepts (or ``force``)."""
        if isinstance(force, bool):
            force = ContentCoding.deflate if force else ContentCoding.identity
            warnings.warn(
                "Using boolean for force is deprecated, use a ContentCoding",
                DeprecationWarning,
                stacklevel=2,
            )
        self._compression = True
        self._compression_force = force

    # -- headers ---------------------------------------------------------------

    @property
    def headers(self) -> CIMultiDict[str]:
        """The response headers (mutable until prepared)."""
        return self._headers

    @property
    def cookies(self) -> SimpleCookie:
        """Cookies to send as Set-Cookie headers."""
        if self._cookies is None:
            self._cookies = SimpleCookie()
        return self._cookies

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        expires: str | None = None,
        domain: str | None = None,
        max_age: int | str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        version: str | None = None,
        samesite: str | None = None,
        partitioned: bool | None = None,
    ) -> None:
        """Set a cookie; the attributes are those of RFC 6265 4.1.1, and Partitioned.

        ``partitioned=True`` adds the Partitioned flag (CHIPS), on every
        Python version (aiohttp's needs Python 3.14's http.cookies).
        """
        cookies = self.cookies
        old = cookies.get(name)
        if old is not None and old.coded_value == "":
            # A deleted cookie being set again: drop the deletion's attributes.
            cookies.pop(name, None)
        cookies[name] = value
        morsel = cookies[name]
        if expires is not None:
            morsel["expires"] = expires
        elif morsel.get("expires") == "Thu, 01 Jan 1970 00:00:00 GMT":
            del morsel["expires"]
        if domain is not None:
            morsel["domain"] = domain
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        elif "max-age" in morsel:
            del morsel["max-age"]
        morsel["path"] = path
        if secure is not None:
            morsel["secure"] = secure
        if httponly is not None:
            morsel["httponly"] = httponly
        if version is not None:
            morsel["version"] = version
        if samesite is not None:
            morsel["samesite"] = samesite
        if partitioned is not None:
            cookies[name] = morsel = partitionable(morsel)
            morsel["partitioned"] = partitioned

    def del_cookie(
        self,
        name: str,
        *,
        domain: str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        samesite: str | None = None,
        partitioned: bool | None = None,
    ) -> None:
        """Tell the client to delete a cookie (empty value, expired).

        A partitioned cookie is deleted with ``partitioned=True`` (browsers
        match it only so); aiohttp 3.14's del_cookie has no such parameter.
        """
        if self._cookies is not None:
            self._cookies.pop(name, None)
        self.set_cookie(
            name,
            "",
            max_age=0,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
            domain=domain,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int, or None."""
        value = self._headers.get(hdrs.CONTENT_LENGTH)
        return int(value) if value is not None else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is not None:
            value = int(value)
            if self._chunked:
                raise RuntimeError("You can't set content length when chunked encoding is enabled")
            self._headers[hdrs.CONTENT_LENGTH] = str(value)
        else:
            self._headers.pop(hdrs.CONTENT_LENGTH, None)

    @property
    def content_type(self) -> str:
        """The mime type of the Content-Type header (``application/octet-stream`` if unset)."""
        return parse_content_type(self._headers.get(hdrs.CONTENT_TYPE))[0]

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.content_type  # noqa: B018 - validates the current header
        self._set_content_type(str(value), self.charset)

    @property
    def charset(self) -> str | None:
        """The charset parameter of the Content-Type header."""
        return parse_content_type(self._headers.get(hdrs.CONTENT_TYPE))[1].get("charset")

    @charset.setter
    def charset(self, value: str | None) -> None:
        ctype = self.content_type
        if ctype == "application/octet-stream":
            raise RuntimeError(
                "Setting charset for application/octet-stream doesn't make sense, "
                "set content_type first"
            )
        self._set_content_type(ctype, value.lower() if value else None)

    def _set_content_type(self, ctype: str, charset: str | None) -> None:
        params = parse_content_type(self._headers.get(hdrs.CONTENT_TYPE))[1]
        params.pop("charset", None)
        if charset:
            params["charset"] = charset
        text = ctype + "".join(f"; {k}={v}" for k, v in params.items())
        self._headers[hdrs.CONTENT_TYPE] = text

    @property
    def last_modified(self) -> datetime | None:
        """The Last-Modified header as a datetime."""
        return parse_http_date(self._headers.get(hdrs.LAST_MODIFIED))

    @last_modified.setter
    def last_modified(self, value: datetime | float | int | str | None) -> None:
        if value is None:
            self._headers.pop(hdrs.LAST_MODIFIED, None)
        else:
            self._headers[hdrs.LAST_MODIFIED] = format_http_date(value)

    @property
    def etag(self) -> ETag | None:
        """The ETag header."""
        value = self._headers.get(hdrs.ETAG)
        if not value:
            return None
        if value == "*":
            return ETag(value="*")
        weak = value.startswith("W/")
        raw = value[2:] if weak else value
        if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            return None
        return ETag(value=raw[1:-1], is_weak=weak)

    @etag.setter
    def etag(self, value: ETag | str | None) -> None:
        if value is None:
            self._headers.pop(hdrs.ETAG, None)
            return
        if isinstance(value, str):
            value = ETag(value=value)
        if value.value == "*":
            self._headers[hdrs.ETAG] = "*"
            return
        if '"' in value.value:
            raise ValueError(f"Invalid etag value {value.value!r}")
        prefix = "W/" if value.is_weak else ""
        self._headers[hdrs.ETAG] = f'{prefix}"{value.value}"'

    # -- sending ---------------------------------------------------------------

    async def prepare(self, request: BaseRequest) -> StreamWriter:
        """Send the status line and headers for ``request``; return the body writer."""
        if self._req is not None:
            if request is not self._req:
                raise RuntimeError(
                    f"{type(self).__name__} was already prepared for another request; "
                    "a response object serves one request, create a new one per request"
                )
            assert self._writer is not None
            return self._writer
        return await self._start(request)

    async def _start(self, request: BaseRequest) -> StreamWriter:
        if request._writer is not None:
            raise RuntimeError(
                "A response was already started for this request; "
                "a request gets exactly one response"
            )
        self._req = request
        self._state = _PREPARED
        try:
            # Before the on_response_prepare signal, which may change or drop them (as aiohttp).
            headers = self._headers
            if hdrs.DATE not in headers:
                headers[hdrs.DATE] = request._server_date()
            headers.setdefault(hdrs.SERVER, SERVER_SOFTWARE)
            if request._response_prepare_hook is not None:
                await request._response_prepare_hook(self)
            framing = self._prepare_headers(request)
            cookies = self._cookie_headers() if self._cookies else None
            version = request._head.version
            first_line = f"HTTP/{version.major}.{version.minor} {self._status} {self._reason}"
            # Serializing validates (CR/LF/NUL is a ValueError): it happens
            # before the request's writer is claimed, so a handler that
            # catches the error can still answer with another response.
            if cookies:
                head = serialize_head(first_line, [*headers.items(), *cookies])
            else:
                head = serialize_head(first_line, headers)
        except BaseException:
            self._req = None
            self._state = _NEW
            raise
        if cookies:
            headers.extend(cookies)
        writer = self._writer = request._make_writer()
        no_body, chunked, length, coding = framing
        if coding is not None:
            writer.enable_compression(coding.value, self._compression_level)
        if chunked:
            writer.enable_chunking()
        writer.length = length
        writer.set_head(head, no_body=no_body)
        if self._send_head_at_prepare:
            await writer.flush_head()
        return writer

    def _cookie_headers(self) -> list[tuple[str, str]]:
        """The Set-Cookie headers for :attr:`cookies`."""
        if not self._cookies:
            return []
        return [(hdrs.SET_COOKIE, morsel.OutputString()) for morsel in self._cookies.values()]

    def _prepare_headers(self, request: BaseRequest) -> _Framing:
        """Fill in framing and Connection headers; return how the writer frames the body.

        Touches no writer: the request's writer is only claimed once the
        head is known to be valid.
        """
        headers = self._headers
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = request._conn.response_keep_alive(request)
        version = request._head.version
        no_body = self._status in _EMPTY_BODY_STATUS or request._head.method == hdrs.METH_HEAD
        coding = self._start_compression(request) if self._compression else None
        chunked = False
        length: int | None = None
        if self._chunked:
            if version != HttpVersion11:
                raise RuntimeError(
                    f"Using chunked encoding is forbidden for HTTP/{version.major}.{version.minor}"
                )
            if not no_body:
                chunked = True
                headers[hdrs.TRANSFER_ENCODING] = "chunked"
        elif self._length_check:
            length = self.content_length
            if length is None and not no_body:
                if version >= HttpVersion11:
                    chunked = True
                    headers[hdrs.TRANSFER_ENCODING] = "chunked"
                else:
                    keep_alive = False  # HTTP/1.0: the close ends the body
        if no_body:
            if self._status in _EMPTY_BODY_STATUS:
                headers.pop(hdrs.CONTENT_LENGTH, None)
            headers.pop(hdrs.TRANSFER_ENCODING, None)
        elif length != 0 or not self._length_check:
            headers.setdefault(hdrs.CONTENT_TYPE, "application/octet-stream")
        if hdrs.CONNECTION not in headers:
            if keep_alive:
                if version == HttpVersion10:
                    headers[hdrs.CONNECTION] = "keep-alive"
            elif version == HttpVersion11:
                headers[hdrs.CONNECTION] = "close"
        self._keep_alive = keep_alive
        return _Framing(no_body, chunked, length, coding)

    def _coding_for(self, request: BaseRequest) -> ContentCoding | None:
        """The forced coding, else the first of deflate, gzip the client names (as aiohttp).

        br is used when forced (``enable_compression(ContentCoding.br)``).
        """
        coding = self._compression_force
        if coding is None:
            accept = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
            for candidate in (ContentCoding.deflate, ContentCoding.gzip):
                if candidate.value in accept:
                    return candidate
        if coding is ContentCoding.br and not brotli_available():
            return None
        return coding

    def _start_compression(self, request: BaseRequest) -> ContentCoding | None:
        """Set the headers for streamed compression; the coding the writer is to use."""
        coding = self._coding_for(request)
        if coding is None or coding is ContentCoding.identity:
            return None
        self._headers[hdrs.CONTENT_ENCODING] = coding.value
        self._headers.pop(hdrs.CONTENT_LENGTH, None)
        if request.version >= HttpVersion11:
            self._chunked = True
        else:
            self._keep_alive = False
        return coding

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send body bytes (after :meth:`prepare`)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        if self._state is _FINISHED:
            raise RuntimeError("Cannot call write() after write_eof()")
        if self._writer is None:
            raise RuntimeError("Cannot call write() before prepare()")
        await self._writer.write(data)

    async def drain(self) -> None:
        """Kept for aiohttp compatibility; writes already wait for the socket."""
        if self._writer is None:
            raise RuntimeError("Response has not been started")

    async def write_eof(self, data: bytes = b"") -> None:
        """Finish the response, sending ``data`` as its last bytes."""
        if self._state is _FINISHED:
            return
        if self._writer is None:
            raise RuntimeError("Response has not been started")
        await self._writer.write_eof(data)
        self._state = _FINISHED
        self._body_length = self._writer.output_size

    # -- the dict interface (StateMapping), typed ----------------------------------

    @overload
    def __getitem__(self, key: ResponseKey[_T]) -> _T: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    def __getitem__(self, key: str | ResponseKey[_T]) -> Any:
        return self._state_dict[key]

    def __repr__(self) -> str:
        if self._req is not None:
            info = f"{self._req.method} {self._req.path} "
        else:
            info = "not prepared"
        return f"<{type(self).__name__} {self._reason} {info}>"


class Response(StreamResponse):
    """A response whose body is given up front: bytes, text, a file or an async iterable.

    A bytes or text body goes out with the head in one send when the handler
    returns it; a file or an async iterable is streamed (chunked when its
    size is unknown).
    """

    _send_head_at_prepare = False
    _body: bytes | None = None
    _compressed_body: bytes | None = None  # set when prepare() compresses it whole
    _payload: Payload | None = None

    def __init__(
        self,
        *,
        body: Any = None,
        status: int = 200,
        reason: str | None = None,
        text: str | None = None,
        headers: Any = None,
        content_type: str | None = None,
        charset: str | None = None,
        zlib_executor_size: int | None = None,
        zlib_executor: Any = None,
    ) -> None:
        if not headers:
            fields = _plain_fields(body, text, content_type, charset)
            if fields is not None:  # the common response: no CIMultiDict until asked
                self._fields = fields
                self._state_dict = {}
                if reason is None and type(status) is int:  # set_status, inline
                    self._status = status
                    self._reason = _REASONS.get(status, "")
                else:
                    self.set_status(status, reason)
                self._body = body if text is None else text.encode(charset or "utf-8")
                return
        if body is not None and text is not None:
            raise ValueError("body and text are not allowed together")
        real_headers: CIMultiDict[str] = CIMultiDict(headers) if headers else CIMultiDict()
        if content_type is not None and "charset" in content_type:
            raise ValueError("charset must not be in content_type argument")
        text_charset: str | None = None  # known when we built Content-Type ourselves
        if text is not None:
            if hdrs.CONTENT_TYPE in real_headers:
                if content_type or charset:
                    raise ValueError(
                        "passing both Content-Type header and content_type or charset params "
                        "is forbidden"
                    )
            else:
                if not isinstance(text, str):
                    raise TypeError(f"text argument must be str ({type(text)!r})")
                real_headers[hdrs.CONTENT_TYPE] = (
                    f"{content_type or 'text/plain'}; charset={charset or 'utf-8'}"
                )
                text_charset = charset or "utf-8"
        elif hdrs.CONTENT_TYPE in real_headers:
            if content_type is not None or charset is not None:
                raise ValueError(
                    "passing both Content-Type header and content_type or charset params "
                    "is forbidden"
                )
        elif content_type is not None:
            if charset is not None:
                content_type += "; charset=" + charset
            real_headers[hdrs.CONTENT_TYPE] = content_type
        self._init(status, reason, real_headers)  # built here: no second copy
        if text_charset is not None:
            # the common case, without re-parsing the header we just built
            self._body = text.encode(text_charset)  # type: ignore[union-attr]
        elif text is not None:
            self.text = text
        else:
            self.body = body

    @property
    def body(self) -> bytes | None:
        """The body bytes (None for no body)."""
        return self._body

    @body.setter
    def body(self, body: Any) -> None:
        if body is None:
            self._body = None
        elif isinstance(body, bytes):
            self._body = body
        elif isinstance(body, bytearray | memoryview):
            self._body = bytes(body)
        elif isinstance(body, str):
            charset = self.charset or "utf-8"
            if hdrs.CONTENT_TYPE not in self._headers:
                self._headers[hdrs.CONTENT_TYPE] = f"text/plain; charset={charset}"
            self._body = body.encode(charset)
        else:
            try:
                payload = get_payload(body)
            except TypeError:
                # ValueError and this message start as aiohttp's.
                raise ValueError(
                    f"Unsupported body type {type(body)!r}: use bytes, str, a file "
                    "object or an async iterable of bytes"
                ) from None
            self._body = None
            self._payload = payload
            headers = self._headers
            if hdrs.CONTENT_TYPE not in headers:
                if isinstance(body, io.TextIOBase):
                    # A text file is sent UTF-8 encoded, whatever its name (as aiohttp).
                    headers[hdrs.CONTENT_TYPE] = "text/plain; charset=utf-8"
                elif payload.content_type:
                    headers[hdrs.CONTENT_TYPE] = payload.content_type
            filename = _file_name(body)
            if filename is not None and hdrs.CONTENT_DISPOSITION not in headers:
                # As aiohttp: a named file is offered as a download of that name.
                headers[hdrs.CONTENT_DISPOSITION] = content_disposition_header(
                    "attachment", filename=filename
                )
            for name, value in payload.headers.items():
                headers.setdefault(name, value)

    @property
    def text(self) -> str | None:
        """The body decoded with the response charset."""
        if self._body is None:
            return None
        return self._body.decode(self.charset or "utf-8")

    @text.setter
    def text(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text argument must be str ({type(text)!r})")
        if self.content_type == "application/octet-stream":
            self._headers[hdrs.CONTENT_TYPE] = "text/plain"
        if self.charset is None:
            self.charset = "utf-8"
        self._body = text.encode(self.charset or "utf-8")

    @property
    def content_length(self) -> int | None:
        """The body length (or an explicit Content-Length header)."""
        if hdrs.CONTENT_LENGTH in self._headers:
            return super().content_length
        if self._compressed_body is not None:
            return len(self._compressed_body)
        if self._body is not None:
            return len(self._body)
        if self._payload is not None:
            return self._payload.size
        return 0

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        raise RuntimeError("Content length is set automatically")

    async def _start(self, request: BaseRequest) -> StreamWriter:
        if self._compression and self._payload is None and not self._chunked and self._body:
            # The whole body is here: compress it now and send its length (as aiohttp).
            self._compression = False
            coding = self._coding_for(request)
            if coding is not None and coding is not ContentCoding.identity:
                body, level = self._body, self._compression_level
                if len(body) > _COMPRESS_IN_THREAD:
                    body = await anyio.to_thread.run_sync(compress_whole, coding.value, body, level)
                else:
                    body = compress_whole(coding.value, body, level)
                self._compressed_body = body  # .body keeps what the handler gave
                self._headers[hdrs.CONTENT_ENCODING] = coding.value
                self._headers.pop(hdrs.CONTENT_LENGTH, None)
        # With streamed compression the length is unknown until the end:
        # framing is chosen in _start_compression instead.
        if not (self._chunked or self._compression) and hdrs.CONTENT_LENGTH not in self._headers:
            length = self.content_length
            if length is not None:
                self._headers[hdrs.CONTENT_LENGTH] = str(length)
        return await super()._start(request)

    def _whole_message(self, request: BaseRequest) -> bytes | None:
        """The head and body of the common response in one piece, the response then sent.

        For a Response made of a text or bytes body whose headers nothing
        asked for (see ``_fields``), with content, no cookies, compression
        or chunking, to an HTTP/1.1 request without on_response_prepare
        receivers: the bytes :meth:`prepare` and :meth:`write_eof` would
        send, made without a CIMultiDict. The response and the request's
        writer are left as they leave them; the caller sends the bytes with
        ``writer.write_whole``. None for any other response.
        """
        fields = self._fields
        if (
            fields is None
            or self._req is not None
            or self._cookies
            or self._compression
            or self._chunked
            or request._writer is not None
            or request._response_prepare_hook is not None
        ):
            return None
        head = request._head
        line = _STATUS_LINES.get(self._status)
        if (
            line is None
            or line[0] != self._reason
            or head.version is not HttpVersion11
            or head.method == hdrs.METH_HEAD
        ):
            return None
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = request._conn.response_keep_alive(request)
        body = self._body or b""
        # The fields in the order prepare() sets them.
        length = f"Content-Length: {len(body)}\r\n{_date_and_server()}"
        if not fields and body:
            fields = length + "Content-Type: application/octet-stream\r\n"
        else:
            fields += length
        if not keep_alive:
            fields += "Connection: close\r\n"
        self._writer = request._make_writer()
        self._req = request
        self._state = _FINISHED
        self._keep_alive = keep_alive
        self._fields = fields
        message = f"{line[1]}{fields}\r\n".encode() + body
        self._body_length = len(message)
        return message

    async def write_eof(self, data: bytes = b"") -> None:
        """Finish the response: send the body (with the head) in one go."""
        if self._state is _FINISHED:
            return
        if self._payload is not None and self._writer is not None:
            async with aclosing(self._payload.iter_chunks()) as chunks:
                async for chunk in chunks:
                    await self._writer.write(chunk)
        body = self._compressed_body if self._compressed_body is not None else self._body or b""
        await super().write_eof(body + data if data else body)


def _plain_fields(
    body: Any, text: str | None, content_type: str | None, charset: str | None
) -> str | None:
    """The header fields of a Response made of a text or bytes body alone, serialized.

    None for any other (the general path of ``Response.__init__`` builds
    those, and raises for bad arguments). Only a Content-Type that is
    printable (no CR, LF or NUL to validate when it is sent) is kept so.
    """
    if text is not None:
        if body is not None or type(text) is not str:
            return None
        ctype = f"{content_type or 'text/plain'}; charset={charset or 'utf-8'}"
    elif type(body) is bytes:
        if content_type is None:
            return "" if charset is None else None
        ctype = content_type if charset is None else f"{content_type}; charset={charset}"
    else:
        return None
    if content_type is not None or charset is not None:
        if (content_type is not None and "charset" in content_type) or not ctype.isprintable():
            return None
    return f"Content-Type: {ctype}\r\n"


def _file_name(body: Any) -> str | None:
    """The base name of an open file (None for in-memory ones, ``<stdin>``, a bare fd)."""
    if not isinstance(body, io.IOBase):
        return None
    name = getattr(body, "name", None)
    if not isinstance(name, str) or not name or name[0] == "<" or name[-1] == ">":
        return None
    return os.path.basename(name)


_NO_DATA: Final[Any] = object()
# Bodies larger than this are compressed in a worker thread, off the event loop.
_COMPRESS_IN_THREAD: Final = 1024 * 1024


def json_response(
    data: Any = _NO_DATA,
    *,
    text: str | None = None,
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: Any = None,
    content_type: str = "application/json",
    dumps: Callable[[Any], str] = json.dumps,
) -> Response:
    """A Response with ``data`` serialized as JSON (or ready ``text``/``body``).

    ``json_response(None)`` is ``null``, as in aiohttp; with no data at all the body is empty.
    """
    if data is not _NO_DATA:
        if text or body:
            raise ValueError("only one of data, text, or body should be specified")
        text = dumps(data)
    return Response(
        text=text,
        body=body,
        status=status,
        reason=reason,
        headers=headers,
        content_type=content_type,
    )


def json_bytes_response(
    data: Any = None,
    *,
    dumps: Callable[[Any], bytes],
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: Any = None,
    content_type: str = "application/json",
) -> Response:
    """A JSON Response from an encoder that returns bytes (orjson and the like)."""
    if data is not None:
        if body is not None:
            raise ValueError("only one of data or body should be specified")
        body = dumps(data)
    return Response(
        body=body, status=status, reason=reason, headers=headers, content_type=content_type
    )
