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

from .. import hdrs
from .._awaitable import AwaitableContext
from ..http.websocket import WebSocketEngine, WebSocketMethods, WSCloseCode, WSMessage
from .exceptions import ClientConnectionResetError

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
        engine: WebSocketEngine,
        response: ClientResponse,
        connection: Connection,
        *,
        protocol: str | None,
        compress: int,
        receive_timeout: float | None,
    ) -> None:
        self._engine = engine
        # Sends after the close raise what aiohttp's client raises.
        engine.reset_error = ClientConnectionResetError
        self._response = response
        self._connection = connection
        self._protocol = protocol
        self._compress = (
            negotiated_window_bits(response.headers.get(hdrs.SEC_WEBSOCKET_EXTENSIONS, ""))
            if compress
            else 0
        )
        self._receive_timeout = receive_timeout

    # -- state ------------------------------------------------------------------

    @property
    def protocol(self) -> str | None:
        """The negotiated subprotocol."""
        return self._protocol

    @property
    def compress(self) -> int:
        """The negotiated permessage-deflate window bits (0: none).

        As aiohttp: the ``client_max_window_bits`` of the server's answer
        when it has one, else 15, whatever the client asked for.
        """
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

    def _engine_or_raise(self) -> WebSocketEngine:
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
        if self._engine.closed and self._engine.reader_done:
            # Over (a close() in another task may still be waiting for the
            # echo: its connection stays until then).
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


def negotiated_window_bits(answer: str) -> int:
    """The window bits of the server's permessage-deflate answer (15 when it names none).

    As aiohttp: the answer's ``client_max_window_bits``, the window this
    client compresses its messages with (RFC 7692 7.1.2.2).
    """
    for param in answer.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "client_max_window_bits" and value.strip().isdigit():
            return int(value.strip())
    return 15
