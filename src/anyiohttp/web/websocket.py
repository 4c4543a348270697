"""WebSocketResponse: the server side of a WebSocket, on the shared engine.

``await ws.prepare(request)`` checks the upgrade request, answers 101 and
hands the connection to a :class:`~anyiohttp.http.websocket.WebSocketEngine`
whose reader (and heartbeat) run in the connection's task group. The handler
then ``async for msg in ws`` and returns ``ws``; when the handler returns,
raises or is cancelled, the WebSocket is closed properly by the server.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDict
from wsproto.utilities import split_comma_header

from .. import hdrs
from ..http.stream_writer import StreamWriter
from ..http.websocket import (
    BoundedPerMessageDeflate,
    WebSocketEngine,
    WebSocketMethods,
    WSCloseCode,
    WSMessage,
    WSMessageTypeError,
    WSMsgType,
    accept_token,
)
from ..http.ws_codec import FrameCodec
from .exceptions import HTTPBadRequest, HTTPMethodNotAllowed
from .response import StreamResponse

if TYPE_CHECKING:
    from .request import BaseRequest

__all__ = ("WSMessageTypeError", "WebSocketReady", "WebSocketResponse")

_ITERATION_ENDS = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED)


class WebSocketReady(NamedTuple):
    """What ``can_prepare`` found: whether the request can be upgraded, and the protocol."""

    ok: bool
    protocol: str | None

    def __bool__(self) -> bool:
        return self.ok


class WebSocketResponse(WebSocketMethods, StreamResponse):
    """A WebSocket endpoint: prepare it, then receive and send messages.

    ``await ws.prepare(request)`` answers 101 and starts a reader and (with
    ``heartbeat=``) a heartbeat task in the connection's task group; the
    reader answers pings and the peer's Close by itself. The handler owns
    the WebSocket: when it returns, the WebSocket is closed (Close sent,
    the echo awaited at most ``timeout``) and those tasks end. A handler
    that fails closes it with 1011; the server's shutdown sends 1001 to
    every open WebSocket, which ends their ``async for`` loops. A handler
    cancelled (``request.cancel_scope``, or its client gone with
    ``handler_cancellation=True``) ends the tasks and closes the
    connection. ``close()`` may be called from any task, another
    handler's too; ``receive()`` from one task at a time.
    """

    _length_check = False

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        protocols: Iterable[str] = (),
        compress: bool = True,
        max_msg_size: int = 4 * 1024 * 1024,
        writer_limit: int = 2**16,
        decode_text: bool = True,
    ) -> None:
        super().__init__(status=101)
        self._protocols = tuple(protocols)
        self._ws_protocol: str | None = None
        self._timeout = timeout
        self._receive_timeout = receive_timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._compress_allowed = compress
        # The constructor's flag until prepare(), then the negotiated window
        # bits (0: none), as aiohttp.
        self._compress: bool | int = compress
        self._decode_text = decode_text
        self._max_msg_size = max_msg_size
        self._engine: WebSocketEngine | None = None

    # -- the handshake --------------------------------------------------------------

    def _handshake(self, request: BaseRequest) -> tuple[CIMultiDict[str], str | None, Any]:
        headers = request.headers
        if request.method != hdrs.METH_GET:
            raise HTTPMethodNotAllowed(request.method, [hdrs.METH_GET])
        if headers.get(hdrs.UPGRADE, "").lower().strip() != "websocket":
            raise HTTPBadRequest(
                text=f"No WebSocket UPGRADE hdr: {headers.get(hdrs.UPGRADE)}\n"
                ' Can "Upgrade" only to "WebSocket".'
            )
        if "upgrade" not in headers.get(hdrs.CONNECTION, "").lower():
            raise HTTPBadRequest(text=f"No CONNECTION upgrade hdr: {headers.get(hdrs.CONNECTION)}")
        protocol = None
        if self._protocols and hdrs.SEC_WEBSOCKET_PROTOCOL in headers:
            offered = [p.strip() for p in headers[hdrs.SEC_WEBSOCKET_PROTOCOL].split(",")]
            protocol = next((p for p in offered if p in self._protocols), None)
        version = headers.get(hdrs.SEC_WEBSOCKET_VERSION, "")
        if version not in ("13", "8", "7"):
            raise HTTPBadRequest(text=f"Unsupported version: {version}")
        key = headers.get(hdrs.SEC_WEBSOCKET_KEY, "")
        try:
            if not key or len(base64.b64decode(key, validate=True)) != 16:
                raise HTTPBadRequest(text=f"Handshake error: {key!r}")
        except binascii.Error:
            raise HTTPBadRequest(text=f"Handshake error: {key!r}") from None
        response_headers: CIMultiDict[str] = CIMultiDict(
            {
                hdrs.UPGRADE: "websocket",
                hdrs.CONNECTION: "upgrade",
                hdrs.SEC_WEBSOCKET_ACCEPT: accept_token(key),
            }
        )
        if protocol:
            response_headers[hdrs.SEC_WEBSOCKET_PROTOCOL] = protocol
        extension = None
        if self._compress_allowed:
            for offer in split_comma_header(
                headers.getone(hdrs.SEC_WEBSOCKET_EXTENSIONS, "").encode()
            ):
                if offer.split(";", 1)[0].strip() != "permessage-deflate":
                    continue
                candidate = BoundedPerMessageDeflate(max_size=self._max_msg_size)
                accepted = candidate.accept(offer)
                if accepted is None or accepted is False:
                    continue  # parameters we cannot honour: try the next offer
                params = "" if accepted is True else accepted
                response_headers[hdrs.SEC_WEBSOCKET_EXTENSIONS] = (
                    f"permessage-deflate; {params}" if params else "permessage-deflate"
                )
                extension = candidate
                break
        return response_headers, protocol, extension

    def can_prepare(self, request: BaseRequest) -> WebSocketReady:
        """Whether ``request`` is a WebSocket upgrade this response would accept."""
        if self._engine is not None:
            raise RuntimeError("Already started")
        try:
            _, protocol, _ = self._handshake(request)
        except (HTTPBadRequest, HTTPMethodNotAllowed):
            return WebSocketReady(False, None)
        return WebSocketReady(True, protocol)

    async def prepare(self, request: BaseRequest) -> StreamWriter:
        """Answer 101 and start the WebSocket (reader and heartbeat tasks)."""
        if self._engine is not None or self._req is not None:
            return await super().prepare(request)
        connection = request._conn
        headers, protocol, extension = self._handshake(request)
        # Whatever set_status() said before: the handshake's answer is a 101.
        self.set_status(101)
        self._headers.update(headers)
        self._ws_protocol = protocol
        # The window the peer's messages to us may use (its offer's
        # server_max_window_bits, else 15), which aiohttp reports.
        self._compress = extension.server_max_window_bits if extension is not None else 0
        writer = await super().prepare(request)
        stream, trailing = await connection.take_over()
        conn = FrameCodec(
            False, [extension] if extension is not None else [], trailing_data=trailing
        )
        self._engine = WebSocketEngine(
            stream,
            conn,
            max_msg_size=self._max_msg_size,
            autoping=self._autoping,
            autoclose=self._autoclose,
            heartbeat=self._heartbeat,
            close_timeout=self._timeout,
            decode_text=self._decode_text,
        )
        connection.adopt_websocket(self._engine)
        return writer

    # -- state ------------------------------------------------------------------

    @property
    def ws_protocol(self) -> str | None:
        """The negotiated subprotocol."""
        return self._ws_protocol

    @property
    def compress(self) -> bool | int:
        """The constructor's flag before prepare(); then the negotiated window bits (0: none)."""
        return self._compress

    @property
    def closed(self) -> bool:
        """True once closed (see ``WebSocketEngine``); False before prepare()."""
        return self._engine is not None and self._engine.closed

    @property
    def close_code(self) -> int | None:
        """The close code, once closed."""
        return self._engine.close_code if self._engine is not None else None

    def exception(self) -> BaseException | None:
        """The error that ended the WebSocket, if any."""
        return self._engine.exception() if self._engine is not None else None

    def _engine_or_raise(self) -> WebSocketEngine:
        if self._engine is None:
            raise RuntimeError("Call .prepare() first")
        return self._engine

    # -- sending ----------------------------------------------------------------

    async def close(
        self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True
    ) -> bool:
        """Close (from any task); returns False if it was already closed."""
        if self._engine is None:
            raise RuntimeError("Call .prepare() first")
        return await self._engine.close(code, message)

    # -- receiving --------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message (one task at a time); TimeoutError after ``timeout``."""
        engine = self._engine_or_raise()
        return await engine.receive(timeout if timeout is not None else self._receive_timeout)

    async def __anext__(self) -> WSMessage:
        engine = self._engine
        if engine is None or type(self).receive is not WebSocketResponse.receive:
            return await super().__anext__()  # (a subclass's own receive() is honoured)
        # receive() without the layer between: one frame less to wait in.
        msg = await engine.receive(self._receive_timeout)
        if msg.type in _ITERATION_ENDS:
            raise StopAsyncIteration
        return msg

    # -- the StreamResponse side ------------------------------------------------

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Not for WebSockets."""
        raise RuntimeError("Cannot call .write() for websocket")

    async def write_eof(self, data: bytes = b"") -> None:
        """Close the WebSocket (the server calls this when the handler returns)."""
        if self._engine is not None and not self._engine.closed:
            await self._engine.close()
