"""The WebSocket engine both sides share: wsproto over a byte stream.

Once the HTTP upgrade is done, a :class:`WebSocketProtocol` owns the stream:

- a reader task turns bytes into wsproto events, assembles messages (with
  ``max_msg_size`` enforced as the fragments arrive, decompression included)
  and puts them in a small queue; it answers pings and close frames itself,
  under the write lock, so a slow consumer cannot stall them;
- an optional heartbeat task pings every ``heartbeat`` seconds and closes the
  connection (1006, abnormal closure) when no pong comes back in time;
- ``receive()`` takes the next message from the queue (one task at a time);
  ``send_*()`` from any number of tasks go out one frame at a time through
  the write lock;
- ``close()`` from any task: mark closing, send Close under the lock, wake
  the receiver, wait for the peer's echo (or ``timeout``), close the stream.

Both tasks run in a task group owned by the connection (the server's
connection task group, or the client session's) and are stopped when the
WebSocket ends: ``close()`` and ``stop()`` return only once they have.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import zlib
from collections import deque
from collections.abc import Callable
from typing import Any, Final, NamedTuple

import anyio
from anyio.abc import ByteStream, TaskGroup
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol

from .._stream import callback_stream, direct_stream

__all__ = (
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "WebSocketError",
    "WebSocketMethods",
    "WebSocketProtocol",
)

READ_SIZE: Final = 65536
QUEUE_SIZE: Final = 16
_CLOSED_RECEIVES_BEFORE_ERROR: Final = 5


_WS_GUID: Final = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 1.3


def accept_token(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key`` (RFC 6455 4.2.2)."""
    digest = hashlib.sha1((key + _WS_GUID).encode()).digest()
    return base64.b64encode(digest).decode()


class WSMsgType(enum.IntEnum):
    """Message types, with aiohttp's values."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102


class WSCloseCode(enum.IntEnum):
    """Close codes (RFC 6455 7.4.1 and the IANA registry), with aiohttp's names."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMessage(NamedTuple):
    """A received message: its type, its data and the extra (close reason)."""

    type: WSMsgType
    data: Any
    extra: Any

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """The data parsed as JSON."""
        return loads(self.data)


WS_CLOSED_MESSAGE: Final = WSMessage(WSMsgType.CLOSED, None, None)
WS_CLOSING_MESSAGE: Final = WSMessage(WSMsgType.CLOSING, None, None)


class WSMessageTypeError(TypeError):
    """``receive_str()`` and friends got a message of another type."""


class WebSocketError(Exception):
    """A WebSocket protocol error, with the close code it calls for."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.args[1])


class BoundedPerMessageDeflate(PerMessageDeflate):
    """permessage-deflate whose inflation stops at ``max_size`` per message.

    wsproto inflates each received chunk whole; a small compressed frame can
    expand a thousandfold. Here no more than the message size limit is ever
    inflated: past it the connection is closed with 1009.
    """

    def __init__(self, max_size: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_size = max_size
        self._inflated = 0

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | FrameProtocol, data: bytes
    ) -> bytes | CloseReason:
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        if not self.max_size:
            return super().frame_inbound_payload_data(proto, data)
        assert self._decompressor is not None
        budget = self.max_size - self._inflated + 1
        try:
            out = self._decompressor.decompress(bytes(data), budget)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        self._inflated += len(out)
        if self._decompressor.unconsumed_tail or self._inflated > self.max_size:
            return CloseReason.MESSAGE_TOO_BIG
        return out

    def frame_inbound_complete(
        self, proto: FrameDecoder | FrameProtocol, fin: bool
    ) -> bytes | CloseReason | None:
        result = super().frame_inbound_complete(proto, fin)
        if isinstance(result, bytes):
            self._inflated += len(result)
            if self.max_size and self._inflated > self.max_size:
                return CloseReason.MESSAGE_TOO_BIG
        if fin:
            self._inflated = 0
        return result


class _Queue:
    """The messages between the reader task and ``receive()``.

    A deque and an Event made only when someone waits: cheaper per message
    than a memory object stream. ``put`` waits while the queue is full (the
    backpressure); once closed, puts are dropped and gets return the closing
    message.
    """

    __slots__ = ("_items", "_space", "_waiter", "closed_with")

    def __init__(self) -> None:
        self._items: deque[WSMessage] = deque()
        self._waiter: anyio.Event | None = None
        self._space: anyio.Event | None = None
        self.closed_with: WSMessage | None = None

    @property
    def full(self) -> bool:
        """True while a put would wait."""
        return len(self._items) >= QUEUE_SIZE and self.closed_with is None

    def put_nowait(self, message: WSMessage) -> None:
        """Add ``message`` (the caller checked :attr:`full`); dropped once closed."""
        if self.closed_with is not None:
            return
        self._items.append(message)
        if self._waiter is not None:
            self._waiter.set()
            self._waiter = None

    async def put(self, message: WSMessage) -> None:
        while len(self._items) >= QUEUE_SIZE and self.closed_with is None:
            self._space = space = anyio.Event()
            await space.wait()
        if self.closed_with is not None:
            return
        self._items.append(message)
        if self._waiter is not None:
            self._waiter.set()
            self._waiter = None

    async def get(self) -> WSMessage:
        while not self._items:
            if self.closed_with is not None:
                return self.closed_with
            self._waiter = waiter = anyio.Event()
            await waiter.wait()
        message = self._items.popleft()
        if self._space is not None:
            self._space.set()
            self._space = None
        return message

    def close(self, message: WSMessage) -> None:
        """No more messages: waiters get ``message`` once the queue is empty."""
        if self.closed_with is None:
            self.closed_with = message
        for event in (self._waiter, self._space):
            if event is not None:
                event.set()
        self._waiter = self._space = None


class WebSocketProtocol:
    """One WebSocket connection after the handshake (server or client side)."""

    def __init__(
        self,
        stream: ByteStream,
        conn: Connection,
        *,
        max_msg_size: int = 4 * 1024 * 1024,
        autoping: bool = True,
        autoclose: bool = True,
        heartbeat: float | None = None,
        close_timeout: float = 10.0,
        timeout_error: Callable[[str], BaseException] = TimeoutError,
    ) -> None:
        self._stream = stream
        # Our own TCP stream: a send that does not have to wait needs no lock.
        self._direct = direct_stream(stream)
        self._conn = conn
        self._max_msg_size = max_msg_size
        self._autoping = autoping
        self._autoclose = autoclose
        self._heartbeat = heartbeat
        self._close_timeout = close_timeout
        self._timeout_error = timeout_error
        self._queue = _Queue()
        self._write_lock = anyio.Lock(fast_acquire=True)
        self._scope = anyio.CancelScope()
        self._done = anyio.Event()
        # Set when the reader task (and the heartbeat it holds) has returned:
        # stop() waits for it, so nothing the WebSocket started outlives it.
        self._finished = anyio.Event()
        self._runner: anyio.TaskInfo | None = None
        self._pong = anyio.Event()
        self._closing = False
        self._closed = False
        self._close_code: int | None = None
        self._exception: BaseException | None = None
        self._receiving = False
        self._closed_receives = 0
        self._stream_closed = False
        self._fail_reason: tuple[int, str] | None = None
        self._failure_closed = anyio.Event()
        # The message being received (its parts so far) and what the stream's
        # callback left for the reader task.
        self._parts: list[Any] = []
        self._size = 0
        self._deferred: Any = None

    # -- state ------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once closing began (by either side) or the connection broke."""
        return self._closed or self._closing

    @property
    def close_code(self) -> int | None:
        """The close code, once known."""
        return self._close_code

    def exception(self) -> BaseException | None:
        """The error that ended the connection, if any."""
        return self._exception

    @property
    def close_timeout(self) -> float:
        """How long a closing handshake may take."""
        return self._close_timeout

    # -- the tasks ----------------------------------------------------------------

    def start(self, task_group: TaskGroup) -> None:
        """Start the reader (and heartbeat) in ``task_group``."""
        task_group.start_soon(self._run)

    async def _run(self) -> None:
        self._runner = anyio.get_current_task()
        try:
            try:
                with self._scope:
                    if self._heartbeat:
                        async with anyio.create_task_group() as tg:
                            tg.start_soon(self._beat, self._heartbeat)
                            await self._read_loop()
                            tg.cancel_scope.cancel()
                    else:
                        await self._read_loop()
            finally:
                self._queue.close(WS_CLOSED_MESSAGE)
                self._done.set()
                with anyio.CancelScope(shield=True):
                    await self._close_stream()
        finally:
            self._finished.set()

    async def wait_closed(self) -> None:
        """Wait until the reader ended (the closing handshake is over, or the stream broke)."""
        await self._done.wait()

    async def stop(self) -> None:
        """End the tasks and close the stream (after a close, or to abandon it).

        Returns once the reader and heartbeat tasks have returned (soon: they
        are cancelled and the stream is closed), so whoever owns the
        WebSocket ends with nothing of it left running.
        """
        self._scope.cancel()
        self._queue.close(WS_CLOSED_MESSAGE)
        await self._close_stream()
        runner = self._runner
        # Only a reader that began runs its finally: on asyncio a task
        # cancelled before its first step never does (and holds nothing).
        if runner is not None and runner.id != anyio.get_current_task().id:
            await self._finished.wait()

    async def _close_stream(self) -> None:
        if not self._stream_closed:
            self._stream_closed = True
            await anyio.aclose_forcefully(self._stream)

    async def _read_loop(self) -> None:
        # On our asyncio stream, frames are parsed in the stream's callback
        # while the reader waits, and a message goes straight to the task in
        # receive(): one task switch per message instead of two. Anything
        # that needs to wait (a ping to answer, a close, a full queue, an
        # error) is handed back to this task.
        stream = self._stream
        in_place = callback_stream(stream)
        try:
            while True:
                event = self._deferred
                if event is not None:
                    self._deferred = None
                    if not await self._handle(event):
                        return
                for event in self._conn.events():
                    if not await self._handle(event):
                        return
                if in_place is not None and not in_place.has_unread:
                    in_place.set_data_callback(self._on_data)
                try:
                    data_in = await stream.receive(READ_SIZE)
                except (
                    anyio.EndOfStream,
                    anyio.BrokenResourceError,
                    anyio.ClosedResourceError,
                    OSError,
                ):
                    data_in = None
                finally:
                    if in_place is not None:
                        in_place.set_data_callback(None)
                if data_in is None:
                    if self._deferred is not None:
                        continue  # handle what the callback left before the end
                    if not self._closing:
                        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                    self._closed = True
                    return
                event = self._deferred
                if event is not None:
                    # What the callback left comes before any newer bytes
                    # (after a Close, wsproto takes no more).
                    self._deferred = None
                    if not await self._handle(event):
                        return
                    for event in self._conn.events():
                        if not await self._handle(event):
                            return
                if data_in:
                    self._conn.receive_data(data_in)
        finally:
            if in_place is not None:
                in_place.set_data_callback(None)

    def _on_data(self, data: bytes) -> None:
        """Bytes in the stream's callback: messages out at once, the rest to the task."""
        stream = callback_stream(self._stream)
        assert stream is not None
        try:
            self._conn.receive_data(data)
            for event in self._conn.events():
                if not self._take_now(event):
                    # This one waits for the task (which also parses what follows).
                    self._deferred = event
                    break
            else:
                return
        except Exception as exc:
            # Not in the event loop's callback: the reader task raises it,
            # as it would have had it parsed these bytes itself.
            self._deferred = _Raise(exc)
        stream.set_data_callback(None)
        stream.wake_reader()

    def _take_now(self, event: Any) -> bool:
        """Handle ``event`` without waiting if that is possible (else change nothing)."""
        if isinstance(event, TextMessage | BytesMessage):
            size = self._size + len(event.data)
            if self._max_msg_size and size > self._max_msg_size:
                return False
            if event.message_finished:
                if self._queue.full:
                    return False
                self._queue.put_nowait(self._assemble(event))
                return True
            self._parts.append(event.data)
            self._size = size
            return True
        if isinstance(event, Pong) and self._autoping:
            self._pong.set()
            return True
        return False

    def _assemble(self, event: TextMessage | BytesMessage) -> WSMessage:
        """The whole message that ``event`` (its last part) ends."""
        parts = self._parts
        if isinstance(event, TextMessage):
            data: Any = event.data if not parts else "".join([*parts, event.data])
            kind = WSMsgType.TEXT
        else:
            data = event.data if not parts else b"".join([*parts, event.data])
            kind = WSMsgType.BINARY
        parts.clear()
        self._size = 0
        return WSMessage(kind, data, "")

    async def _handle(self, event: Any) -> bool:
        """Handle one event from wsproto; False once reading is over."""
        if self._take_now(event):
            return True
        # What is left has to wait: an error, a message over the limit or for
        # a full queue, a ping to answer, a close.
        if isinstance(event, _Raise):
            raise event.error
        if isinstance(event, TextMessage | BytesMessage):
            size = self._size + len(event.data)
            if self._max_msg_size and size > self._max_msg_size:
                await self._fail(
                    WSCloseCode.MESSAGE_TOO_BIG,
                    f"Message size {size} exceeds limit {self._max_msg_size}",
                )
                return False
            await self._queue.put(self._assemble(event))  # the last part, the queue full
        elif isinstance(event, Ping):
            if self._autoping:
                await self._send_event(event.response())
            else:
                await self._queue.put(WSMessage(WSMsgType.PING, bytes(event.payload), ""))
        elif isinstance(event, Pong):  # with autoping off (else taken above)
            self._pong.set()
            await self._queue.put(WSMessage(WSMsgType.PONG, bytes(event.payload), ""))
        elif isinstance(event, CloseConnection):
            await self._on_close(event)
            return False
        return True

    async def _on_close(self, event: CloseConnection) -> None:
        if self._conn.state is ConnectionState.OPEN:
            # wsproto reports what it could not parse as a CloseConnection
            # while the connection is still open: our side fails it.
            code = event.code
            if code == WSCloseCode.ABNORMAL_CLOSURE:
                code = WSCloseCode.PROTOCOL_ERROR
            await self._fail(code, event.reason or "Protocol error")
            return
        if self._closing:
            return  # the echo of our own close
        self._close_code = event.code
        self._closed = True
        if self._autoclose:
            await self._send_event(event.response())
        await self._queue.put(WSMessage(WSMsgType.CLOSE, event.code, event.reason or ""))
        self._queue.close(WS_CLOSED_MESSAGE)

    async def _fail(self, code: int, reason: str) -> None:
        """_Fail the WebSocket Connection_ over what the peer sent (1002, 1007, 1009).

        The error goes into the queue after the messages that came before it,
        so the application handles those first; the Close frame goes out when
        the application receives the error (or after ``close_timeout`` if it
        does not), and then the stream is closed without reading further
        ("the endpoint ... SHOULD NOT try to read more data" -- RFC 6455 7.1.7).
        """
        self._exception = WebSocketError(code, reason)
        self._close_code = code
        self._fail_reason = (code, reason[:100])
        await self._queue.put(WSMessage(WSMsgType.ERROR, self._exception, None))
        self._queue.close(WS_CLOSED_MESSAGE)
        with anyio.move_on_after(self._close_timeout):
            await self._failure_closed.wait()
        await self._send_failure_close()

    async def _send_failure_close(self) -> None:
        if self._failure_closed.is_set() or self._fail_reason is None:
            return
        self._failure_closed.set()
        self._closing = True
        self._closed = True
        code, reason = self._fail_reason
        try:
            await self._send_event(CloseConnection(code=code, reason=reason))
        except ConnectionResetError:
            pass

    async def _beat(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            self._pong = pong = anyio.Event()
            try:
                await self._send_event(Ping(payload=b""))
            except ConnectionResetError:
                return
            with anyio.move_on_after(interval / 2):
                await pong.wait()
            if not pong.is_set():
                # No pong in time: the peer (or the path to it) is gone.
                self._exception = self._timeout_error("No PONG received after heartbeat")
                self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                self._closed = True
                await self._queue.put(WSMessage(WSMsgType.ERROR, self._exception, None))
                self._queue.close(WS_CLOSED_MESSAGE)
                self._scope.cancel()
                return

    # -- sending --------------------------------------------------------------------

    async def _send_event(self, event: Any) -> None:
        direct = self._direct
        if direct is not None and not self._write_lock.locked():
            # Serializing and handing the frame over happen with no await in
            # between, so frames cannot interleave; the lock is for waiting.
            try:
                data = self._conn.send(event)
            except Exception as exc:  # wsproto: the state does not allow it any more
                raise ConnectionResetError("Cannot write to closing transport") from exc
            try:
                direct.write(data)
                if direct.writing_paused:
                    async with self._write_lock:
                        await direct.drain()
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                raise ConnectionResetError("Cannot write to closing transport") from exc
            return
        async with self._write_lock:
            try:
                data = self._conn.send(event)
            except Exception as exc:  # wsproto: the state does not allow it any more
                raise ConnectionResetError("Cannot write to closing transport") from exc
            try:
                await self._stream.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                raise ConnectionResetError("Cannot write to closing transport") from exc

    async def send_message(self, data: str | bytes) -> None:
        """Send a text (str) or binary (bytes) message."""
        if self._closing or self._closed:
            raise ConnectionResetError("Cannot write to closing transport")
        await self._send_event(_message(data))

    async def ping(self, payload: bytes = b"") -> None:
        """Send a ping."""
        await self._send_event(Ping(payload=payload))

    async def pong(self, payload: bytes = b"") -> None:
        """Send an unsolicited pong."""
        await self._send_event(Pong(payload=payload))

    # -- receiving ------------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message; ``timeout`` (seconds) raises TimeoutError."""
        if self._receiving:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        if self._queue.closed_with is not None and not self._queue._items:
            self._closed_receives += 1
            if self._closed_receives > _CLOSED_RECEIVES_BEFORE_ERROR:
                raise RuntimeError("WebSocket connection is closed.")
        self._receiving = True
        try:
            msg = await self._next(timeout)
        finally:
            self._receiving = False
        if msg.type is WSMsgType.ERROR and self._fail_reason is not None:
            await self._send_failure_close()
        return msg

    async def _next(self, timeout: float | None) -> WSMessage:
        if timeout is None:
            return await self._queue.get()
        with anyio.move_on_after(timeout):
            return await self._queue.get()
        raise TimeoutError

    # -- closing --------------------------------------------------------------------

    async def close(self, code: int = WSCloseCode.OK, message: bytes | str = b"") -> bool:
        """Close: send Close, wake the receiver, wait for the echo; False if already closed."""
        if self._closing:
            # Closing already (another task's close, or the peer's): let that
            # handshake finish, then make sure the tasks are over when this
            # returns too, as the end of an ``async with`` relies on.
            try:
                with anyio.move_on_after(self._close_timeout):
                    await self._done.wait()
            finally:
                with anyio.CancelScope(shield=True):
                    await self.stop()
            return False
        self._closing = True
        if self._close_code is None:
            self._close_code = code
        reason = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        self._queue.close(WS_CLOSING_MESSAGE)
        try:
            if not self._closed:
                await self._send_event(CloseConnection(code=code, reason=reason))
            with anyio.move_on_after(self._close_timeout):
                await self._done.wait()  # the reader ends on the echo (or a broken stream)
        except ConnectionResetError:
            pass
        finally:
            self._closed = True
            with anyio.CancelScope(shield=True):
                await self.stop()
        return True


class _Raise(NamedTuple):
    """An error from the stream's callback, for the reader task to raise."""

    error: Exception


def _message(data: str | bytes) -> Message[Any]:
    if isinstance(data, str):
        return TextMessage(data=data)
    return BytesMessage(data=bytes(data))


class WebSocketMethods:
    """The message API both WebSocketResponse and ClientWebSocketResponse offer.

    Subclasses provide ``_engine_or_raise()`` (the engine, or a clear error
    when there is none yet) and ``receive()``.
    """

    def _engine_or_raise(self) -> WebSocketProtocol:
        raise NotImplementedError

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message (one task at a time)."""
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        """True once closing started (either side)."""
        return self._engine_or_raise().closed

    @property
    def close_code(self) -> int | None:
        """The close code, once closed."""
        return self._engine_or_raise().close_code

    def exception(self) -> BaseException | None:
        """The error that ended the WebSocket, if any."""
        return self._engine_or_raise().exception()

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a text message."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        await self._engine_or_raise().send_message(data)

    async def send_bytes(self, data: bytes, compress: int | None = None) -> None:
        """Send a binary message."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        await self._engine_or_raise().send_message(bytes(data))

    async def send_json(
        self,
        data: Any,
        compress: int | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> None:
        """Send ``data`` as a JSON text message."""
        await self.send_str(dumps(data), compress=compress)

    async def send_frame(
        self, message: bytes, opcode: WSMsgType, compress: int | None = None
    ) -> None:
        """Send one message of type ``opcode`` (TEXT, BINARY, PING or PONG)."""
        engine = self._engine_or_raise()
        if opcode is WSMsgType.TEXT:
            await engine.send_message(message.decode("utf-8"))
        elif opcode is WSMsgType.BINARY:
            await engine.send_message(message)
        elif opcode is WSMsgType.PING:
            await engine.ping(message)
        elif opcode is WSMsgType.PONG:
            await engine.pong(message)
        else:
            raise ValueError(f"Cannot send a frame of type {opcode!r}")

    async def ping(self, message: bytes = b"") -> None:
        """Send a ping."""
        await self._engine_or_raise().ping(message)

    async def pong(self, message: bytes = b"") -> None:
        """Send a pong."""
        await self._engine_or_raise().pong(message)

    async def _receive_typed(self, kind: WSMsgType, timeout: float | None) -> Any:
        msg = await self.receive(timeout)
        if msg.type is not kind:
            raise WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.{kind.name}"
            )
        return msg.data

    async def receive_str(self, *, timeout: float | None = None) -> str:
        """The next message, which must be text."""
        return str(await self._receive_typed(WSMsgType.TEXT, timeout))

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """The next message, which must be binary."""
        return bytes(await self._receive_typed(WSMsgType.BINARY, timeout))

    async def receive_json(
        self, *, loads: Callable[[str], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        """The next text message, parsed as JSON."""
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> WebSocketMethods:
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
        return msg
