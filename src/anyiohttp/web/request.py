"""Requests as handlers see them: BaseRequest and Request.

A request is built by the connection loop from a parsed head; everything
else (URL, query, cookies, content type) is computed on first use and
cached. The body is a pulled :class:`~anyiohttp.http.streams.StreamReader`:
nothing is read from the socket until the handler asks for it.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload
from urllib.parse import parse_qsl

import anyio
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from .. import hdrs
from ..helpers import ContentTypeMixin, ETag, parse_http_date, reify, rfc822_formatted_time
from ..http.cookies import COOKIE_NAME, unquote_cookie_value
from ..http.parser import HttpVersion, RequestHead
from ..http.stream_writer import StreamWriter
from ..http.streams import EMPTY_PAYLOAD, StreamReader
from .exceptions import HTTPRequestEntityTooLarge
from .keys import RequestKey, StateMapping

if TYPE_CHECKING:
    from anyio.abc import ByteStream

    from ..http.multipart import MultipartReader
    from ..http.websocket import WebSocketEngine
    from .app import Application
    from .response import StreamResponse
    from .routing import UrlMappingMatchInfo

__all__ = ("BaseRequest", "ConnectionInfo", "Request")

_T = TypeVar("_T")

DEFAULT_CLIENT_MAX_SIZE: Final = 1024**2
#: The most form fields ``post()`` parses (as aiohttp 3.14); 0 means no limit.
DEFAULT_CLIENT_MAX_FIELDS: Final = 1000


class ConnectionInfo:
    """The connection a request came on: the one handle a request holds to it.

    ``request.transport`` is this object: ``get_extra_info`` answers the
    asyncio-transport keys aiohttp code uses (``peername``, ``sockname``,
    ``ssl_object``, ``sslcontext``) on both backends, ``is_closing`` says
    whether the connection ends after this response. Responses get their
    writer from it, and a WebSocket takes the stream over through it.

    This base is a request with no connection (a clone made without one,
    or a request built by hand): it cannot be answered. The server's
    connection (``web/server.py``) and ``make_mocked_request``'s subclass it.
    """

    __slots__ = ("peername", "sockname", "ssl_object")

    def __init__(
        self,
        *,
        peername: Any = None,
        sockname: Any = None,
        ssl_object: Any = None,
    ) -> None:
        self.peername = peername
        self.sockname = sockname
        self.ssl_object = ssl_object

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Return connection details by their asyncio transport names."""
        if name == "peername":
            return self.peername
        if name == "sockname":
            return self.sockname
        if name == "ssl_object":
            return self.ssl_object
        if name == "sslcontext":
            return getattr(self.ssl_object, "context", default)
        if name == "peercert" and self.ssl_object is not None:
            return self.ssl_object.getpeercert()
        return default

    def is_closing(self) -> bool:
        """True once the connection is closing or closed."""
        return False

    def handler_scope(self, scope: anyio.CancelScope, ticket: int) -> anyio.CancelScope:
        """The cancel scope of this connection's request ``ticket``, which was given ``scope``."""
        return scope

    # -- what requests and responses ask of the connection -------------------------

    def new_writer(self) -> StreamWriter:
        """The writer of the request's one response (claimed by ``prepare()``)."""
        raise RuntimeError("This request has no connection to write a response to")

    def response_keep_alive(self, request: BaseRequest) -> bool:
        """Whether the response may promise to keep the connection open."""
        return request.keep_alive

    async def take_over(self) -> tuple[ByteStream, bytes]:
        """Hand the stream to a new protocol, with the bytes read past the request."""
        raise RuntimeError("WebSocketResponse needs a request that came over a connection")

    def adopt_websocket(self, websocket: WebSocketEngine) -> None:
        """Run ``websocket``'s tasks in the connection's task group."""
        raise RuntimeError("WebSocketResponse needs a request that came over a connection")


#: The connection of a request that has none.
_NO_CONNECTION: Final = ConnectionInfo()


class BaseRequest(ContentTypeMixin, StateMapping[RequestKey[Any]]):
    """An HTTP request: head, lazily parsed details, the body stream.

    Works as a dict to carry data between middlewares and the handler.
    """

    POST_METHODS: Final = frozenset(
        {hdrs.METH_PATCH, hdrs.METH_POST, hdrs.METH_PUT, hdrs.METH_TRACE, hdrs.METH_DELETE}
    )

    def __init__(
        self,
        head: RequestHead,
        payload: StreamReader,
        conn: ConnectionInfo | None = None,
        secure: bool = False,
        *,
        client_max_size: int = DEFAULT_CLIENT_MAX_SIZE,
        client_max_fields: int = DEFAULT_CLIENT_MAX_FIELDS,
        state: dict[Any, Any] | None = None,
        scheme: str | None = None,
        host: str | None = None,
        remote: str | None = None,
    ) -> None:
        # One request per request: only what differs from the class defaults
        # below is set here (attribute writes are the cost of a small object).
        # The server makes it with positional arguments (cheaper).
        self._head = head
        self._payload = payload
        self._conn = conn if conn is not None else _NO_CONNECTION
        if client_max_size != DEFAULT_CLIENT_MAX_SIZE:
            self._client_max_size = client_max_size
        if client_max_fields != DEFAULT_CLIENT_MAX_FIELDS:
            self._client_max_fields = client_max_fields
        self._state_dict = {} if state is None else state
        self._cache: dict[str, Any] = {}
        if scheme is not None or secure:
            self._scheme = scheme if scheme is not None else "https"
        if host is not None:
            self._host_override = host
        if remote is not None:
            self._remote_override = remote

    _scheme = "http"
    _client_max_size: int = DEFAULT_CLIENT_MAX_SIZE
    _host_override: str | None = None
    _remote_override: str | None = None
    _read_bytes: bytes | None = None
    _post: MultiDictProxy[Any] | None = None
    _client_max_fields: int = DEFAULT_CLIENT_MAX_FIELDS
    _cancel_scope: anyio.CancelScope | None = None  # see cancel_scope
    _scope_ticket = 0  # which of its connection's requests this is (see cancel_scope)
    _response_prepare_hook: Callable[[StreamResponse], Awaitable[None]] | None = None
    _writer: StreamWriter | None = None

    @property
    def cancel_scope(self) -> anyio.CancelScope:
        """The cancel scope the handler runs in: cancel it from any task to end
        the handler (the connection is then closed).

        RuntimeError for a request no server is handling (a mocked one).
        """
        scope = self._cancel_scope
        if scope is None:
            raise RuntimeError("This request has no cancel scope: no server is handling it")
        # The server shares one scope between requests until one takes it.
        return self._conn.handler_scope(scope, self._scope_ticket)

    @cancel_scope.setter
    def cancel_scope(self, scope: anyio.CancelScope) -> None:
        self._cancel_scope = scope

    # -- used by responses --------------------------------------------------------

    def _make_writer(self) -> StreamWriter:
        if self._writer is not None:
            raise RuntimeError(
                "A response was already started for this request; "
                "a request gets exactly one response"
            )
        self._writer = self._conn.new_writer()
        return self._writer

    def _server_date(self) -> str:
        return rfc822_formatted_time()

    @property
    def writer(self) -> StreamWriter | None:
        """The body writer of the response, once one was prepared."""
        return self._writer

    # -- clone ------------------------------------------------------------------

    def clone(
        self,
        *,
        method: str | None = None,
        rel_url: str | URL | None = None,
        headers: Any = None,
        scheme: str | None = None,
        host: str | None = None,
        remote: str | None = None,
        client_max_size: int | None = None,
        client_max_fields: int | None = None,
    ) -> BaseRequest:
        """A copy of this request with some parts replaced (for proxies, rewrites)."""
        head = self._head
        target: str | None = None
        if rel_url is not None:
            url = URL(rel_url)
            if url.is_absolute():
                raise ValueError("rel_url should be a relative URL")
            target = str(url)
        if method is not None or target is not None or headers is not None:
            head = head.replace(
                method=method,
                target=target,
                headers=None if headers is None else CIMultiDictProxy(CIMultiDict(headers)),
            )
        clone = type(self).__new__(type(self))
        BaseRequest.__init__(
            clone,
            head,
            self._payload,
            conn=self._conn,
            client_max_size=client_max_size
            if client_max_size is not None
            else self._client_max_size,
            client_max_fields=client_max_fields
            if client_max_fields is not None
            else self._client_max_fields,
            state=self._state_dict.copy(),
            scheme=scheme if scheme is not None else self._scheme,
            host=self._target_port_kept(host) if host is not None else self._host_override,
            remote=remote if remote is not None else self._remote_override,
        )
        clone._read_bytes = self._read_bytes
        clone._cancel_scope = self._cancel_scope
        clone._scope_ticket = self._scope_ticket
        clone._response_prepare_hook = self._response_prepare_hook
        clone._clone_extra(self)
        return clone

    def _target_port_kept(self, host: str) -> str:
        """``host`` with the port of an absolute-form target, when it names none.

        As aiohttp (``url.with_host(host)``): ``clone(host="other")`` of
        ``GET http://example.com:8443/p`` is ``http://other:8443/p``.
        """
        target = self._head.target
        if target[:1] == "/" or "://" not in target or ":" in host.rpartition("]")[2]:
            return host
        try:
            port = URL(target, encoded=True).explicit_port
        except ValueError:  # a bad port: the host is taken as given
            return host
        return host if port is None else f"{host}:{port}"

    def _clone_extra(self, other: BaseRequest) -> None:
        """Hook for subclasses to carry their own state into a clone."""

    # -- the head ---------------------------------------------------------------

    @property
    def version(self) -> HttpVersion:
        """The HTTP version, as ``HttpVersion(major, minor)``."""
        return self._head.version

    @property
    def method(self) -> str:
        """The request method, e.g. ``"GET"``."""
        return self._head.method

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive, read-only)."""
        return self._head.headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The headers as received, as ``(name, value)`` byte pairs."""
        return self._head.raw_headers

    @property
    def keep_alive(self) -> bool:
        """Whether the client asked to keep the connection open."""
        return self._head.keep_alive

    @property
    def raw_path(self) -> str:
        """The request target as sent (path and query, not decoded)."""
        return self._head.target

    def _routing_path(self) -> str:
        """The path routes match: ``rel_url.path_safe``, without building a URL when
        the target is a plain path (no query, escapes or dot segments)."""
        target = self._head.target
        if target[:1] == "/" and not (
            "?" in target or "%" in target or "#" in target or "/." in target
        ):
            return target
        return self.rel_url.path_safe

    @reify
    def rel_url(self) -> URL:
        """The path and query as a relative URL."""
        target = self._head.target
        if target.startswith("/"):
            return URL(target, encoded=True)
        url = URL(target, encoded=True)
        if url.is_absolute():
            return url.relative()
        return URL.build(path=target, encoded=True)

    @reify
    def url(self) -> URL:
        """The absolute URL: scheme and host of the request, then rel_url."""
        rel = self.rel_url
        return URL.build(
            scheme=self.scheme,
            authority=self.host,
            path=rel.raw_path,
            query_string=rel.raw_query_string,
            fragment=rel.raw_fragment,
            encoded=True,
        )

    @property
    def path(self) -> str:
        """The decoded path (``/path/to``)."""
        return self.rel_url.path

    @property
    def path_qs(self) -> str:
        """The decoded path with its query string."""
        return str(self.rel_url)

    @property
    def query(self) -> MultiDictProxy[str]:
        """The query parameters."""
        return self.rel_url.query

    @property
    def query_string(self) -> str:
        """The decoded query string."""
        return self.rel_url.query_string

    @reify
    def host(self) -> str:
        """The Host header (or the clone's override, or the connection's local address).

        For an absolute-form target (``GET http://host:port/path``), the
        target's host and port: "the server MUST ignore the received Host
        header field ... and instead use the host information of the
        request-target" (RFC 9112 3.2.2).
        """
        if self._host_override is not None:
            return self._host_override
        target = self._head.target
        if target[:1] != "/" and "://" in target:
            try:
                authority = URL(target, encoded=True).host_port_subcomponent
            except ValueError:  # a bad port, say: the Host header then
                authority = None
            if authority:
                return authority
        host = self._head.headers.get(hdrs.HOST)
        if host is not None:
            return host
        # As aiohttp 3.14: the local address the request arrived on (IPv6
        # bracketed, as in a Host header), "" when there is none.
        sockname = self._conn.sockname
        if isinstance(sockname, tuple):
            return f"[{sockname[0]}]" if len(sockname) == 4 else str(sockname[0])
        return "" if sockname is None else str(sockname)

    @property
    def scheme(self) -> str:
        """``"https"`` on a TLS connection, else ``"http"`` (unless cloned)."""
        return self._scheme

    @property
    def secure(self) -> bool:
        """True for https."""
        return self._scheme == "https"

    @reify
    def remote(self) -> str | None:
        """The peer's IP address (or the clone's override)."""
        if self._remote_override is not None:
            return self._remote_override
        peer = self._conn.peername
        if isinstance(peer, list | tuple):
            return str(peer[0])
        return None if peer is None else str(peer)

    @reify
    def forwarded(self) -> tuple[Mapping[str, str], ...]:
        """The ``Forwarded`` header's elements (RFC 7239), nearest proxy last."""
        from .middlewares import parse_forwarded

        values = self._head.headers.getall(hdrs.FORWARDED, ())
        return tuple(MappingProxyType(element) for element in parse_forwarded(values))

    @property
    def transport(self) -> ConnectionInfo:
        """Connection details (``get_extra_info``) in place of an asyncio transport."""
        return self._conn

    @reify
    def cookies(self) -> Mapping[str, str]:
        """The cookies the client sent (parsed leniently, as aiohttp does)."""
        return MappingProxyType(_parse_cookie_header(self._head.headers.get(hdrs.COOKIE, "")))

    # -- body headers -----------------------------------------------------------

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int."""
        return self._head.content_length

    @property
    def if_modified_since(self) -> datetime | None:
        """If-Modified-Since as a datetime."""
        return parse_http_date(self._head.headers.get(hdrs.IF_MODIFIED_SINCE))

    @property
    def if_unmodified_since(self) -> datetime | None:
        """If-Unmodified-Since as a datetime."""
        return parse_http_date(self._head.headers.get(hdrs.IF_UNMODIFIED_SINCE))

    @property
    def if_range(self) -> datetime | None:
        """If-Range as a datetime."""
        return parse_http_date(self._head.headers.get(hdrs.IF_RANGE))

    @property
    def if_match(self) -> tuple[ETag, ...] | None:
        """If-Match as ETags (``*`` gives ``ETag("*")``), None when absent."""
        return _etags(self._head.headers.get(hdrs.IF_MATCH))

    @property
    def if_none_match(self) -> tuple[ETag, ...] | None:
        """If-None-Match as ETags, None when absent."""
        return _etags(self._head.headers.get(hdrs.IF_NONE_MATCH))

    @property
    def http_range(self) -> slice:
        """The Range header as a slice of the body (``slice(None, None)`` when absent).

        As aiohttp: one ``bytes=first-last`` range (the unit in any case,
        no spaces, ASCII digits only: ``int()`` would take other scripts'
        digits); ``bytes=-n`` is ``slice(-n, None)``. Anything else raises
        ValueError.
        """
        value = self._head.headers.get(hdrs.RANGE)
        if value is None:
            return slice(None, None, 1)
        match = _BYTE_RANGE.fullmatch(value)
        if match is None:
            raise ValueError("range not in acceptable format")
        first, last = match.groups()
        if not first:
            if not last:
                raise ValueError("No start or end of range specified")
            return slice(-int(last), None, 1)
        start = int(first)
        end = int(last) + 1 if last else None
        if end is not None and start >= end:
            raise ValueError("start cannot be after end")
        return slice(start, end, 1)

    # -- the body ---------------------------------------------------------------

    @property
    def content(self) -> StreamReader:
        """The body as a stream (read, readany, readline, iter_chunked, iter_any)."""
        return self._payload

    @property
    def body_exists(self) -> bool:
        """True when the request has a body at all."""
        return self._payload is not EMPTY_PAYLOAD

    @property
    def can_read_body(self) -> bool:
        """True when body bytes remain to be read."""
        return not self._payload.at_eof()

    @property
    def has_body(self) -> bool:
        """Deprecated alias of :attr:`can_read_body`."""
        warnings.warn("Deprecated, use .can_read_body #2005", DeprecationWarning, stacklevel=2)
        return self.can_read_body

    @property
    def client_max_size(self) -> int:
        """The largest body :meth:`read` accepts (0: no limit)."""
        return self._client_max_size

    @property
    def client_max_fields(self) -> int:
        """The most form fields :meth:`post` accepts (0: no limit)."""
        return self._client_max_fields

    async def read(self) -> bytes:
        """Read the whole body; over ``client_max_size`` raises HTTPRequestEntityTooLarge."""
        if self._read_bytes is None:
            limit = self._client_max_size
            declared = self._head.content_length
            if limit and declared is not None and declared > limit:
                # Refuse before reading a byte (and before 100 Continue).
                raise _too_large(limit, declared)
            body = bytearray()
            while True:
                chunk = await self._payload.readany()
                if not chunk:
                    break
                body += chunk
                if limit and len(body) > limit:
                    raise _too_large(limit, len(body))
            self._read_bytes = bytes(body)
        return self._read_bytes

    async def text(self) -> str:
        """The body decoded with its charset (UTF-8 by default)."""
        body = await self.read()
        return body.decode(self.charset or "utf-8")

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        """The body parsed as JSON (whatever its Content-Type, as in aiohttp)."""
        return loads(await self.text())

    async def post(self) -> MultiDictProxy[Any]:
        """The form fields of an urlencoded POST body."""
        if self._post is not None:
            return self._post
        if self.method not in self.POST_METHODS:
            self._post = MultiDictProxy(MultiDict())
            return self._post
        content_type = self.content_type
        if content_type == "multipart/form-data":
            return await self._post_multipart()
        if content_type not in ("", "application/x-www-form-urlencoded"):
            self._post = MultiDictProxy(MultiDict())
            return self._post
        data = await self.read()
        charset = self.charset or "utf-8"
        query = data.rstrip().decode(charset)
        max_fields = self._client_max_fields
        try:
            # Counted before parsing (each "&" starts a field, as aiohttp counts them).
            pairs = parse_qsl(
                query,
                keep_blank_values=True,
                encoding=charset,
                max_num_fields=max_fields if max_fields > 0 else None,
            )
        except ValueError:
            raise _too_many_fields(max_fields) from None
        self._post = MultiDictProxy(MultiDict(pairs))
        return self._post

    async def multipart(self) -> MultipartReader:
        """The body as a streamed multipart reader: ``async for part in reader``."""
        from ..http.multipart import MultipartReader

        return MultipartReader(self._head.headers, self._payload)

    async def _post_multipart(self) -> MultiDictProxy[Any]:
        from ..http.exceptions import BadHttpMessage
        from ..http.multipart import form_value, iter_multipart
        from .exceptions import HTTPBadRequest

        body = await self.read()
        max_fields = self._client_max_fields
        form: MultiDict[Any] = MultiDict()
        try:
            # Parts are parsed one at a time, so a body of many tiny parts
            # costs no more than the limit before it is refused.
            for part in iter_multipart(body, self._head.headers.get(hdrs.CONTENT_TYPE, "")):
                if 0 < max_fields <= len(form):
                    raise _too_many_fields(max_fields)
                if part.name is None:
                    raise HTTPBadRequest(text="Multipart field missing name.")
                form.add(part.name, form_value(part, self.charset or "utf-8"))
        except BadHttpMessage as exc:
            raise HTTPBadRequest(text=exc.message) from exc
        self._post = MultiDictProxy(form)
        return self._post

    async def release(self) -> None:
        """Read and discard the rest of the body."""
        await self._payload.wait_eof()

    # -- the dict interface (StateMapping), typed ----------------------------------

    @overload
    def __getitem__(self, key: RequestKey[_T]) -> _T: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    def __getitem__(self, key: str | RequestKey[_T]) -> Any:
        return self._state_dict[key]

    def __repr__(self) -> str:
        path = self.raw_path.encode("ascii", "backslashreplace").decode("ascii")
        return f"<{type(self).__name__} {self.method} {path} >"


class Request(BaseRequest):
    """A request routed to a handler: adds ``match_info``, ``app`` and ``config_dict``."""

    _match_info: UrlMappingMatchInfo | None = None

    def _target_port_kept(self, host: str) -> str:
        """``host`` with the port of an absolute-form target, when it names none.

        As aiohttp (``url.with_host(host)``): ``clone(host="other")`` of
        ``GET http://example.com:8443/p`` is ``http://other:8443/p``.
        """
        target = self._head.target
        if target[:1] == "/" or "://" not in target or ":" in host.rpartition("]")[2]:
            return host
        try:
            port = URL(target, encoded=True).explicit_port
        except ValueError:  # a bad port: the host is taken as given
            return host
        return host if port is None else f"{host}:{port}"

    def _clone_extra(self, other: BaseRequest) -> None:
        self._match_info = getattr(other, "_match_info", None)

    @property
    def match_info(self) -> UrlMappingMatchInfo:
        """The route's match: a dict of the path variables, plus route and apps."""
        match_info = self._match_info
        assert match_info is not None, "the request was not routed yet"
        return match_info

    @property
    def app(self) -> Application:
        """The application (sub-application) whose route matched."""
        return self.match_info.current_app

    @property
    def config_dict(self) -> Mapping[Any, Any]:
        """The state of the matched app and its parents, innermost first."""
        from collections import ChainMap

        apps = self.match_info.apps
        return MappingProxyType(ChainMap(*[app._state_dict for app in reversed(apps)]))


def _too_large(limit: int, size: int) -> HTTPRequestEntityTooLarge:
    error = HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
    error.force_close()  # the rest of the body is not worth reading to reuse the connection
    return error


def _too_many_fields(limit: int) -> HTTPRequestEntityTooLarge:
    # The body was read whole, so the connection stays usable.
    return HTTPRequestEntityTooLarge(limit, text=f"Maximum number of form fields {limit} exceeded.")


def _etags(value: str | None) -> tuple[ETag, ...] | None:
    if value is None:
        return None
    tags: list[ETag] = []
    for item in value.split(","):
        item = item.strip()
        if item == "*":
            tags.append(ETag(value="*"))
            continue
        weak = item.startswith("W/")
        quoted = item[2:] if weak else item
        if len(quoted) >= 2 and quoted[0] == quoted[-1] == '"':
            tags.append(ETag(value=quoted[1:-1], is_weak=weak))
    return tuple(tags)


# The Cookie header, parsed as aiohttp parses it (its names may hold braces,
# brackets and the like; one malformed pair never costs the others, where
# SimpleCookie would drop them all). A pair: a name, maybe "=" and a value
# (a quoted string, a date with its comma and spaces, or a run of visible
# characters), ended by whitespace, ";" or the end.
_COOKIE_PAIR = re.compile(
    r"\s*(?P<name>[!#-:<>-\[\]-~]+)"  # (a "," is taken, and the name refused below)
    r"(?:\s*=\s*(?P<value>"
    r'"(?:[^\\"]|\\.)*"'
    r'|"[^";]*'
    r"|(?:\w{3,6}day|\w{3}),\s[\w\s-]{9,11}\s[\d:]{8}\s(?:GMT|[+-]\d{4})"
    r"|\w{3}\s+\w{3}\s+[\s\d]\d\s+\d{2}:\d{2}:\d{2}\s+\d{4}"
    r"|[!#-:<-\[\]-~]*"
    r"))?\s*(?:\s+|;|$)",
    re.ASCII,
)

# One byte range (RFC 9110 14.1.2) as aiohttp reads it. re.ASCII keeps both
# the digits and the case-insensitive "bytes" ASCII (the long s, U+017F, folds
# to "s" otherwise).
_BYTE_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)", re.ASCII | re.IGNORECASE)


def _parse_cookie_header(raw: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    pos, end = 0, len(raw)
    while pos < end:
        match = _COOKIE_PAIR.match(raw, pos)
        if match is None:
            # Not a pair the grammar knows: take "name=value" up to the next
            # ";" if that is what it looks like, else skip to it.
            semicolon = raw.find(";", pos)
            stop = end if semicolon < 0 else semicolon
            equals = raw.find("=", pos, stop)
            if equals >= 0:
                name = raw[pos:equals].strip()
                if COOKIE_NAME.fullmatch(name):
                    cookies[name] = unquote_cookie_value(raw[equals + 1 : stop].strip())
            pos = stop + 1
            continue
        pos = match.end()
        name = match.group("name")
        if COOKIE_NAME.fullmatch(name):
            cookies[name] = unquote_cookie_value(match.group("value") or "")  # the last wins
    return cookies
