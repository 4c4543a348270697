"""The WebSocket engine both sides share: wsproto over a byte stream.

Once the HTTP upgrade is done, a :class:`WebSocketEngine` owns the stream:

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

The engine is an async context manager that owns both tasks: ``async with
engine:`` runs them in a task group of its own and, at the end of the block,
closes the WebSocket if the application did not, and waits for them (the
client's ``async with session.ws_connect(...)`` block is such an owner).
Where no block can span the WebSocket's life (the server's handler returns
from ``prepare()``; an awaited ``ws_connect()``), :meth:`WebSocketEngine.start`
runs them in an owner's task group instead (the server connection's, the
client session's). Either way ``close()`` and ``stop()`` return only once
they have ended.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import zlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from types import TracebackType
from typing import Any, Final, NamedTuple

import anyio
from anyio.abc import ByteStream, TaskGroup
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection, Ping, Pong
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason, Frame, FrameDecoder, FrameProtocol, Opcode

from .._groups import single_error, start_soon_bare
from .._lazy_event import LazyEvent
from .._stream import callback_stream, direct_stream
from .._waiter import Waiter, new_waiter
from .stream_writer import SEND_ERRORS, send_all, transport_closed
from .streams import EofStream
from .ws_codec import FrameCodec

__all__ = (
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "WSState",
    "WebSocketEngine",
    "WebSocketError",
    "WebSocketMethods",
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

    # aiohttp's lower-case spellings, which older aiohttp code still uses:
    # aliases of the members above (``WSMsgType.text is WSMsgType.TEXT``).
    text = TEXT
    binary = BINARY
    ping = PING
    pong = PONG
    close = CLOSE
    closing = CLOSING
    closed = CLOSED
    error = ERROR


_CONN_OPEN: Final = ConnectionState.OPEN
_TEXT: Final = WSMsgType.TEXT
_BINARY: Final = WSMsgType.BINARY


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


#: What ``receive()`` returns once the WebSocket is closed.
WS_CLOSED_MESSAGE: Final = WSMessage(WSMsgType.CLOSED, None, None)
#: What a ``receive()`` waiting in another task returns when ``close()`` starts
#: (the closing handshake is under way).
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


# What ends the reader's reading: the peer gone, the stream closed under it.
_READ_ERRORS: Final = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    OSError,
)
# The reader's heartbeat group when there is no heartbeat.
_NO_GROUP: Final[AbstractAsyncContextManager[None]] = nullcontext()


class _Queue:
    """The messages between the reader task and ``receive()``.

    A list and a waiter made when someone first waits: cheaper per message
    than a memory object stream (or an anyio.Event per wait). ``put`` waits
    while the queue is full (the backpressure); once closed, puts are
    dropped and gets return the closing message.
    """

    __slots__ = ("_items", "_space", "_waiter", "closed_with")

    def __init__(self) -> None:
        # A list, not a deque: at most QUEUE_SIZE items, and an empty deque
        # is 624 bytes for every idle WebSocket.
        self._items: list[WSMessage] = []
        self._waiter: Waiter | None = None  # the one get() waits on
        self._space: anyio.Event | None = None
        self.closed_with: WSMessage | None = None

    @property
    def full(self) -> bool:
        """True while a put would wait."""
        return len(self._items) >= QUEUE_SIZE and self.closed_with is None

    def offer(self, message: WSMessage) -> bool:
        """Add ``message`` unless the queue is full (False then); dropped once closed."""
        items = self._items
        if self.closed_with is not None:
            return True
        if len(items) >= QUEUE_SIZE:
            return False
        items.append(message)
        if self._waiter is not None:
            self._waiter.wake()
        return True

    def put_nowait(self, message: WSMessage) -> None:
        """Add ``message`` (the caller checked :attr:`full`); dropped once closed."""
        if self.closed_with is not None:
            return
        self._items.append(message)
        if self._waiter is not None:
            self._waiter.wake()

    async def put(self, message: WSMessage) -> None:
        while len(self._items) >= QUEUE_SIZE and self.closed_with is None:
            self._space = space = anyio.Event()
            await space.wait()
        if self.closed_with is not None:
            return
        self._items.append(message)
        if self._waiter is not None:
            self._waiter.wake()

    async def get(self) -> WSMessage:
        while not self._items:
            if self.closed_with is not None:
                # The reader may have ended because the receiver's own scope
                # was cancelled (an ``async with ws_connect()`` block owns
                # it): the receiver must see that cancellation, not a quiet
                # CLOSED that lets the cancelled block run on.
                await anyio.lowlevel.checkpoint_if_cancelled()
                return self.closed_with
            waiter = self._waiter
            if waiter is None:
                waiter = self._waiter = new_waiter()
            await waiter.wait()
        message = self._items.pop(0)
        if self._space is not None:
            self._space.set()
            self._space = None
        return message

    def close(self, message: WSMessage) -> None:
        """No more messages: waiters get ``message`` once the queue is empty."""
        if self.closed_with is None:
            self.closed_with = message
        if self._waiter is not None:
            self._waiter.wake()
        if self._space is not None:
            self._space.set()
            self._space = None


class WSState(enum.Enum):
    """Where a WebSocket stands, as its application has seen it (aiohttp's states).

    The reader task learns of the peer's Close, of a broken stream or of a
    protocol error before the application does; the state moves when the
    application meets them, in order, through ``receive()`` (or when it
    calls ``close()``), so ``closed`` and ``close_code`` never run ahead of
    the messages still queued before them.
    """

    OPEN = "open"
    #: The application received the peer's Close but has not closed (``autoclose=False``).
    CLOSING = "closing"
    #: ``close()`` was called, the peer's Close was received with autoclose,
    #: the connection failed, or the heartbeat got no pong.
    CLOSED = "closed"


class _Wire(enum.Enum):
    """How the connection itself ended, as the reader task saw it."""

    OPEN = "open"
    PEER_CLOSED = "peer closed"  # the peer sent Close first
    ECHOED = "echoed"  # the peer answered our Close
    BROKEN = "broken"  # the stream ended (or was stopped) without a Close


class WebSocketEngine:
    """One WebSocket connection after the handshake (server or client side).

    It owns one task, and that task owns the reader and the heartbeat. The
    task runs in the engine's own task group inside ``async with engine:``
    (the block closes the WebSocket, code 1000, if the application did not,
    and returns once the tasks have ended), or in an owner's task group given
    to :meth:`start` (the server connection's, an awaited ``ws_connect()``'s
    session). :meth:`close` and :meth:`stop` return once the tasks have
    ended, so the owner ends with nothing of it left running. A cancelled
    block still sends Close and waits ``close_timeout`` at most for the echo
    (as aiohttp's ``async with ws_connect()``), then aborts.

    ``closed``, ``close_code`` and ``exception()`` follow aiohttp: see
    :class:`WSState` for when they change. Sends after the application
    closed raise ``reset_error`` ("Cannot write to closing transport"); a
    send after the peer's Close arrived, before the application received it,
    is dropped without an error, as aiohttp lets it through to a peer that
    no longer reads.
    """

    # Slots, and events and a lock made only when waited for: an idle
    # WebSocket lives as long as its connection, and each of these was a
    # few hundred bytes for every one of them.
    __slots__ = (
        "_answered",
        "_autoclose",
        "_autoping",
        "_close_code",
        "_close_timeout",
        "_closed_receives",
        "_conn",
        "_decode_text",
        "_deferred",
        "_direct",
        "_done",
        "_exception",
        "_fail_reason",
        "_failure",
        "_failure_closed",
        "_finished",
        "_heartbeat",
        "_max_msg_size",
        "_parts",
        "_peer_code",
        "_pong",
        "_queue",
        "_receiving",
        "_runner",
        "_scope",
        "_sent_close",
        "_size",
        "_started",
        "_state",
        "_stream",
        "_stream_closed",
        "_task_group",
        "_timeout_error",
        "_wire",
        "_write_lock",
        "reset_error",
    )

    def __init__(
        self,
        stream: ByteStream,
        conn: FrameCodec,
        *,
        max_msg_size: int = 4 * 1024 * 1024,
        autoping: bool = True,
        autoclose: bool = True,
        heartbeat: float | None = None,
        close_timeout: float = 10.0,
        timeout_error: Callable[[str], BaseException] = TimeoutError,
        decode_text: bool = True,
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
        self._decode_text = decode_text
        #: What sends raise once the WebSocket is closed (the client makes it
        #: ClientConnectionResetError, as aiohttp raises).
        self.reset_error: Callable[[str], BaseException] = ConnectionResetError
        self._queue = _Queue()
        self._write_lock: anyio.Lock | None = None  # made by _lock() when first needed
        self._scope = anyio.CancelScope()
        self._done = LazyEvent()
        # Set when the reader task (and the heartbeat it holds) has returned:
        # stop() waits for it, so nothing the WebSocket started outlives it.
        self._finished = LazyEvent()
        self._runner: anyio.TaskInfo | None = None
        self._started = False
        self._task_group: TaskGroup | None = None  # inside ``async with engine``
        self._pong = LazyEvent()
        # What the application sees (aiohttp's closed / close_code / exception()).
        self._state = WSState.OPEN
        self._close_code: int | None = None
        self._exception: BaseException | None = None
        self._receiving = False
        self._closed_receives = 0
        # What happened on the wire (the reader task's view).
        self._wire = _Wire.OPEN
        self._peer_code: int | None = None
        self._sent_close = False
        # With autoclose off, the reader keeps the stream open after the
        # peer's Close until the application answers it with close().
        self._answered = LazyEvent()
        self._stream_closed = False
        self._failure: WebSocketError | None = None
        self._fail_reason: tuple[int, str] | None = None
        self._failure_closed = LazyEvent()
        # The message being received (its parts so far) and what the stream's
        # callback left for the reader task.
        self._parts: list[Any] = []
        self._size = 0
        self._deferred: Any = None

    # -- state ------------------------------------------------------------------

    @property
    def state(self) -> WSState:
        """Where the WebSocket stands, as the application has seen it."""
        return self._state

    @property
    def closed(self) -> bool:
        """True once the application closed, met the peer's Close (autoclose) or an error."""
        return self._state is WSState.CLOSED

    @property
    def close_code(self) -> int | None:
        """The close code, once known (1006 when the connection ended without a handshake)."""
        return self._close_code

    def exception(self) -> BaseException | None:
        """The error that ended the connection, if any."""
        return self._exception

    @property
    def close_timeout(self) -> float:
        """How long a closing handshake may take."""
        return self._close_timeout

    @property
    def _is_client(self) -> bool:
        return self._conn.client

    def _peer_closed_first(self) -> bool:
        """True when the peer's Close came before ours (a method: it changes across awaits).

        wsproto knows it as soon as it parsed the frame, which may be before
        the reader task handled the event (it waits in the stream callback).
        """
        if self._wire is _Wire.PEER_CLOSED:
            return True
        return not self._sent_close and self._conn.state is not ConnectionState.OPEN

    # -- the tasks ----------------------------------------------------------------

    @property
    def started(self) -> bool:
        """True once the tasks were started (by :meth:`start` or ``async with``)."""
        return self._started

    def start(self, task_group: TaskGroup, *, shielded: bool = False) -> None:
        """Start the reader (and heartbeat) in ``task_group``, an owner's.

        For owners whose lifetime no ``async with`` block spans; ``async
        with engine:`` is the other way (not both, and only once).
        ``shielded``: cancelling ``task_group`` does not reach the tasks;
        only :meth:`stop` (or :meth:`close`) ends them, which the owner
        must then call, cancelled or not.
        """
        if self._started:
            raise RuntimeError("This WebSocket's tasks are already started")
        self._started = True
        self._scope.shield = shielded
        start_soon_bare(task_group, self._run)

    async def __aenter__(self) -> WebSocketEngine:
        if self._started:
            raise RuntimeError("This WebSocket's tasks are already started")
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        self.start(task_group)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task_group, self._task_group = self._task_group, None
        if task_group is None:
            raise RuntimeError("This WebSocket was not entered with 'async with'")
        try:
            # Shielded: a cancelled block still says goodbye, bounded by close().
            with anyio.CancelScope(shield=True):
                if self._state is not WSState.CLOSED:
                    await self.close()
                await self.stop()
        finally:
            # The block's own error leaves as itself, not wrapped in the
            # ExceptionGroup our task group would make of it.
            with single_error():
                await task_group.__aexit__(exc_type, exc, tb)

    async def _run(self) -> None:
        # The reader task. It reads in this, its own frame (one frame less
        # for each idle WebSocket to hold); a heartbeat runs beside it in a
        # task group of its own.
        # On our asyncio stream, frames are parsed in the stream's callback
        # while the reader waits, and a message goes straight to the task in
        # receive(): one task switch per message instead of two. Anything
        # that needs to wait (a ping to answer, a close, a full queue, an
        # error) is handed back to this task.
        self._runner = anyio.get_current_task()
        stream = self._stream
        in_place = callback_stream(stream)
        heartbeat = self._heartbeat
        try:
            try:
                with self._scope:
                    async with anyio.create_task_group() if heartbeat else _NO_GROUP as beats:
                        if beats is not None and heartbeat:
                            beats.start_soon(self._beat, heartbeat)
                        try:
                            while True:
                                if not await self._handle_parsed():
                                    return
                                if in_place is not None and not in_place.has_unread:
                                    in_place.set_data_callback(self._on_data)
                                try:
                                    data_in = await stream.receive(READ_SIZE)
                                except _READ_ERRORS:
                                    data_in = None
                                finally:
                                    if in_place is not None:
                                        in_place.set_data_callback(None)
                                if data_in is None:
                                    if self._deferred is not None:
                                        continue  # handle what the callback left before the end
                                    return  # the stream ended without a Close: marked broken below
                                if self._deferred is not None:
                                    # What the callback left comes before any newer bytes
                                    # (after a Close, wsproto takes no more).
                                    if not await self._handle_parsed():
                                        return
                                if data_in:
                                    self._conn.receive_data(data_in)
                        finally:
                            if beats is not None:
                                beats.cancel_scope.cancel()
            finally:
                if in_place is not None:
                    in_place.set_data_callback(None)
                if self._wire is _Wire.OPEN:
                    self._wire = _Wire.BROKEN  # cancelled, or the stream failed
                self._queue.close(WS_CLOSED_MESSAGE)
                self._done.set()
                with anyio.CancelScope(shield=True):
                    await self._close_stream()
        finally:
            self._finished.set()

    @property
    def reader_done(self) -> bool:
        """True once the reader ended: the connection is over and its stream closed."""
        return self._done.is_set()

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

    async def _handle_parsed(self) -> bool:
        """Handle what the callback left, then all that was parsed; False once reading is over."""
        event = self._deferred
        if event is not None:
            self._deferred = None
            if not await self._handle(event):
                return False
        next_event = self._conn.next_event
        take_now = self._take_now
        while (event := next_event()) is not None:
            if not take_now(event) and not await self._handle(event):
                return False
        return True

    def _on_data(self, data: bytes) -> None:
        """Bytes in the stream's callback: messages out at once, the rest to the task."""
        conn = self._conn
        try:
            conn.receive_data(data)
            while (event := conn.next_event()) is not None:
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
        stream = callback_stream(self._stream)
        assert stream is not None
        stream.set_data_callback(None)
        stream.wake_reader()

    def _take_now(self, event: Any) -> bool:
        """Handle ``event`` without waiting if that is possible (else change nothing)."""
        kind = type(event)
        if kind is str or kind is bytes:  # a whole message in one frame
            if self._max_msg_size and len(event) > self._max_msg_size:
                return False
            if kind is bytes:
                return self._queue.offer(WSMessage(_BINARY, event, ""))
            if self._decode_text:
                return self._queue.offer(WSMessage(_TEXT, event, ""))
            return self._queue.offer(self._whole(event))
        if kind is Frame:  # a part of a message
            size = self._size + len(event.payload)
            if self._max_msg_size and size > self._max_msg_size:
                return False
            if event.message_finished:
                if self._queue.full:
                    return False
                self._queue.put_nowait(self._assemble(event))
                return True
            self._parts.append(event.payload)
            self._size = size
            return True
        if kind is Pong and self._autoping:
            self._pong.set()
            return True
        return False

    def _whole(self, data: str | bytes) -> WSMessage:
        """The message a single frame held."""
        if type(data) is str:
            if not self._decode_text:
                # wsproto has checked the UTF-8 already (RFC 6455 8.1 asks it
                # of every endpoint): what decode_text=False saves aiohttp is
                # the str, which the application asked not to get.
                return WSMessage(WSMsgType.TEXT, data.encode("utf-8"), "")
            return WSMessage(WSMsgType.TEXT, data, "")
        return WSMessage(WSMsgType.BINARY, data, "")

    def _assemble(self, event: Frame) -> WSMessage:
        """The whole message that ``event`` (its last part) ends."""
        parts = self._parts
        payload: Any = event.payload
        if parts:
            payload = payload[:0].join([*parts, payload])
            parts.clear()
            self._size = 0
        return self._whole(payload if event.opcode is Opcode.TEXT else bytes(payload))

    async def _handle(self, event: Any) -> bool:
        """Handle one event from the codec; False once reading is over."""
        if self._take_now(event):
            return True
        # What is left has to wait: an error, a message over the limit or for
        # a full queue, a ping to answer, a close.
        if isinstance(event, _Raise):
            raise event.error
        kind = type(event)
        if kind is str or kind is bytes or kind is Frame:
            size = self._size + len(event.payload if kind is Frame else event)
            if self._max_msg_size and size > self._max_msg_size:
                await self._fail(
                    WSCloseCode.MESSAGE_TOO_BIG,
                    f"Message size {size} exceeds limit {self._max_msg_size}",
                )
                return False
            # The last part (or a whole message), the queue full.
            await self._queue.put(self._assemble(event) if kind is Frame else self._whole(event))
        elif kind is Ping:
            if self._autoping:
                await self._answer(event.response())
            else:
                await self._queue.put(WSMessage(WSMsgType.PING, bytes(event.payload), ""))
        elif kind is Pong:  # with autoping off (else taken above)
            self._pong.set()
            await self._queue.put(WSMessage(WSMsgType.PONG, bytes(event.payload), ""))
        elif kind is CloseConnection:
            await self._on_close(event)
            return False
        return True

    async def _answer(self, event: Any) -> None:
        """Send a control frame the reader owes the peer; a closing connection takes none."""
        try:
            await self._send_event(event)
        except ConnectionResetError:
            pass  # the peer or our close() got there first: nothing left to answer

    async def _on_close(self, event: CloseConnection) -> None:
        if self._conn.state is ConnectionState.OPEN:
            # wsproto reports what it could not parse as a CloseConnection
            # while the connection is still open: our side fails it.
            code = event.code
            if code == WSCloseCode.ABNORMAL_CLOSURE:
                code = WSCloseCode.PROTOCOL_ERROR
            await self._fail(code, event.reason or "Protocol error")
            return
        self._peer_code = event.code
        if self._sent_close:
            self._wire = _Wire.ECHOED  # the answer to our own Close
            return
        self._wire = _Wire.PEER_CLOSED
        if self._autoclose:
            await self._answer(event.response())
        await self._queue.put(WSMessage(WSMsgType.CLOSE, event.code, event.reason or ""))
        self._queue.close(WS_CLOSED_MESSAGE)
        if not self._autoclose:
            # The application answers with close() when it gets to the CLOSE
            # message; the stream stays open until then.
            await self._answered.wait()

    async def _fail(self, code: int, reason: str) -> None:
        """_Fail the WebSocket Connection_ over what the peer sent (1002, 1007, 1009).

        The error goes into the queue after the messages that came before it,
        so the application handles those first; the Close frame goes out when
        the application receives the error (or after ``close_timeout`` if it
        does not), and then the stream is closed without reading further
        ("the endpoint ... SHOULD NOT try to read more data" -- RFC 6455 7.1.7).
        """
        self._failure = WebSocketError(code, reason)
        self._fail_reason = (code, reason[:100])
        await self._queue.put(WSMessage(WSMsgType.ERROR, self._failure, None))
        self._queue.close(WS_CLOSED_MESSAGE)
        with anyio.move_on_after(self._close_timeout):
            await self._failure_closed.wait()
        await self._send_failure_close()

    async def _send_failure_close(self) -> None:
        if self._failure_closed.is_set() or self._fail_reason is None:
            return
        self._failure_closed.set()
        self._sent_close = True
        code, reason = self._fail_reason
        try:
            await self._send_event(CloseConnection(code=code, reason=reason))
        except ConnectionResetError:
            pass

    def _failed(self, error: BaseException) -> None:
        """The application met the end of a connection that had no closing handshake.

        As aiohttp: closed, with 1006 ("no Close control frame was received"
        -- RFC 6455 7.1.5) whatever code went out, and ``error`` to tell why.
        """
        self._state = WSState.CLOSED
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._exception = error

    async def _beat(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            self._pong = pong = LazyEvent()
            try:
                await self._send_event(Ping(payload=b""))
            except ConnectionResetError:
                return
            with anyio.move_on_after(interval / 2):
                await pong.wait()
            if not pong.is_set():
                # No pong in time: the peer (or the path to it) is gone. As
                # aiohttp: closed at once; a receive() waiting gets the error,
                # a later one CLOSED.
                if self._state is WSState.CLOSED:
                    return
                self._failed(self._timeout_error(f"No PONG received after {interval / 2} seconds"))
                if self._receiving:
                    self._queue.put_nowait(WSMessage(WSMsgType.ERROR, self._exception, None))
                self._queue.close(WS_CLOSED_MESSAGE)
                self._scope.cancel()
                return

    # -- sending --------------------------------------------------------------------

    async def _send_event(self, event: Any) -> None:
        direct = self._direct
        lock = self._write_lock
        if direct is not None and (lock is None or not lock.locked()):
            # Serializing and handing the frame over happen with no await in
            # between, so frames cannot interleave; the lock is for waiting.
            data = self._frame(event)
            try:
                direct.write(data)
                if direct.writing_paused:
                    async with self._lock():
                        await direct.drain()
            except SEND_ERRORS as exc:
                raise transport_closed() from exc
            return
        async with self._lock():
            await send_all(self._stream, self._frame(event))

    def _lock(self) -> anyio.Lock:
        """The lock that orders sends that wait."""
        if self._write_lock is None:
            self._write_lock = anyio.Lock(fast_acquire=True)
        return self._write_lock

    def _frame(self, event: Any) -> bytes:
        """``event`` (a message's str or bytes, or a control event) as bytes to send.

        wsproto refusing it means the connection is closing.
        """
        try:
            if type(event) is str or type(event) is bytes:
                return self._conn.send_data(event)
            return self._conn.send(event)
        except Exception as exc:  # wsproto: the state does not allow it any more
            raise transport_closed() from exc

    async def _send_app_frame(self, event: Any) -> None:
        """Send what the application asked for, with aiohttp's errors.

        Once the application closed: ``reset_error``. After the peer's Close,
        before the application received it: dropped, as the peer takes no
        more (aiohttp writes it to a peer that ignores it). A broken stream:
        ``reset_error``.
        """
        if self._state is WSState.CLOSED:
            raise self.reset_error("Cannot write to closing transport")
        if self._peer_closed_first():
            return
        try:
            await self._send_event(event)
        except ConnectionResetError as exc:
            self._raise_send_error(exc)

    def _raise_send_error(self, exc: BaseException) -> None:
        """A send failed: ``reset_error``, unless the peer's Close came first (then nothing)."""
        if self._peer_closed_first():
            return  # the peer's Close arrived while this was on its way
        raise self.reset_error("Cannot write to closing transport") from exc

    async def send_message(self, data: str | bytes) -> None:
        """Send a text (str) or binary (bytes) message."""
        direct = self._direct
        lock = self._write_lock
        conn = self._conn
        if (
            direct is not None
            and self._state is WSState.OPEN
            and conn.state is _CONN_OPEN
            and (lock is None or not lock.locked())
        ):
            # The common case in one step (what _send_app_frame and
            # _send_event do for it): serialized and handed over with no
            # await in between, so no other frame can come between.
            try:
                direct.write(conn.send_data(data))
            except SEND_ERRORS as exc:
                self._raise_send_error(exc)
                return
            if direct.writing_paused:
                try:
                    async with self._lock():
                        await direct.drain()
                except SEND_ERRORS as exc:
                    self._raise_send_error(exc)
            return
        await self._send_app_frame(data)

    async def ping(self, payload: bytes = b"") -> None:
        """Send a ping."""
        await self._send_app_frame(Ping(payload=payload))

    async def pong(self, payload: bytes = b"") -> None:
        """Send an unsolicited pong."""
        await self._send_app_frame(Pong(payload=payload))

    # -- receiving ------------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message; ``timeout`` (seconds) raises TimeoutError.

        As aiohttp: once closed, CLOSED (messages still queued are dropped;
        the server raises RuntimeError at the fifth such call); after the
        peer's Close with autoclose off, CLOSING on the server, while the
        client closes and answers CLOSED.
        """
        if self._receiving:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        if self._state is WSState.CLOSED:
            if not self._is_client:
                self._closed_receives += 1
                if self._closed_receives >= _CLOSED_RECEIVES_BEFORE_ERROR:
                    raise RuntimeError("WebSocket connection is closed.")
            return WS_CLOSED_MESSAGE
        if self._state is WSState.CLOSING:
            if self._is_client:
                await self.close()
                return WS_CLOSED_MESSAGE
            return WS_CLOSING_MESSAGE
        self._receiving = True
        try:
            msg = await (self._queue.get() if timeout is None else self._next(timeout))
        except BaseException:
            if self._is_client:
                # aiohttp's client counts a receive() cut short as an abnormal end.
                self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            raise
        finally:
            self._receiving = False
        kind = msg.type
        if kind is _TEXT or kind is _BINARY:
            return msg
        if kind is WSMsgType.CLOSE:
            self._close_code = msg.data
            self._state = WSState.CLOSED if self._autoclose else WSState.CLOSING
        elif kind is WSMsgType.ERROR:
            if not self.closed:  # (the heartbeat's failure is in place already)
                self._failed(msg.data)
                await self._send_failure_close()
        elif kind is WSMsgType.CLOSED and self._state is WSState.OPEN:
            # The stream ended without a Close. aiohttp then tries to send
            # its Close, which fails: that failure is what exception() holds.
            self._failed(self.reset_error("Cannot write to closing transport"))
        return msg

    async def _next(self, timeout: float) -> WSMessage:
        with anyio.move_on_after(timeout):
            return await self._queue.get()
        raise TimeoutError

    # -- closing --------------------------------------------------------------------

    async def close(self, code: int = WSCloseCode.OK, message: bytes | str = b"") -> bool:
        """Close: send Close, wake the receiver, wait for the echo; False if already closed.

        Returns once the reader and heartbeat have ended, a second close()
        too (an ``async with`` block relies on it). As aiohttp: the close
        code becomes the peer's (its echo, or its own Close); no echo within
        ``close_timeout`` gives 1006 and a TimeoutError in exception().
        """
        if self._state is WSState.CLOSED:
            # Closed already (by another task's close, the peer's Close, an
            # error): let a handshake under way finish, then make sure the
            # tasks are over when this returns too.
            try:
                with anyio.move_on_after(self._close_timeout):
                    await self._done.wait()
            finally:
                with anyio.CancelScope(shield=True):
                    await self.stop()
            return False
        seen_peer_close = self._state is WSState.CLOSING
        self._state = WSState.CLOSED
        self._queue.close(WS_CLOSING_MESSAGE)  # a receive() waiting gets CLOSING
        reason = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        try:
            await self._close_handshake(code, reason, seen_peer_close)
        finally:
            with anyio.CancelScope(shield=True):
                await self.stop()
        return True

    async def _close_handshake(self, code: int, reason: str, seen_peer_close: bool) -> None:
        if self._wire is _Wire.PEER_CLOSED:
            if not self._autoclose:
                await self._answer(CloseConnection(code=code, reason=reason))
                self._answered.set()
            if not seen_peer_close:
                self._close_code = self._peer_code  # aiohttp reads the peer's Close next
            return
        if self._failure is not None:
            # A protocol error the application had not received yet.
            await self._send_failure_close()
            self._failed(self._failure)
            return
        if self._wire is _Wire.BROKEN:
            self._failed(self.reset_error("Cannot write to closing transport"))
            return
        self._sent_close = True
        try:
            await self._send_event(CloseConnection(code=code, reason=reason))
        except ConnectionResetError as exc:
            if self._peer_closed_first():  # both closed at once: that is a handshake
                self._close_code = self._peer_code
            else:
                error = self.reset_error("Cannot write to closing transport")
                error.__cause__ = exc
                self._failed(error)
            return
        with anyio.move_on_after(self._close_timeout):
            await self._done.wait()  # the reader ends on the echo (or a broken stream)
        if self._wire in (_Wire.ECHOED, _Wire.PEER_CLOSED):
            self._close_code = self._peer_code
        elif not self._done.is_set():
            self._failed(TimeoutError())
        else:
            self._failed(EofStream())


class _Raise(NamedTuple):
    """An error from the stream's callback, for the reader task to raise."""

    error: Exception


class WebSocketMethods:
    """The message API both WebSocketResponse and ClientWebSocketResponse offer.

    Subclasses provide ``_engine_or_raise()`` (the engine, or a clear error
    when there is none yet) and ``receive()``.
    """

    def _engine_or_raise(self) -> WebSocketEngine:
        raise NotImplementedError

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message (one task at a time)."""
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        """True once closed: by close(), the peer's Close (received, with autoclose) or an error."""
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

    async def send_json_bytes(
        self,
        data: Any,
        compress: int | None = None,
        *,
        dumps: Callable[[Any], bytes],
    ) -> None:
        """Send ``data`` as JSON in a binary message, with an encoder that returns bytes.

        For encoders such as orjson's ``dumps``: the bytes go out as they
        are, without a round trip through str (as aiohttp 3.14).
        """
        await self.send_bytes(dumps(data), compress=compress)

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

    async def receive_str(self, *, timeout: float | None = None) -> Any:
        """The next message, which must be text: a str, or bytes with ``decode_text=False``."""
        return await self._receive_typed(WSMsgType.TEXT, timeout)

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """The next message, which must be binary."""
        return bytes(await self._receive_typed(WSMsgType.BINARY, timeout))

    async def receive_json(
        self, *, loads: Callable[[Any], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        """The next text message parsed as JSON (``loads`` gets bytes if ``decode_text=False``)."""
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> WebSocketMethods:
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
        return msg


#: The engine's former name.
WebSocketProtocol = WebSocketEngine
