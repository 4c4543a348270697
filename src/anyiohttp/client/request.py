"""Building a client request: timeouts, headers and the body (sent by client/exchange.py)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from .. import __version__, hdrs
from ..http.compression import brotli_available
from ..http.payload import BytesPayload, FormData, Payload, StringPayload, get_payload

__all__ = ("DEFAULT_TIMEOUT", "ClientTimeout", "build_body", "build_headers")

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
    """The request headers in aiohttp's order: Host, user headers, automatic ones, framing."""
    result: CIMultiDict[str] = CIMultiDict()
    if hdrs.HOST not in skip_auto_headers:
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
    for name, value in (
        (hdrs.ACCEPT, "*/*"),
        (hdrs.ACCEPT_ENCODING, ACCEPT_ENCODING),
        (hdrs.USER_AGENT, SERVER_SOFTWARE),
    ):
        if name not in result and name not in skip_auto_headers:
            result[name] = value
    if compress:
        result[hdrs.CONTENT_ENCODING] = "deflate" if compress is True else str(compress)
        chunked = True
    if body is not None:
        if (
            hdrs.CONTENT_TYPE not in result
            and body.content_type
            and hdrs.CONTENT_TYPE not in skip_auto_headers
        ):
            result[hdrs.CONTENT_TYPE] = body.content_type
        if chunked or (body.size is None and hdrs.CONTENT_LENGTH not in result):
            if hdrs.CONTENT_LENGTH in result:
                raise ValueError("chunked can not be set if Content-Length header is set")
            result[hdrs.TRANSFER_ENCODING] = "chunked"
        elif hdrs.CONTENT_LENGTH not in result:
            result[hdrs.CONTENT_LENGTH] = str(body.size)
    else:
        if method not in GET_METHODS and hdrs.CONTENT_LENGTH not in result:
            result[hdrs.CONTENT_LENGTH] = "0"
        if (
            method in _POST_METHODS
            and hdrs.CONTENT_TYPE not in result
            and hdrs.CONTENT_TYPE not in skip_auto_headers
        ):
            result[hdrs.CONTENT_TYPE] = "application/octet-stream"  # as aiohttp, even empty
    if expect100:
        result[hdrs.EXPECT] = "100-continue"
    return result


_POST_METHODS: Final = frozenset({hdrs.METH_PATCH, hdrs.METH_POST, hdrs.METH_PUT})


def _default_port(url: URL) -> bool:
    return (url.scheme in ("http", "ws") and url.port == 80) or (
        url.scheme in ("https", "wss") and url.port == 443
    )
