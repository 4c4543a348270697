"""anyiohttp: aiohttp's HTTP client/server framework on anyio.

One application runs unchanged on asyncio and on trio. The server lives in
``anyiohttp.web``; this module carries the client (``ClientSession`` and its
pool, timeouts, cookies, tracing, the ClientError tree) and shared types.
"""

__version__ = "0.1.0.dev0"

from . import hdrs
from .client import *  # noqa: F403 - the client's public names are ours
from .client import __all__ as _client_names
from .client.websocket import ClientWebSocketResponse, ClientWSTimeout
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
from .http.streams import EofStream, StreamReader
from .http.websocket import WebSocketError, WSCloseCode, WSMessage, WSMessageTypeError, WSMsgType

__all__ = [
    "AsyncIterablePayload",
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPartReader",
    "BytesPayload",
    "MultipartReader",
    "Payload",
    "StringPayload",
    "content_disposition_filename",
    "get_payload",
    "parse_content_disposition",
    "ClientWSTimeout",
    "ClientWebSocketResponse",
    "EofStream",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "WebSocketError",
    "HttpProcessingError",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "MultipartWriter",
    "StreamReader",
    "__version__",
    "hdrs",
    *_client_names,
]
