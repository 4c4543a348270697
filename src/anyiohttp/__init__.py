"""anyiohttp: aiohttp's HTTP client/server framework on anyio.

One application runs unchanged on asyncio and on trio. The server lives in
``anyiohttp.web``; this module carries the client (``ClientSession`` and its
pool, timeouts, cookies, tracing, the ClientError tree) and shared types.
"""

#: The version of anyiohttp (PEP 440).
__version__ = "0.1.0.dev0"

from typing import TYPE_CHECKING, Any

from . import hdrs
from .client import (
    BaseConnector,
    BasicAuth,
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientHandlerType,
    ClientHttpProxyError,
    ClientMiddlewareType,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientRequest,
    ClientResponse,
    ClientResponseError,
    ClientSession,
    ClientSSLError,
    ClientTimeout,
    Connection,
    ConnectionKey,
    ConnectionTimeoutError,
    ContentTypeError,
    CookieJar,
    DefaultResolver,
    DigestAuthMiddleware,
    DummyCookieJar,
    Fingerprint,
    FormData,
    InvalidURL,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    RedirectClientError,
    RequestInfo,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    SocketTimeoutError,
    TCPConnector,
    ThreadedResolver,
    TooManyRedirects,
    Trace,
    TraceConfig,
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
    TraceRequestChunkSentParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestHeadersSentParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    TraceResponseChunkReceivedParams,
    UnixClientConnectorError,
    UnixConnector,
    WSServerHandshakeError,
)
from .client.websocket import ClientWebSocketResponse, ClientWSTimeout
from .helpers import ETag, encode_basic_auth
from .http.exceptions import HttpProcessingError
from .http.multipart import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    BodyPartReader,
    MultipartReader,
    content_disposition_filename,
    parse_content_disposition,
)
from .http.parser import HttpVersion, HttpVersion10, HttpVersion11
from .http.payload import (
    AsyncIterablePayload,
    BytesPayload,
    MultipartWriter,
    Payload,
    StringPayload,
    get_payload,
)
from .http.streams import EMPTY_PAYLOAD, EofStream, StreamReader
from .http.websocket import WebSocketError, WSCloseCode, WSMessage, WSMessageTypeError, WSMsgType

if TYPE_CHECKING:
    from .worker import GunicornWebWorker as GunicornWebWorker

__all__ = [
    "EMPTY_PAYLOAD",
    "AsyncIterablePayload",
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BaseConnector",
    "BasicAuth",
    "BodyPartReader",
    "BytesPayload",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHandlerType",
    "ClientHttpProxyError",
    "ClientMiddlewareType",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientRequest",
    "ClientResponse",
    "ClientResponseError",
    "ClientSSLError",
    "ClientSession",
    "ClientTimeout",
    "ClientWSTimeout",
    "ClientWebSocketResponse",
    "Connection",
    "ConnectionKey",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "CookieJar",
    "DefaultResolver",
    "DigestAuthMiddleware",
    "DummyCookieJar",
    "ETag",
    "EofStream",
    "Fingerprint",
    "FormData",
    "HttpProcessingError",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "MultipartReader",
    "MultipartWriter",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "Payload",
    "RedirectClientError",
    "RequestInfo",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "StreamReader",
    "StringPayload",
    "TCPConnector",
    "ThreadedResolver",
    "TooManyRedirects",
    "Trace",
    "TraceConfig",
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
    "UnixClientConnectorError",
    "UnixConnector",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "WSServerHandshakeError",
    "WebSocketError",
    "__version__",
    "content_disposition_filename",
    "encode_basic_auth",
    "get_payload",
    "hdrs",
    "parse_content_disposition",
]


def __getattr__(name: str) -> Any:
    # anyiohttp.GunicornWebWorker, as aiohttp has it, made on first use:
    # anyiohttp.worker imports gunicorn and the server (anyiohttp.web), which
    # a client-only program never loads. Not in __all__, so that the API
    # reference documents it where it lives, in anyiohttp.worker.
    if name == "GunicornWebWorker":
        from .worker import GunicornWebWorker

        return GunicornWebWorker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
