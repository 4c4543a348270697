"""ClientWebSocketResponse: the client side of a WebSocket, on the shared engine.

``async with session.ws_connect(url) as ws`` does the upgrade on a pooled
connection (which then leaves the pool) and enters the WebSocket engine, so
the block owns the reader (and heartbeat) tasks: it closes the WebSocket when
it ends and, however it ends (normally, by an exception, by a cancellation),
those tasks have ended when it is over. ``ws = await session.ws_connect(url)``
has no block to own them: they run in the session's task group and end with
``ws.close()`` or with the session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from .. import hdrs
from .._awaitable import AwaitableContext
from ..http.websocket import WebSocketEngine, WebSocketMethods, WSCloseCode, WSMessage
from .exceptions import ClientConnectionResetError

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from .connector import Connection
    from .response import ClientResponse

__all__ = ("ClientWSTimeout", "ClientWebSocketResponse")


@dataclass(frozen=True, slots=True)
class ClientWSTimeout:
    """WebSocket timeouts: ``ws_receive`` per receive, ``ws_close`` for the closing handshake."""

    ws_receive: float | None = None
    ws_close: float | None = 10.0


class ClientWebSocketResponse(WebSocketMethods):
    """An open client WebSocket: receive, send, close (use it with ``async with``).

    ``async with session.ws_connect(url) as ws`` gives one. It owns the
    WebSocket's connection, and a reader and (with ``heartbeat=``) a
    heartbeat task, which run in the session's pool task group. Leaving the
    block, normally, by an error or by cancellation, closes it: a Close is
    sent and its echo awaited (at most the close timeout), then the tasks
    are ended and the connection closed before the block returns. A
    cancelled ``close()`` still ends the tasks and closes the connection.
    ``close()`` may be called from any task; ``receive()`` from one task at
    a time.
    """

    def __init__(
        self,
        engine: WebSocketEngine,
        response: ClientResponse,
        connection: Connection,
        session_group: TaskGroup,
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
        # Where the tasks run when no ``async with ws_connect()`` block owns them.
        self._session_group = session_group
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
    """What ``session.ws_connect(...)`` returns: ``async with`` it (or await it).

    ``async with`` makes the block the owner of the WebSocket's tasks (they
    run in the engine's own task group, entered in the block's task);
    awaited, the session owns them.
    """

    __slots__ = ("_entered",)

    def __init__(self, coro: Any) -> None:
        super().__init__(coro)
        self._entered: WebSocketEngine | None = None

    def __await__(self) -> Generator[Any, None, ClientWebSocketResponse]:
        return self._owned_by_session().__await__()

    async def _owned_by_session(self) -> ClientWebSocketResponse:
        ws = await self._coro
        if not ws._engine.started:
            ws._engine.start(ws._session_group)
        return ws

    async def __aenter__(self) -> ClientWebSocketResponse:
        ws = await self._coro
        self._value = ws
        if not ws._engine.started:  # not already owned (a TestClient's is its session's)
            try:
                await ws._engine.__aenter__()
            except BaseException:
                ws._connection.close()
                raise
            self._entered = ws._engine
        return ws

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        ws, engine, self._entered = self._value, self._entered, None
        if ws is None:
            return
        try:
            with anyio.CancelScope(shield=True):  # bounded by close_timeout
                await ws.close()
        finally:
            if engine is not None:
                await engine.__aexit__(exc_type, exc, tb)

    def _finish(self, value: ClientWebSocketResponse) -> Awaitable[bool]:
        return value.close()


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
