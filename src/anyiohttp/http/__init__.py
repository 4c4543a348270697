"""What the server and the client share: parsing, writing, streams, WebSocket framing.

Public names as ``aiohttp.http`` has them.
"""

from .parser import HttpVersion, HttpVersion10, HttpVersion11
from .websocket import WebSocketError, WSCloseCode, WSMessage, WSMsgType

__all__ = [
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
]
