"""ClientSession: requests, redirects, cookies, auth, timeouts, proxies, tracing.

A session owns its connector's task group (the connection pool), so it is
used as ``async with ClientSession() as session``; building one is harmless
anywhere (nothing binds to an event loop), using one outside its block is a
clear RuntimeError.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import math
import netrc
import os
import ssl as ssl_module
import urllib.request
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.cookies import BaseCookie, Morsel, SimpleCookie
from types import TracebackType
from typing import Any, Final, NamedTuple, TypedDict, Unpack, cast

import anyio
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .. import hdrs
from .._awaitable import AwaitableContext
from .._backend import NO_LOOP, NoLoop, clock, note_asyncio_under_trio, on_asyncio, refuse_loop
from .._groups import single_error
from ..abc import AbstractCookieJar
from ..helpers import BasicAuth
from ..http.parser import HttpVersion, HttpVersion10, HttpVersion11, ResponseHead
from ..http.payload import Payload
from ..http.websocket import BoundedPerMessageDeflate, WebSocketEngine, accept_token
from ..http.ws_codec import FrameCodec
from .connector import BaseConnector, Connection, Fingerprint, HeadLimits, TCPConnector
from .cookies import CookieJar
from .exceptions import (
    ClientConnectionError,
    ClientOSError,
    ClientPayloadError,
    ConnectionKey,
    ConnectionTimeoutError,
    InvalidURL,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    RequestInfo,
    ServerDisconnectedError,
    ServerTimeoutError,
    TooManyRedirects,
    WSServerHandshakeError,
)
from .exchange import HTTP11Exchange
from .middlewares import ClientHandlerType, ClientMiddlewareType, build_client_middlewares
from .request import (
    DEFAULT_TIMEOUT,
    ClientRequest,
    ClientTimeout,
    build_body,
    build_headers,
    skip_set,
)
from .response import ClientResponse
from .tracing import (
    Trace,
    TraceConfig,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
)
from .websocket import ClientWebSocketResponse, ClientWSTimeout, WSRequestContextManager

__all__ = ("ClientSession", "RequestContextManager", "RequestOptions")

_USAGE: Final = (
    "use it as an async context manager:\n"
    "    async with anyiohttp.ClientSession() as session:\n"
    "        async with session.get(url) as response:\n"
    "            ..."
)
_HTTP_SCHEMES: Final = frozenset({"http", "https"})
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_SENTINEL: Any = object()


class _CommonOptions(TypedDict, total=False):
    """The keyword arguments of every request method (as aiohttp's), but two."""

    params: Any
    json: Any
    cookies: Any
    headers: Any
    skip_auto_headers: Iterable[str] | None
    auth: BasicAuth | None
    max_redirects: int | None
    compress: str | bool | None
    chunked: bool | None
    expect100: bool
    raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None
    read_until_eof: bool
    proxy: str | URL | None
    proxy_auth: BasicAuth | None
    timeout: ClientTimeout | float | None
    ssl: Any
    server_hostname: str | None
    proxy_headers: Any
    trace_request_ctx: Any
    read_bufsize: int | None
    auto_decompress: bool | None
    max_line_size: int | None
    max_field_size: int | None
    max_headers: int | None
    verify_ssl: bool | None
    ssl_context: ssl_module.SSLContext | None
    fingerprint: bytes | None
    middlewares: Sequence[ClientMiddlewareType] | None


class _BodyOptions(_CommonOptions, total=False):
    """The keyword arguments of get(), options() and head() (allow_redirects is their own)."""

    data: Any


class _RedirectOptions(_CommonOptions, total=False):
    """The keyword arguments of post(), put() and patch() (data is their own)."""

    allow_redirects: bool


class RequestOptions(_BodyOptions, _RedirectOptions, total=False):
    """The keyword arguments of ``request()`` and ``delete()``, typed, so a misspelt one
    (``session.get(url, jsn=...)``) is caught by a type checker."""


@dataclass(slots=True)
class _Hop:
    """What one request of a redirect chain sends: a redirect changes it."""

    method: str
    url: URL
    body: Payload | None
    auth: BasicAuth | None
    cookies: Any
    #: The caller's headers (a redirect drops some).
    headers: CIMultiDict[str]
    #: The session's default headers (a copy once a redirect drops credentials).
    session_headers: CIMultiDict[str]


class _Options(NamedTuple):
    """What stays the same over a request's redirects and retries.

    Made with positional arguments on the hot path: a call with more than a
    few keyword arguments costs CPython 3.11 several times as much.
    """

    skip: frozenset[str]
    compress: str | bool | None
    chunked: bool | None
    expect100: bool
    proxy: str | URL | None
    proxy_auth: BasicAuth | None
    proxy_headers: Any
    ssl: Any
    timeout: ClientTimeout
    deadline: float
    traces: list[Trace]
    read_bufsize: int | None
    read_until_eof: bool
    server_hostname: str | None
    auto_decompress: bool | None
    upgrade: bool
    limits: HeadLimits
    middlewares: Sequence[ClientMiddlewareType]
    #: The responses whose request body may still be going out.
    uploading: list[ClientResponse]


class RequestContextManager(AwaitableContext[ClientResponse]):
    """What ``session.get(...)`` returns: await it, or use it with ``async with``."""

    __slots__ = ()

    async def __aenter__(self) -> ClientResponse:
        resp = self._value = await self._coro
        resp._in_context = True
        return resp

    def _finish(self, value: ClientResponse) -> Awaitable[None] | None:
        # As aiohttp: released (an unread body closes the connection and
        # stops the upload), then until the request body went out.
        value.release()
        return value._upload


# aiohttp's name for it, which some code spells out in annotations.
_RequestContextManager = RequestContextManager


class ClientSession:
    """An HTTP client with a connection pool, cookies and defaults for its requests.

    Use it as ``async with ClientSession() as session``. It owns its
    connector (``connector_owner=True``, the default): the pool's idle
    connections and the pool's task group, where request uploads and
    WebSocket readers run. A connector given with ``connector_owner=False``
    must be open already and is only borrowed; its own block closes it.

    A request runs in the task that awaits it and holds one connection
    until its response is read or released. Cancelling that task closes
    the connection (a half-read one is never reused). Leaving the block,
    normally, by an error or by cancellation, closes every connection of an
    owned pool, idle or in use, and ends the pool's tasks before it
    returns; an error raised in the block comes out as itself. ``await
    session.close()`` inside the block does the same early; the session is
    then closed for good. Outside its block a session refuses to send, with
    a RuntimeError that shows the ``async with`` form.
    """

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: BaseConnector | None = None,
        cookies: Any = None,
        headers: Any = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        json_serialize: Callable[[Any], str] = json.dumps,
        version: HttpVersion = HttpVersion11,
        cookie_jar: AbstractCookieJar | None = None,
        connector_owner: bool = True,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] = False,
        timeout: ClientTimeout | object = _SENTINEL,
        auto_decompress: bool = True,
        trust_env: bool = False,
        requote_redirect_url: bool = True,
        trace_configs: list[TraceConfig] | None = None,
        read_bufsize: int = 2**18,  # as aiohttp 3.14: readline() takes lines up to 512 KiB
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_redirects: int = 10,
        fallback_charset_resolver: Callable[[ClientResponse, bytes], str] | None = None,
        json_serialize_bytes: Callable[[Any], bytes] | None = None,
        read_timeout: float | object | None = _SENTINEL,
        conn_timeout: float | None = None,
        ssl_shutdown_timeout: float | object | None = _SENTINEL,
        middlewares: Sequence[ClientMiddlewareType] = (),
        loop: NoLoop = NO_LOOP,
    ) -> None:
        refuse_loop(self, loop)
        self._base_url = _checked_base_url(base_url)
        self._connector = connector if connector is not None else TCPConnector()
        # This session's limits on response heads (a request may set its own).
        self._head_limits = HeadLimits(max_line_size, max_field_size, max_headers)
        self._connector_owner = connector_owner
        self._cookie_jar = cookie_jar if cookie_jar is not None else CookieJar()
        if cookies:
            self._cookie_jar.update_cookies(cookies)
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers or ())
        self._skip_auto_headers = frozenset(skip_auto_headers or ())
        self._skip = skip_set(self._skip_auto_headers)  # what requests check, any case
        self._default_auth = auth
        self._default_proxy = _check_proxy(proxy) if proxy is not None else None
        self._default_proxy_auth = proxy_auth
        self._json_serialize = json_serialize
        self._json_serialize_bytes = json_serialize_bytes  # for json=: wins when set
        self._version = version
        # aiohttp's switch (its TestClient turns it off): retry an idempotent
        # request once on a fresh connection when a kept-alive one was stale.
        self._retry_connection = True
        self._http10 = version == HttpVersion10
        self._raise_for_status = raise_for_status
        timeout = _session_timeout(timeout, read_timeout, conn_timeout)
        if ssl_shutdown_timeout is not _SENTINEL:
            # anyio's TLS streams close without waiting for the peer's close_notify.
            warnings.warn(
                "The ssl_shutdown_timeout parameter is deprecated and has no effect",
                DeprecationWarning,
                stacklevel=2,
            )
        self._timeout = timeout
        self._request_timeout = _zero_is_no_limit(timeout)  # what requests apply
        self._auto_decompress = auto_decompress
        self._trust_env = trust_env
        self._requote_redirect_url = requote_redirect_url
        self._trace_configs = list(trace_configs or ())
        for trace_config in self._trace_configs:
            trace_config.freeze()
        self._read_bufsize = read_bufsize
        # For bodies whose Content-Type names no charset (get_encoding, text()).
        self._fallback_charset_resolver = fallback_charset_resolver
        self._max_redirects = max_redirects
        self._middlewares = tuple(middlewares)
        self._deadline_scope: Callable[[float], AbstractContextManager[object]] = (
            _anyio_deadline_scope
        )
        self._now: Callable[[], float] = anyio.current_time
        self._entered = False
        self._closed = False

    # -- lifetime -------------------------------------------------------------------

    async def __aenter__(self) -> ClientSession:
        if self._closed:
            raise RuntimeError("Session is closed: create a new ClientSession")
        if self._entered:
            raise RuntimeError("ClientSession is already open")
        if self._connector_owner:
            await self._connector.__aenter__()
        elif not self._connector.opened:
            raise RuntimeError(
                "A shared connector (connector_owner=False) must be open first: "
                "async with TCPConnector() as connector: ..."
            )
        self._entered = True
        self._now = clock()
        self._deadline_scope = _anyio_deadline_scope if on_asyncio() else _trio_deadline_scope
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        self._closed = True
        if self._connector_owner:
            with single_error():
                await self._connector.__aexit__(exc_type, exc, tb)

    async def close(self) -> None:
        """Close the session (its connector too, when it owns it).

        Leaving ``async with`` does this; calling it inside the block closes
        the pool early and makes further requests fail.
        """
        self._closed = True
        if self._connector_owner and self._entered:
            await self._connector.close()

    @property
    def closed(self) -> bool:
        """True once closed."""
        return self._closed

    def _check_usable(self) -> None:
        if self._closed:
            raise RuntimeError("Session is closed")
        if not self._entered:
            raise RuntimeError(f"ClientSession is not open; {_USAGE}")

    # -- attributes -----------------------------------------------------------------

    @property
    def connector(self) -> BaseConnector:
        """The connection pool."""
        return self._connector

    @property
    def connector_owner(self) -> bool:
        """True when closing the session closes the connector."""
        return self._connector_owner

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        """The session's cookies."""
        return self._cookie_jar

    @property
    def headers(self) -> CIMultiDict[str]:
        """Headers sent with every request."""
        return self._default_headers

    @property
    def skip_auto_headers(self) -> frozenset[str]:
        """Automatic headers not to send."""
        return self._skip_auto_headers

    @property
    def auth(self) -> BasicAuth | None:
        """Default credentials."""
        return self._default_auth

    @property
    def timeout(self) -> ClientTimeout:
        """The default timeouts."""
        return self._timeout

    @property
    def json_serialize(self) -> Callable[[Any], str]:
        """The JSON encoder for ``json=``."""
        return self._json_serialize

    @property
    def raise_for_status(self) -> bool | Callable[[ClientResponse], Awaitable[None]]:
        """Whether (or how) error statuses raise."""
        return self._raise_for_status

    @property
    def auto_decompress(self) -> bool:
        """Whether bodies are decompressed."""
        return self._auto_decompress

    @property
    def trust_env(self) -> bool:
        """Whether proxies come from the environment."""
        return self._trust_env

    @property
    def trace_configs(self) -> list[TraceConfig]:
        """The tracing configurations."""
        return self._trace_configs

    @property
    def version(self) -> HttpVersion:
        """The HTTP version of requests."""
        return self._version

    @property
    def middlewares(self) -> tuple[ClientMiddlewareType, ...]:
        """The client middlewares every request goes through (the first one outermost)."""
        return self._middlewares

    @property
    def requote_redirect_url(self) -> bool:
        """Whether redirect URLs are re-quoted."""
        return self._requote_redirect_url

    # -- verbs ----------------------------------------------------------------------

    def request(
        self, method: str, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager:
        """Make a request; ``async with`` the result or await it."""
        return RequestContextManager(self._request(method, url, **kwargs))

    def get(
        self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Unpack[_BodyOptions]
    ) -> RequestContextManager:
        """GET ``url``."""
        return self.request(hdrs.METH_GET, url, allow_redirects=allow_redirects, **kwargs)

    def options(
        self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Unpack[_BodyOptions]
    ) -> RequestContextManager:
        """OPTIONS ``url``."""
        return self.request(hdrs.METH_OPTIONS, url, allow_redirects=allow_redirects, **kwargs)

    def head(
        self, url: str | URL, *, allow_redirects: bool = False, **kwargs: Unpack[_BodyOptions]
    ) -> RequestContextManager:
        """HEAD ``url`` (redirects not followed by default, as aiohttp)."""
        return self.request(hdrs.METH_HEAD, url, allow_redirects=allow_redirects, **kwargs)

    def post(
        self, url: str | URL, *, data: Any = None, **kwargs: Unpack[_RedirectOptions]
    ) -> RequestContextManager:
        """POST to ``url``."""
        return self.request(hdrs.METH_POST, url, data=data, **kwargs)

    def put(
        self, url: str | URL, *, data: Any = None, **kwargs: Unpack[_RedirectOptions]
    ) -> RequestContextManager:
        """PUT to ``url``."""
        return self.request(hdrs.METH_PUT, url, data=data, **kwargs)

    def patch(
        self, url: str | URL, *, data: Any = None, **kwargs: Unpack[_RedirectOptions]
    ) -> RequestContextManager:
        """PATCH ``url``."""
        return self.request(hdrs.METH_PATCH, url, data=data, **kwargs)

    def delete(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """DELETE ``url``."""
        return self.request(hdrs.METH_DELETE, url, **kwargs)

    def ws_connect(self, url: str | URL, **kwargs: Any) -> WSRequestContextManager:
        """Open a WebSocket: ``async with session.ws_connect(url) as ws:``."""
        return WSRequestContextManager(self._ws_connect(url, **kwargs))

    async def _ws_connect(
        self,
        url: str | URL,
        *,
        method: str = hdrs.METH_GET,
        protocols: Iterable[str] = (),
        timeout: ClientWSTimeout | float | object = _SENTINEL,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        auth: BasicAuth | None = None,
        origin: str | None = None,
        params: Any = None,
        headers: Any = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        ssl: Any = True,
        proxy_headers: Any = None,
        compress: int = 0,
        max_msg_size: int = 4 * 1024 * 1024,
        decode_text: bool = True,
    ) -> ClientWebSocketResponse:
        self._check_usable()
        ssl = _check_ssl(ssl)
        ws_timeout = _ws_timeout(timeout, receive_timeout)
        ws_url = self._build_url(url)
        scheme = {"ws": "http", "wss": "https"}.get(ws_url.scheme, ws_url.scheme)
        if scheme not in _HTTP_SCHEMES:
            raise NonHttpUrlClientError(ws_url)
        http_url = ws_url.with_scheme(scheme)
        if params is not None:
            http_url = http_url.extend_query(params)
        key = base64.b64encode(os.urandom(16)).decode()
        protocols = tuple(protocols)
        req_headers, extension = _ws_handshake_headers(
            headers, key, protocols, origin, compress, max_msg_size
        )
        resp = await self._request(
            method,
            http_url,
            headers=req_headers,
            auth=auth,
            proxy=proxy,
            proxy_auth=proxy_auth,
            ssl=ssl,
            proxy_headers=proxy_headers,
            allow_redirects=False,
            _upgrade=True,
        )
        conn = resp._detach_connection()
        try:
            protocol, accepted = _check_ws_handshake(resp, key, protocols, extension)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        assert conn is not None
        wsconn = FrameCodec(
            True,
            [extension] if accepted and extension is not None else [],
            trailing_data=conn.parser.trailing_data,
        )
        engine = WebSocketEngine(
            conn.stream,
            wsconn,
            max_msg_size=max_msg_size,
            autoping=autoping,
            autoclose=autoclose,
            heartbeat=heartbeat,
            close_timeout=ws_timeout.ws_close if ws_timeout.ws_close is not None else 10.0,
            timeout_error=ServerTimeoutError,
            decode_text=decode_text,
        )
        # Not started here: the ``async with`` block that asked for it owns its
        # tasks, or, awaited, the session does (WSRequestContextManager).
        return ClientWebSocketResponse(
            engine,
            resp,
            conn,
            self._connector.task_group,
            protocol=protocol,
            compress=compress if accepted else 0,
            receive_timeout=ws_timeout.ws_receive,
        )

    # -- the request ----------------------------------------------------------------

    def _build_url(self, str_or_url: str | URL) -> URL:
        try:
            url = URL(str_or_url)
        except (ValueError, TypeError) as exc:
            raise InvalidUrlClientError(str_or_url) from exc
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        return url

    async def _request(
        self,
        method: str,
        str_or_url: str | URL,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        cookies: Any = None,
        headers: Any = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        allow_redirects: bool = True,
        max_redirects: int | None = None,
        compress: str | bool | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None = None,
        read_until_eof: bool = True,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        timeout: ClientTimeout | object = _SENTINEL,
        ssl: Any = True,
        server_hostname: str | None = None,
        proxy_headers: Any = None,
        trace_request_ctx: Any = None,
        read_bufsize: int | None = None,
        auto_decompress: bool | None = None,
        max_line_size: int | None = None,
        max_field_size: int | None = None,
        max_headers: int | None = None,
        verify_ssl: bool | None = None,
        ssl_context: ssl_module.SSLContext | None = None,
        fingerprint: bytes | None = None,
        middlewares: Sequence[ClientMiddlewareType] | None = None,
        _upgrade: bool = False,
    ) -> ClientResponse:
        self._check_usable()
        if verify_ssl is not None or ssl_context is not None or fingerprint is not None:
            ssl = _merge_ssl_params(ssl, verify_ssl, ssl_context, fingerprint)
        if ssl is not True:
            ssl = _check_ssl(ssl)
        url = self._request_url(str_or_url, params)
        timeout = self._request_timeout if timeout is _SENTINEL else self._timeout_for(timeout)
        if proxy is not None:
            _check_proxy(proxy)  # before any connection or DNS lookup
        traces = (
            [Trace(self, c, c.trace_config_ctx(trace_request_ctx)) for c in self._trace_configs]
            if self._trace_configs
            else []
        )
        given = CIMultiDict(headers) if headers else CIMultiDict()
        hop = _Hop(method.upper(), url, None, auth, cookies, given, self._default_headers)
        for trace in traces:
            await trace.send("on_request_start", TraceRequestStartParams(hop.method, url, given))
        body = self._credentials_and_body(hop, data, json)
        skip = self._skip | skip_set(skip_auto_headers) if skip_auto_headers else self._skip
        deadline = self._now() + timeout.total if timeout.total is not None else math.inf
        limits = (
            self._head_limits
            if max_line_size is None and max_field_size is None and max_headers is None
            else self._limits_for(max_line_size, max_field_size, max_headers)
        )
        options = _Options(
            skip, compress, chunked, expect100, proxy, proxy_auth, proxy_headers, ssl, timeout,
            deadline, traces, read_bufsize, read_until_eof, server_hostname, auto_decompress,
            _upgrade, limits,
            self._middlewares if middlewares is None else tuple(middlewares), [],
        )  # fmt: skip
        if raise_for_status is None:
            raise_for_status = self._raise_for_status
        resp = None
        if body is None and not (traces or options.middlewares or _upgrade or self._trust_env):
            # The common request, the short way: no body, no middleware or trace
            # to go through, its ClientRequest sent as built.
            resp = await self._sender(self._client_request(hop, options), options, ())
            if raise_for_status is False and (not allow_redirects or resp.status not in _REDIRECTS):
                return resp  # nothing more to do
        redirect_limit = self._max_redirects if max_redirects is None else max_redirects
        try:
            return await self._request_chain(
                hop, options, allow_redirects, redirect_limit, raise_for_status, resp
            )
        finally:
            # A file given as the body is closed once the request ends (and
            # one a middleware put in its place), or once its upload does.
            if body is not None:
                _close_when_sent(body, options.uploading)
            if hop.body is not None and hop.body is not body:
                _close_when_sent(hop.body, options.uploading)

    def _credentials_and_body(self, hop: _Hop, data: Any, json: Any) -> Payload | None:
        """The first request's credentials (from the URL, else the session's; no
        Authorization header besides), and its body (kept open: a redirect or a retry
        may send it again; closed by :meth:`_request`)."""
        url_auth = BasicAuth.from_url(hop.url)
        if url_auth is not None:
            if hop.auth is not None:
                raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
            hop.auth = url_auth
            hop.url = hop.url.with_user(None)
        if (
            hop.auth is None
            and self._default_auth is not None
            and (self._base_url is None or self._base_url.origin() == hop.url.origin())
        ):
            # The session's credentials go only where its base_url points (as aiohttp).
            hop.auth = self._default_auth
        if hop.auth is not None and (
            hdrs.AUTHORIZATION in hop.headers or hdrs.AUTHORIZATION in self._default_headers
        ):
            raise ValueError(
                "Cannot combine AUTHORIZATION header with AUTH argument or credentials "
                "encoded in URL"
            )
        if data is None and json is None:
            return None
        body = hop.body = build_body(
            hop.method, data, json, self._json_serialize, self._json_serialize_bytes
        )
        if body is not None:
            body.keep_open()
        return body

    async def _request_chain(
        self,
        hop: _Hop,
        options: _Options,
        allow_redirects: bool,
        redirect_limit: int,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]],
        resp: ClientResponse | None = None,
    ) -> ClientResponse:
        """The request and the redirects it leads to; the final response (checked).

        ``resp`` is the first request's response when it was sent already.
        """
        traces = options.traces
        history: list[ClientResponse] = []
        try:
            while True:
                if resp is None:
                    resp = await self._one_request(hop, options, history)
                if not allow_redirects or not await self._follow_redirect(
                    hop, resp, traces, history, redirect_limit
                ):
                    break
                resp = None
            if raise_for_status is True:
                resp.raise_for_status()
            elif raise_for_status:
                await raise_for_status(resp)
            for trace in traces:
                await trace.send(
                    "on_request_end", TraceRequestEndParams(hop.method, hop.url, hop.headers, resp)
                )
        except BaseException as exc:
            if resp is not None:
                # As aiohttp: a failure (or a cancellation, in a trace callback
                # say) once a response arrived closes it, so its connection
                # goes back to the pool instead of staying checked out.
                resp.close()
            if not isinstance(exc, anyio.get_cancelled_exc_class()):
                for trace in traces:
                    await trace.send(
                        "on_request_exception",
                        TraceRequestExceptionParams(hop.method, hop.url, hop.headers, exc),
                    )
            raise
        return resp

    def _request_url(self, str_or_url: str | URL, params: Any) -> URL:
        """The URL to request: joined to base_url, checked, with ``params`` added."""
        url = self._build_url(str_or_url)
        if not url.scheme:
            raise InvalidUrlClientError(url, "URL has no scheme")
        if url.scheme not in _HTTP_SCHEMES:
            raise NonHttpUrlClientError(url)
        if url.raw_host is None:
            raise InvalidUrlClientError(url, "URL has no host")
        if params is not None:
            url = url.extend_query(params)
        return url

    def _timeout_for(self, timeout: ClientTimeout | object) -> ClientTimeout:
        """A request's timeouts: the session's, or what it was given (a number is the total)."""
        if timeout is _SENTINEL:
            return self._request_timeout
        if not isinstance(timeout, ClientTimeout):
            # As aiohttp: a number (or None) is the total timeout.
            if timeout is not None and not isinstance(timeout, int | float):
                raise ValueError(f"timeout parameter cannot be of {type(timeout)} type")
            timeout = ClientTimeout(total=timeout)
        return _zero_is_no_limit(timeout)

    def _limits_for(
        self, max_line_size: int | None, max_field_size: int | None, max_headers: int | None
    ) -> HeadLimits:
        """The request's own limits on the response head (the session's where None)."""
        limits = self._head_limits
        return HeadLimits(
            limits.max_line_size if max_line_size is None else max_line_size,
            limits.max_field_size if max_field_size is None else max_field_size,
            limits.max_headers if max_headers is None else max_headers,
        )

    async def _follow_redirect(
        self,
        hop: _Hop,
        resp: ClientResponse,
        traces: list[Trace],
        history: list[ClientResponse],
        redirect_limit: int,
    ) -> bool:
        """Turn ``hop`` into the request a redirect asks for; False when ``resp`` is final."""
        if resp.status not in _REDIRECTS:
            return False
        location = resp.headers.get(hdrs.LOCATION) or resp.headers.get(hdrs.URI)
        if location is None:
            return False
        for trace in traces:
            await trace.send(
                "on_request_redirect",
                TraceRequestRedirectParams(hop.method, hop.url, hop.headers, resp),
            )
        history.append(resp)
        if redirect_limit and len(history) >= redirect_limit:
            # aiohttp's count: max_redirects=N follows N - 1 redirects, and 0 means no limit.
            resp.close()
            raise TooManyRedirects(history[0].request_info, tuple(history))
        await _discard_body(resp)
        if (resp.status == 303 and hop.method != hdrs.METH_HEAD) or (
            resp.status in (301, 302) and hop.method == hdrs.METH_POST
        ):
            hop.method = hdrs.METH_GET
            hop.body = None
            for name in (hdrs.CONTENT_LENGTH, hdrs.CONTENT_TYPE, hdrs.TRANSFER_ENCODING):
                hop.headers.popall(name, None)
        elif hop.body is not None and not hop.body.rewind():
            resp.close()
            raise ClientPayloadError(
                "Cannot follow redirect with a consumed request body. Use bytes, "
                "a seekable file-like object, or set allow_redirects=False."
            )
        new_url = self._redirect_url(hop.url, location)
        if new_url.origin() != hop.url.origin():
            # Credentials and cookies given for one origin stay with it, the
            # session's default headers included (the jar still sends the new
            # origin's own cookies).
            hop.auth = None
            hop.cookies = None
            credentials = (hdrs.AUTHORIZATION, hdrs.COOKIE, hdrs.PROXY_AUTHORIZATION)
            if any(name in hop.session_headers for name in credentials):
                hop.session_headers = hop.session_headers.copy()
            for name in credentials:
                hop.headers.popall(name, None)
                hop.session_headers.popall(name, None)
        hop.url = new_url
        return True

    def _redirect_url(self, url: URL, location: str) -> URL:
        try:
            parsed = URL(location, encoded=not self._requote_redirect_url)
        except ValueError as exc:
            raise InvalidUrlRedirectClientError(
                location, "Server attempted redirecting to a location that does not look like a URL"
            ) from exc
        if parsed.scheme and parsed.scheme not in _HTTP_SCHEMES:
            raise NonHttpUrlRedirectClientError(location)
        if parsed.scheme and not location.strip()[len(parsed.scheme) + 1 :].startswith("//"):
            # "http:/x" or "http:x": a scheme without an authority is relative (as aiohttp).
            parsed = URL.build(
                path=parsed.raw_path,
                query_string=parsed.raw_query_string,
                fragment=parsed.raw_fragment,
                encoded=True,
            )
        if not parsed.scheme:
            parsed = url.join(parsed)  # relative, or "//host/path" (the same scheme)
        if not parsed.raw_host:
            raise InvalidUrlRedirectClientError(location, "Redirect location has no host")
        return parsed

    def _proxy_for(
        self, url: URL, proxy: str | URL | None, proxy_auth: BasicAuth | None
    ) -> tuple[URL | None, BasicAuth | None]:
        proxy_url = _check_proxy(proxy) if proxy is not None else self._default_proxy
        if proxy_auth is None:
            proxy_auth = self._default_proxy_auth
        if proxy_url is None and self._trust_env:
            host = url.raw_host or ""
            if not urllib.request.proxy_bypass(host):
                found = urllib.request.getproxies().get(url.scheme)
                if found:
                    proxy_url = _check_proxy(found)
        if proxy_url is not None:
            creds = BasicAuth.from_url(proxy_url)
            if creds is not None:
                proxy_auth = proxy_auth or creds
                proxy_url = proxy_url.with_user(None)
        return proxy_url, proxy_auth

    async def _one_request(
        self, hop: _Hop, options: _Options, history: list[ClientResponse]
    ) -> ClientResponse:
        """Send one request (no redirects) through the middlewares; the response head."""
        if (
            self._trust_env
            and hop.auth is None
            and hdrs.AUTHORIZATION not in hop.headers
            and hdrs.AUTHORIZATION not in hop.session_headers
        ):
            # As aiohttp: credentials for the host from .netrc (NETRC names the file).
            hop.auth = await anyio.to_thread.run_sync(_netrc_auth, hop.url.raw_host or "")
        req = self._client_request(hop, options)
        if not options.middlewares:
            return await self._dispatch(options, history, req)
        send: ClientHandlerType = functools.partial(self._dispatch, options, history)
        try:
            return await build_client_middlewares(send, options.middlewares)(req)
        except (RuntimeError, TypeError, AttributeError) as exc:
            if not on_asyncio():  # a middleware's asyncio.sleep, say: tell what to do
                note_asyncio_under_trio(exc)
            raise
        finally:
            hop.body = req.payload  # a middleware may have replaced it

    def _client_request(self, hop: _Hop, options: _Options) -> ClientRequest:
        """The request a hop sends: its headers, cookies and credentials, its proxy."""
        url = hop.url
        req_headers = build_headers(
            url, hop.session_headers, hop.headers, options.skip, hop.body, hop.method,
            chunked=options.chunked, compress=options.compress, expect100=options.expect100,
        )  # fmt: skip
        self._add_cookies(req_headers, url, hop.cookies)
        if hop.auth is not None and hdrs.AUTHORIZATION not in req_headers:
            req_headers[hdrs.AUTHORIZATION] = hop.auth.encode()
        force_close = self._connector.force_close
        if force_close != (self._version == HttpVersion10) and hdrs.CONNECTION not in req_headers:
            # As aiohttp, where the version's default is not what the pool does:
            # HTTP/1.1 keeps a connection unless told, HTTP/1.0 closes it.
            req_headers[hdrs.CONNECTION] = "close" if force_close else "keep-alive"
        proxy_url, proxy_auth = self._proxy_for(url, options.proxy, options.proxy_auth)
        proxy_headers = options.proxy_headers
        return ClientRequest(
            hop.method, url, req_headers, hop.body, self, hop.auth, options.skip,
            options.chunked, options.compress, proxy_url, proxy_auth,
            CIMultiDict(proxy_headers) if proxy_headers else None, options.ssl,
            options.server_hostname, self._version,
        )  # fmt: skip

    async def _dispatch(
        self, options: _Options, history: list[ClientResponse], req: ClientRequest
    ) -> ClientResponse:
        """The innermost handler: send ``req`` on a pooled connection, read the head."""
        body = req.payload
        if body is not None and options.uploading:
            await _stop_uploads(options.uploading)  # the body is sent anew, not twice at once
        if body is not None and not body.rewind():
            raise ClientPayloadError(
                "Cannot send a consumed request body again: use bytes or a seekable file"
            )
        return await self._sender(req, options, history)

    def _sender(
        self, req: ClientRequest, options: _Options, history: Sequence[ClientResponse]
    ) -> Coroutine[Any, Any, ClientResponse]:
        """What sends ``req`` and returns its response: await it at once (it may hold a
        connection). A request without a body or traces goes on a kept-alive connection
        ready now if there is one (:meth:`_send_ready`), else on one checked out."""
        key, target, request_info = self._route(req)
        if req.payload is None and not options.traces and not options.upgrade:
            conn = self._connector.take_ready(key)
            if conn is not None:
                return self._send_ready(conn, req, key, target, request_info, options, history)
        return self._send(req, key, target, request_info, options, history)

    def _route(self, req: ClientRequest) -> tuple[ConnectionKey, str, RequestInfo]:
        """Where ``req`` goes: its pool key, its request target, what is requested.

        Through a plain-HTTP proxy the target is the absolute URL and the
        proxy's headers join the request's.
        """
        url = req.url
        is_ssl = url.scheme == "https"
        proxy_url, proxy_auth, proxy_headers = req.proxy, req.proxy_auth, req.proxy_headers
        headers_hash = hash(tuple(proxy_headers.items())) if proxy_headers else None
        key = ConnectionKey(
            url.raw_host or "", url.port, is_ssl, req.ssl if is_ssl else True,
            proxy_url, proxy_auth, headers_hash, req.server_hostname if is_ssl else None,
        )  # fmt: skip
        target = url.raw_path_qs or "/"
        headers = req.headers
        if proxy_url is not None and not is_ssl:
            target = str(url.origin()) + target  # absolute-form (RFC 9112 3.2.2)
            if proxy_auth is not None:
                headers[hdrs.PROXY_AUTHORIZATION] = proxy_auth.encode()
            for name, value in (proxy_headers or {}).items():
                headers[name] = value
        request_info = RequestInfo(url, req.method, CIMultiDictProxy(headers), req.original_url)
        return key, target, request_info

    def _response(
        self,
        req: ClientRequest,
        exchange: HTTP11Exchange,
        head: ResponseHead,
        request_info: RequestInfo,
        history: Sequence[ClientResponse],
        options: _Options,
    ) -> ClientResponse:
        """The response to ``req``; the cookies it sets go to the jar."""
        auto_decompress = options.auto_decompress
        resp = ClientResponse(
            req.method, req.original_url, head, exchange, request_info, history, options.traces,
            self._auto_decompress if auto_decompress is None else auto_decompress,
            options.read_bufsize or self._read_bufsize, self._fallback_charset_resolver,
            options.read_until_eof,
        )  # fmt: skip
        set_cookies = head.headers.getall(hdrs.SET_COOKIE, ())
        if set_cookies:
            self._cookie_jar.update_cookies_from_headers(set_cookies, req.url)
        return resp

    async def _send_ready(
        self, conn: Connection, req: ClientRequest, key: ConnectionKey, target: str,
        request_info: RequestInfo, options: _Options, history: Sequence[ClientResponse],
    ) -> ClientResponse:  # fmt: skip
        """Send ``req`` (no body) on ``conn``, a kept-alive connection taken ready; its response.

        No cancel scope for the total timeout: the reads and writes time
        their own waits. A connection the server had closed is replaced by a
        fresh one, once, for an idempotent method (unless ``_retry_connection``
        is off).
        """
        exchange = HTTP11Exchange(
            conn, request_info, options.limits, options.timeout, options.deadline, self._now,
            self._http10,
        )  # fmt: skip
        head: ResponseHead | None
        try:
            head = await exchange.send_request(req.method, target, req.headers, None, url=req.url)
        except ServerDisconnectedError:
            conn.close()
            if not self._retry_connection or req.method not in _IDEMPOTENT:
                raise
            head = None
        except BaseException:
            conn.close()
            raise
        if head is None:
            return await self._send(req, key, target, request_info, options, history, attempts=1)
        return self._response(req, exchange, head, request_info, history, options)

    async def _send(
        self,
        req: ClientRequest,
        key: ConnectionKey,
        target: str,
        request_info: RequestInfo,
        options: _Options,
        history: Sequence[ClientResponse],
        attempts: int | None = None,
    ) -> ClientResponse:
        """Check out a connection (waiting for one if need be), send ``req`` on it and read
        the head: its response. Within ``attempts`` (two for an idempotent request that can
        be sent again), again on a fresh one when a kept-alive connection turns out closed
        by the server."""
        method, body, traces, deadline = req.method, req.payload, options.traces, options.deadline
        if attempts is None:
            replayable = body is None or body.replayable
            retry = self._retry_connection and replayable and method in _IDEMPOTENT
            attempts = 2 if retry else 1
        for attempt in range(attempts):
            # One cancel scope carries the total timeout over connecting,
            # sending and reading the head (none at all without a total).
            with self._deadline_scope(deadline):
                conn = await self._connect(key, options.timeout, traces)
                exchange = HTTP11Exchange(
                    conn, request_info, options.limits, options.timeout, options.deadline,
                    self._now, self._http10,
                )  # fmt: skip
                try:
                    head = await exchange.send_request(
                        method, target, req.headers, body, url=req.url,
                        expect100=options.expect100, compress=options.compress,
                        traces=traces, upgrade=options.upgrade,
                    )  # fmt: skip
                except ServerDisconnectedError:
                    await exchange.abort()  # its upload ended before the body is rewound
                    if conn.reused and attempt + 1 < attempts and (body is None or body.rewind()):
                        continue  # a kept-alive connection the server had closed: again, fresh
                    raise
                except BaseException:
                    exchange.close()
                    raise
                resp = self._response(req, exchange, head, request_info, history, options)
                if body is not None and not resp.upload_complete.done():
                    options.uploading.append(resp)
                return resp
            raise ServerTimeoutError(f"Total timeout of {options.timeout.total} seconds exceeded")
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _add_cookies(self, headers: CIMultiDict[str], url: URL, cookies: Any) -> None:
        if not cookies and not self._cookie_jar:
            return  # nothing to send (an empty jar answers this without a scan)
        jar_cookies = self._cookie_jar.filter_cookies(url)
        if cookies:
            extra: SimpleCookie = SimpleCookie()
            items = cookies.items() if isinstance(cookies, Mapping | BaseCookie) else cookies
            for name, value in items:
                if isinstance(value, Morsel):
                    dict.__setitem__(extra, name, value)
                else:
                    extra[name] = value
            for name, morsel in extra.items():
                dict.__setitem__(jar_cookies, name, morsel)
        if not jar_cookies:
            return
        value = "; ".join(f"{m.key}={m.coded_value}" for m in jar_cookies.values())
        existing = headers.get(hdrs.COOKIE)
        headers[hdrs.COOKIE] = f"{existing}; {value}" if existing else value

    async def _connect(
        self, key: ConnectionKey, timeout: ClientTimeout, traces: list[Trace]
    ) -> Connection:
        if timeout.connect is None:
            return await self._connector.connect(key, timeout=timeout, traces=traces)
        with anyio.move_on_after(timeout.connect):
            return await self._connector.connect(key, timeout=timeout, traces=traces)
        raise ConnectionTimeoutError(f"Connection timeout to host {key.host}:{key.port}")

    # -- conveniences ---------------------------------------------------------------

    def detach(self) -> None:
        """Forget the connector without closing it (aiohttp compatibility)."""
        self._connector_owner = False


class _NoScope:
    """Stands in for a cancel scope when there is no total timeout."""

    def __enter__(self) -> _NoScope:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


_NO_SCOPE: Final = _NoScope()


def _anyio_deadline_scope(deadline: float) -> AbstractContextManager[object]:
    return _NO_SCOPE if deadline == math.inf else anyio.CancelScope(deadline=deadline)


def _trio_deadline_scope(deadline: float) -> AbstractContextManager[object]:
    # On trio, trio's own scope is what anyio's wraps, at half the cost per request.
    import trio

    return _NO_SCOPE if deadline == math.inf else trio.CancelScope(deadline=deadline)


def _check_ssl(ssl: Any) -> Any:
    """``ssl=`` as aiohttp takes it: an SSLContext, a bool, a Fingerprint, or None."""
    if ssl is not None and not isinstance(ssl, ssl_module.SSLContext | bool | Fingerprint):
        raise TypeError(
            f"ssl should be SSLContext, bool, Fingerprint or None, got {ssl!r} instead."
        )
    return ssl


def _ws_timeout(
    timeout: ClientWSTimeout | float | object, receive: float | None
) -> ClientWSTimeout:
    """ws_connect's timeouts: a ClientWSTimeout, or aiohttp's older float (the close timeout)."""
    if isinstance(timeout, ClientWSTimeout):
        return timeout
    if isinstance(timeout, int | float):
        return ClientWSTimeout(ws_receive=receive, ws_close=float(timeout))
    return ClientWSTimeout(ws_receive=receive)


def _ws_handshake_headers(
    headers: Any,
    key: str,
    protocols: tuple[str, ...],
    origin: str | None,
    compress: int,
    max_msg_size: int,
) -> tuple[CIMultiDict[str], BoundedPerMessageDeflate | None]:
    """The opening handshake's headers (RFC 6455 4.1), and the deflate extension offered."""
    req_headers: CIMultiDict[str] = CIMultiDict(headers or ())
    req_headers.update(
        {
            hdrs.UPGRADE: "websocket",
            hdrs.CONNECTION: "Upgrade",
            hdrs.SEC_WEBSOCKET_VERSION: "13",
            hdrs.SEC_WEBSOCKET_KEY: key,
        }
    )
    if protocols:
        req_headers[hdrs.SEC_WEBSOCKET_PROTOCOL] = ",".join(protocols)
    if origin is not None:
        req_headers[hdrs.ORIGIN] = origin
    extension: BoundedPerMessageDeflate | None = None
    if compress:
        extension = BoundedPerMessageDeflate(
            max_size=max_msg_size,
            client_max_window_bits=compress,
            server_max_window_bits=compress,
        )
        req_headers[hdrs.SEC_WEBSOCKET_EXTENSIONS] = f"permessage-deflate; {extension.offer()}"
    return req_headers, extension


def _check_ws_handshake(
    resp: ClientResponse,
    key: str,
    protocols: tuple[str, ...],
    extension: BoundedPerMessageDeflate | None,
) -> tuple[str | None, bool]:
    """Check the server's answer to an upgrade; (subprotocol, compression accepted)."""

    def fail(message: str) -> WSServerHandshakeError:
        return WSServerHandshakeError(
            resp.request_info,
            resp.history,
            status=resp.status,
            message=message,
            headers=resp.headers,
        )

    if resp.status != 101:
        raise fail("Invalid response status")
    headers = resp.headers
    if headers.get(hdrs.UPGRADE, "").lower() != "websocket":
        raise fail("Invalid upgrade header")
    if "upgrade" not in headers.get(hdrs.CONNECTION, "").lower():
        raise fail("Invalid connection header")
    if headers.get(hdrs.SEC_WEBSOCKET_ACCEPT, "") != accept_token(key):
        raise fail("Invalid challenge response")
    protocol = None
    if protocols and hdrs.SEC_WEBSOCKET_PROTOCOL in headers:
        offered = [p.strip() for p in headers[hdrs.SEC_WEBSOCKET_PROTOCOL].split(",")]
        protocol = next((p for p in offered if p in protocols), None)
    accepted = False
    answer = headers.get(hdrs.SEC_WEBSOCKET_EXTENSIONS)
    if answer:
        if extension is None or not answer.strip().startswith("permessage-deflate"):
            raise fail("Server sent an extension that was not offered")
        try:
            extension.finalize(answer)
        except Exception as exc:
            raise fail(f"Invalid deflate parameters: {exc}") from exc
        accepted = True
    return protocol, accepted


async def _discard_body(resp: ClientResponse) -> None:
    """Read a redirect's (small) body so its connection can be reused, else close it.

    A redirect that came while the request body was going out stops that
    upload (the body may be sent again).
    """
    if not resp.upload_complete.done():
        resp.close()
        await resp.upload_complete
        return
    length = resp.content_length
    if length is not None and length <= 2**16:
        try:
            await resp.read()
        except (ClientConnectionError, ClientOSError, OSError):
            resp.close()
            return
    resp.release()


def _check_proxy(proxy: str | URL) -> URL:
    """The proxy's URL; InvalidURL (before any connection) unless it is http(s)://host."""
    try:
        url = URL(proxy)
    except (ValueError, TypeError) as exc:
        raise InvalidURL(proxy) from exc
    if url.scheme not in _HTTP_SCHEMES or not url.raw_host:
        raise InvalidURL(proxy)
    return url


def _netrc_auth(host: str) -> BasicAuth | None:
    """The credentials .netrc holds for ``host`` (the file NETRC names, else ~/.netrc)."""
    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    try:
        found = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None  # no file, or one that cannot be read: no credentials (as aiohttp)
    if found is None:
        return None
    login, account, password = found
    # As aiohttp: the login, else the account field.
    username = login if (login or account is None) else account
    return BasicAuth(username or "", password or "")


async def _stop_uploads(uploading: list[ClientResponse]) -> None:
    """Close the responses whose request body is still going out, until their uploads end."""
    for resp in uploading:
        if not resp.upload_complete.done():
            resp.close()
            with anyio.CancelScope(shield=True):
                await resp.upload_complete
    uploading.clear()


def _close_when_sent(body: Payload, uploading: list[ClientResponse]) -> None:
    """Close ``body`` now, or when the last upload still sending it ends."""
    for resp in reversed(uploading):
        upload = resp.upload_complete
        if not upload.done():
            upload.add_done_callback(lambda _: body.close())
            return
    body.close()


def _merge_ssl_params(
    ssl: Any, verify_ssl: bool | None, ssl_context: Any, fingerprint: bytes | None
) -> Any:
    """aiohttp's deprecated spellings of ``ssl=`` (each a DeprecationWarning)."""
    exclusive = "verify_ssl, ssl_context, fingerprint and ssl parameters are mutually exclusive"
    if ssl is None:
        ssl = True
    if verify_ssl is not None and not verify_ssl:
        warnings.warn("verify_ssl is deprecated, use ssl=False instead", DeprecationWarning, 3)
        if ssl is not True:
            raise ValueError(exclusive)
        ssl = False
    if ssl_context is not None:
        warnings.warn("ssl_context is deprecated, use ssl=context instead", DeprecationWarning, 3)
        if ssl is not True:
            raise ValueError(exclusive)
        ssl = ssl_context
    if fingerprint is not None:
        warnings.warn(
            "fingerprint is deprecated, use ssl=Fingerprint(fingerprint) instead",
            DeprecationWarning,
            3,
        )
        if ssl is not True:
            raise ValueError(exclusive)
        ssl = Fingerprint(fingerprint)
    return ssl


def _checked_base_url(base_url: str | URL | None) -> URL | None:
    """``base_url`` as a URL; it must end with a ``/`` (or be an origin)."""
    if base_url is None:
        return None
    url = base_url if isinstance(base_url, URL) else URL(base_url)
    if not url.path.endswith("/"):
        raise ValueError("base_url must have a trailing '/' (or be an origin)")
    return url


def _session_timeout(
    timeout: ClientTimeout | object, read_timeout: float | object | None, conn_timeout: float | None
) -> ClientTimeout:
    """The session's timeouts, from ``timeout`` or aiohttp's deprecated spellings."""
    if timeout is _SENTINEL or timeout is None:
        timeout = DEFAULT_TIMEOUT
        # aiohttp's deprecated spellings, kept so old code runs.
        if read_timeout is not _SENTINEL:
            warnings.warn(
                "read_timeout is deprecated, use timeout argument instead",
                DeprecationWarning,
                stacklevel=3,
            )
            timeout = dataclasses.replace(timeout, total=cast(float | None, read_timeout))
        if conn_timeout is not None:
            warnings.warn(
                "conn_timeout is deprecated, use timeout argument instead",
                DeprecationWarning,
                stacklevel=3,
            )
            timeout = dataclasses.replace(timeout, connect=conn_timeout)
    elif read_timeout is not _SENTINEL:
        raise ValueError("read_timeout and timeout parameters conflict, please setup timeout.read")
    elif conn_timeout is not None:
        raise ValueError(
            "conn_timeout and timeout parameters conflict, please setup timeout.connect"
        )
    if not isinstance(timeout, ClientTimeout):
        raise ValueError(f"timeout parameter cannot be of {type(timeout)} type")
    return timeout


def _zero_is_no_limit(timeout: ClientTimeout) -> ClientTimeout:
    """``timeout`` with each limit of 0 (or less) made None: no limit, as aiohttp reads it."""
    values = (timeout.total, timeout.connect, timeout.sock_read, timeout.sock_connect)
    if all(value is None or value > 0 for value in values):
        return timeout
    total, connect, sock_read, sock_connect = (
        value if value is not None and value > 0 else None for value in values
    )
    return ClientTimeout(total, connect, sock_read, sock_connect)
