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
from .http.multipart import BodyPartReader, MultipartReader
from .http.parser import HttpVersion, HttpVersion10, HttpVersion11
from .http.payload import MultipartWriter
from .http.streams import EofStream, StreamReader
from .http.websocket import WebSocketError, WSCloseCode, WSMessage, WSMessageTypeError, WSMsgType

__all__ = [
    "BodyPartReader",
    "MultipartReader",
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
