"""ClientWebSocketResponse: the client side of a WebSocket, on the shared engine.

``async with session.ws_connect(url) as ws`` does the upgrade on a pooled
connection (which then leaves the pool), starts the reader (and heartbeat)
in the session's task group, and closes the WebSocket when the block ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..http.websocket import WebSocketProtocol, WSCloseCode, WSMessage, WSMsgType
from ..web.websocket import WSMessageTypeError

if TYPE_CHECKING:
    from .connector import Connection
    from .response import ClientResponse

__all__ = ("ClientWSTimeout", "ClientWebSocketResponse")


@dataclass(frozen=True, slots=True)
class ClientWSTimeout:
    """WebSocket timeouts: ``ws_receive`` per receive, ``ws_close`` for the closing handshake."""

    ws_receive: float | None = None
    ws_close: float | None = 10.0


class ClientWebSocketResponse:
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
    def closed(self) -> bool:
        """True once closing started (either side)."""
        return self._engine.closed

    @property
    def close_code(self) -> int | None:
        """The close code, once closed."""
        return self._engine.close_code

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

    def exception(self) -> BaseException | None:
        """The error that ended the WebSocket, if any."""
        return self._engine.exception()

    # -- sending ----------------------------------------------------------------

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a text message."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        await self._engine.send_message(data)

    async def send_bytes(self, data: bytes, compress: int | None = None) -> None:
        """Send a binary message."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        await self._engine.send_message(bytes(data))

    async def send_json(
        self, data: Any, compress: int | None = None, *, dumps: Callable[[Any], str] = json.dumps
    ) -> None:
        """Send ``data`` as a JSON text message."""
        await self.send_str(dumps(data))

    async def send_frame(
        self, message: bytes, opcode: WSMsgType, compress: int | None = None
    ) -> None:
        """Send one message of type ``opcode``."""
        if opcode is WSMsgType.TEXT:
            await self._engine.send_message(message.decode("utf-8"))
        elif opcode is WSMsgType.BINARY:
            await self._engine.send_message(message)
        elif opcode is WSMsgType.PING:
            await self._engine.ping(message)
        elif opcode is WSMsgType.PONG:
            await self._engine.pong(message)
        else:
            raise ValueError(f"Cannot send a frame of type {opcode!r}")

    async def ping(self, message: bytes = b"") -> None:
        """Send a ping."""
        await self._engine.ping(message)

    async def pong(self, message: bytes = b"") -> None:
        """Send a pong."""
        await self._engine.pong(message)

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

    async def receive_str(self, *, timeout: float | None = None) -> str:
        """The next message, which must be text."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.TEXT:
            raise WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT"
            )
        return str(msg.data)

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """The next message, which must be binary."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.BINARY:
            raise WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.BINARY"
            )
        return bytes(msg.data)

    async def receive_json(
        self, *, loads: Callable[[str], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        """The next text message, parsed as JSON."""
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> ClientWebSocketResponse:
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
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


class WSRequestContextManager:
    """What ``session.ws_connect(...)`` returns: ``async with`` it (or await it)."""

    __slots__ = ("_coro", "_ws")

    def __init__(self, coro: Coroutine[Any, Any, ClientWebSocketResponse]) -> None:
        self._coro = coro
        self._ws: ClientWebSocketResponse | None = None

    def __await__(self) -> Generator[Any, None, ClientWebSocketResponse]:
        return self._coro.__await__()

    async def __aenter__(self) -> ClientWebSocketResponse:
        self._ws = await self._coro
        return self._ws

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            await self._ws.close()
