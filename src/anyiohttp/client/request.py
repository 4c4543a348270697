"""Building a client request: timeouts, headers and the body (sent by client/exchange.py)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from .. import __version__, hdrs
from ..helpers import BasicAuth
from ..http.compression import brotli_available
from ..http.parser import HttpVersion, HttpVersion11
from ..http.payload import BytesPayload, FormData, Payload, StringPayload, get_payload
from .exceptions import RequestInfo

if TYPE_CHECKING:
    from .session import ClientSession

__all__ = (
    "DEFAULT_TIMEOUT",
    "ClientRequest",
    "ClientTimeout",
    "build_body",
    "build_headers",
    "frame_body",
    "skip_set",
)

SERVER_SOFTWARE: Final = (
    f"Python/{sys.version_info[0]}.{sys.version_info[1]} anyiohttp/{__version__}"
)
GET_METHODS: Final = frozenset({hdrs.METH_GET, hdrs.METH_HEAD, hdrs.METH_OPTIONS, hdrs.METH_TRACE})


@dataclass(frozen=True, slots=True)
class ClientTimeout:
    """Client timeouts in seconds (None: no limit), as aiohttp's.

    ``total``: the whole request, body included; ``connect``: getting a
    connection (waiting for a pool slot included); ``sock_connect``: the TCP
    connect and TLS handshake; ``sock_read``: the longest wait for data from
    the server. ``ceil_threshold`` is accepted for aiohttp code and has no
    effect (a DeprecationWarning when set): timeouts fire at their exact time
    rather than rounded up to a whole second.
    """

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5

    def __post_init__(self) -> None:
        if self.ceil_threshold != 5:
            warnings.warn(
                "ClientTimeout(ceil_threshold=) has no effect: timeouts fire at their exact time",
                DeprecationWarning,
                stacklevel=3,
            )


DEFAULT_TIMEOUT: Final = ClientTimeout(total=5 * 60, sock_connect=30)


def _accept_encoding() -> str:
    # br only when responses can decode it in bounded steps (brotli >= 1.2).
    return "gzip, deflate, br" if brotli_available() else "gzip, deflate"


ACCEPT_ENCODING: Final = _accept_encoding()
_AUTO_HEADERS: Final = (
    (hdrs.ACCEPT, "accept", "*/*"),
    (hdrs.ACCEPT_ENCODING, "accept-encoding", ACCEPT_ENCODING),
    (hdrs.USER_AGENT, "user-agent", SERVER_SOFTWARE),
)


def skip_set(names: Iterable[str]) -> frozenset[str]:
    """Header names not to add automatically, lower-cased (they match in any case)."""
    return frozenset(name.lower() for name in names)


def build_body(
    method: str,
    data: Any,
    json_data: Any,
    json_serialize: Callable[[Any], str],
    json_serialize_bytes: Callable[[Any], bytes] | None = None,
) -> Payload | None:
    """The payload for ``data=`` or ``json=`` (at most one of them).

    ``json_serialize_bytes`` (orjson.dumps, say) wins over ``json_serialize``.
    """
    if data is not None and json_data is not None:
        raise ValueError("data and json parameters can not be used at the same time")
    if json_data is not None:
        if json_serialize_bytes is not None:
            return BytesPayload(json_serialize_bytes(json_data), content_type="application/json")
        return StringPayload(json_serialize(json_data), content_type="application/json")
    if data is None:
        return None
    if isinstance(data, FormData):
        return data()
    if isinstance(data, Mapping | MultiDict | MultiDictProxy) or (
        isinstance(data, list | tuple) and data and isinstance(data[0], tuple | list)
    ):
        return FormData(data)()
    return get_payload(data)


def build_headers(
    url: URL,
    session_headers: CIMultiDict[str],
    headers: Any,
    skip_auto_headers: frozenset[str],
    body: Payload | None,
    method: str,
    *,
    chunked: bool | None,
    compress: str | bool | None,
    expect100: bool,
) -> CIMultiDict[str]:
    """The request headers in aiohttp's order: Host, user headers, automatic ones, framing.

    ``skip_auto_headers`` holds lower-cased names (see :func:`skip_set`).
    """
    result: CIMultiDict[str] = CIMultiDict()
    if "host" not in skip_auto_headers:
        host = url.raw_host or ""
        if ":" in host:
            host = f"[{host}]"
        if url.explicit_port is not None and not _default_port(url):
            host = f"{host}:{url.port}"
        result[hdrs.HOST] = host
    result.update(session_headers)
    if headers:
        given = (
            headers if isinstance(headers, CIMultiDict | CIMultiDictProxy) else CIMultiDict(headers)
        )
        for name in set(given):
            result.popall(name, None)
        result.extend(given)
    for name, lowered, value in _AUTO_HEADERS:
        if name not in result and lowered not in skip_auto_headers:
            result[name] = value
    if compress:
        result[hdrs.CONTENT_ENCODING] = "deflate" if compress is True else str(compress)
        chunked = True
    if body is not None or method not in GET_METHODS:  # else nothing to describe
        frame_body(result, body, method, skip_auto_headers, chunked=chunked)
    if expect100:
        result[hdrs.EXPECT] = "100-continue"
    return result


def frame_body(
    headers: CIMultiDict[str],
    body: Payload | None,
    method: str,
    skip_auto_headers: frozenset[str],
    *,
    chunked: bool | None,
) -> None:
    """Set the headers that describe ``body``: its Content-Type and its framing."""
    if body is not None:
        if (
            hdrs.CONTENT_TYPE not in headers
            and body.content_type
            and "content-type" not in skip_auto_headers
        ):
            headers[hdrs.CONTENT_TYPE] = body.content_type
        if chunked or (body.size is None and hdrs.CONTENT_LENGTH not in headers):
            if hdrs.CONTENT_LENGTH in headers:
                raise ValueError("chunked can not be set if Content-Length header is set")
            headers[hdrs.TRANSFER_ENCODING] = "chunked"
        elif hdrs.CONTENT_LENGTH not in headers:
            headers[hdrs.CONTENT_LENGTH] = str(body.size)
        return
    if method not in GET_METHODS and hdrs.CONTENT_LENGTH not in headers:
        headers[hdrs.CONTENT_LENGTH] = "0"
    if (
        method in _POST_METHODS
        and hdrs.CONTENT_TYPE not in headers
        and "content-type" not in skip_auto_headers
    ):
        headers[hdrs.CONTENT_TYPE] = "application/octet-stream"  # as aiohttp, even empty


_POST_METHODS: Final = frozenset({hdrs.METH_PATCH, hdrs.METH_POST, hdrs.METH_PUT})


def _default_port(url: URL) -> bool:
    return (url.scheme in ("http", "ws") and url.port == 80) or (
        url.scheme in ("https", "wss") and url.port == 443
    )


class ClientRequest:
    """One request about to be sent, as client middlewares see it (aiohttp's ClientRequest).

    A middleware may change :attr:`headers` (add an ``Authorization``, say),
    :attr:`method` and :attr:`url`, or the body with :meth:`update_body`,
    and call the handler again: the body is sent anew from its start (a
    body that cannot be replayed, an async iterable once sent, is
    ClientPayloadError). Cookies, credentials and the automatic headers are
    already in :attr:`headers`.

    The session makes it with positional arguments (the hot path: a call
    with many keyword arguments costs CPython several times as much).
    """

    __slots__ = (
        "_body",
        "_session",
        "_skip_auto_headers",
        "auth",
        "chunked",
        "compress",
        "headers",
        "method",
        "original_url",
        "proxy",
        "proxy_auth",
        "proxy_headers",
        "server_hostname",
        "ssl",
        "url",
        "version",
    )

    def __init__(
        self,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: Payload | None,
        session: ClientSession,
        auth: BasicAuth | None = None,
        skip_auto_headers: frozenset[str] = frozenset(),
        chunked: bool | None = None,
        compress: str | bool | None = None,
        proxy: URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: CIMultiDict[str] | None = None,
        ssl: Any = True,
        server_hostname: str | None = None,
        version: HttpVersion = HttpVersion11,
    ) -> None:
        self.method = method
        #: The URL as requested (a fragment included); :attr:`url` is without it.
        self.original_url = url
        self.url = url.with_fragment(None) if url.raw_fragment else url
        self.headers = headers
        self._body = body
        self._session = session
        self._skip_auto_headers = skip_auto_headers
        self.auth = auth
        self.chunked = chunked
        self.compress = compress
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        self.proxy_headers = proxy_headers
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.version = version

    def __repr__(self) -> str:
        return f"<ClientRequest {self.method} {self.url}>"

    @property
    def session(self) -> ClientSession:
        """The session sending it (a middleware may make requests of its own with it)."""
        return self._session

    @property
    def body(self) -> Payload | bytes:
        """The body to send (``b""`` when there is none)."""
        return b"" if self._body is None else self._body

    @property
    def payload(self) -> Payload | None:
        """The body as a Payload, or None."""
        return self._body

    async def update_body(self, body: Any) -> None:
        """Send ``body`` instead (bytes, str, a file, a FormData ... or None).

        The body given before is closed, and the framing headers
        (Content-Length, Transfer-Encoding) follow the new one.
        """
        if self._body is not None:
            self._body.close()
        if isinstance(body, FormData):
            payload: Payload | None = body()
        else:
            payload = None if body is None else get_payload(body)
        if payload is not None:
            payload.keep_open()  # a middleware may send it again; closed when the request ends
        self._body = payload
        self.headers.popall(hdrs.CONTENT_LENGTH, None)
        if "chunked" in self.headers.get(hdrs.TRANSFER_ENCODING, "").lower():
            del self.headers[hdrs.TRANSFER_ENCODING]
        frame_body(
            self.headers,
            payload,
            self.method,
            self._skip_auto_headers,
            chunked=bool(self.chunked or self.compress),
        )

    @property
    def skip_auto_headers(self) -> frozenset[str]:
        """The automatic headers left out."""
        return self._skip_auto_headers

    def is_ssl(self) -> bool:
        """True for an https URL."""
        return self.url.scheme in ("https", "wss")

    @property
    def host(self) -> str:
        """The host of the URL."""
        return self.url.raw_host or ""

    @property
    def port(self) -> int | None:
        """The port of the URL."""
        return self.url.port

    @property
    def request_info(self) -> RequestInfo:
        """What is requested (a snapshot of the headers)."""
        return RequestInfo(self.url, self.method, CIMultiDictProxy(self.headers), self.original_url)
