"""What the server and the client share: parsing, writing, streams, WebSocket framing.

Public names as ``aiohttp.http`` has them.
"""

from .parser import HttpVersion, HttpVersion10, HttpVersion11
from .websocket import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)

__all__ = [
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
]
