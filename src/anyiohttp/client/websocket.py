"""ClientWebSocketResponse: the client side of a WebSocket, on the shared engine.

``async with session.ws_connect(url) as ws`` does the upgrade on a pooled
connection (which then leaves the pool), starts the reader (and heartbeat)
in the session's task group, and closes the WebSocket when the block ends:
however the block ends (normally, by an exception, by a cancellation), the
reader and heartbeat tasks have ended when it is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._awaitable import AwaitableContext
from ..http.websocket import WebSocketMethods, WebSocketProtocol, WSCloseCode, WSMessage, WSMsgType

if TYPE_CHECKING:
    from .connector import Connection
    from .response import ClientResponse

__all__ = ("ClientWSTimeout", "ClientWebSocketResponse")


@dataclass(frozen=True, slots=True)
class ClientWSTimeout:
    """WebSocket timeouts: ``ws_receive`` per receive, ``ws_close`` for the closing handshake."""

    ws_receive: float | None = None
    ws_close: float | None = 10.0


class ClientWebSocketResponse(WebSocketMethods):
    """An open client WebSocket: receive, send, close (use it with ``async with``)."""

    def __init__(
        self,
        engine: WebSocketProtocol,
        response: ClientResponse,
        connection: Connection,
        *,
        protocol: str | None,
        compress: int,
        receive_timeout: float | None,
    ) -> None:
        self._engine = engine
        self._response = response
        self._connection = connection
        self._protocol = protocol
        self._compress = compress
        self._receive_timeout = receive_timeout

    # -- state ------------------------------------------------------------------

    @property
    def protocol(self) -> str | None:
        """The negotiated subprotocol."""
        return self._protocol

    @property
    def compress(self) -> int:
        """The negotiated permessage-deflate window bits (0: none)."""
        return self._compress

    @property
    def client_notakeover(self) -> bool:
        """Always False (no context takeover is not requested)."""
        return False

    @property
    def response(self) -> ClientResponse:
        """The handshake response (101)."""
        return self._response

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Connection details by asyncio transport names (``peername`` ...)."""
        from anyio.abc import SocketAttribute

        attribute = {
            "peername": SocketAttribute.remote_address,
            "sockname": SocketAttribute.local_address,
        }.get(name)
        if attribute is None:
            return default
        return self._connection.stream.extra(attribute, default)

    def _engine_or_raise(self) -> WebSocketProtocol:
        return self._engine

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"") -> bool:
        """Close (from any task); False if it was already closed."""
        try:
            return await self._engine.close(code, message)
        finally:
            self._connection.close()

    # -- receiving --------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message (one task at a time)."""
        msg = await self._engine.receive(timeout if timeout is not None else self._receive_timeout)
        if msg.type in (WSMsgType.CLOSED, WSMsgType.ERROR) and self._engine.closed:
            self._connection.close()
        return msg

    async def __aenter__(self) -> ClientWebSocketResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class WSRequestContextManager(AwaitableContext[ClientWebSocketResponse]):
    """What ``session.ws_connect(...)`` returns: ``async with`` it (or await it)."""

    __slots__ = ()

    async def _finish(self, value: ClientWebSocketResponse) -> None:
        await value.close()
