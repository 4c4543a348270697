"""A leaner TCP stream for the asyncio backend, behind anyio's SocketStream interface.

anyio's asyncio SocketStream pauses the transport after every receive (two
``epoll_ctl`` calls per read) and yields to the event loop after every send;
for small request/response exchanges that is a third of the client's time.
This stream keeps reading until a buffer limit (flow control still holds),
returns buffered data without a loop turn, and lets ``send`` return once the
transport took the bytes. It is a :class:`~anyiohttp._stream.CallbackStream`
(an ``anyio.abc.SocketStream``): TLS wraps it as any other, cancel scopes
cancel its waits (they are plain futures). Only :mod:`anyiohttp._stream`
picks it, on asyncio.

What is left when things stop early:

- a cancelled ``send`` (or ``drain``): the bytes were handed to the transport
  before the wait, so they still go out;
- ``aclose``: the connection closes at once for reading; bytes already handed
  to the transport are still flushed, for up to 10 s, then it is aborted.
"""

from __future__ import annotations

import asyncio
import math
import socket
import weakref
from asyncio.selector_events import BaseSelectorEventLoop
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

import anyio
from anyio.abc import SocketAttribute, SocketListener

from ._stream import CallbackStream, PeerState

__all__ = ("AsyncioSocketStream", "accept_sockets", "connect_tcp", "wrap_accepted")

# Stop reading from the socket past this much unread data; resume below half.
_HIGH_WATER: Final = 256 * 1024
_LOW_WATER: Final = _HIGH_WATER // 2
# The transport buffers this much unsent data before send() waits for it to drain.
_WRITE_HIGH_WATER: Final = 64 * 1024
# How long a closed stream may keep flushing what send() already accepted.
_FLUSH_TIMEOUT: Final = 10.0
# What one read from the socket may take (asyncio's own transports read this much).
_READ_SIZE: Final = 256 * 1024
# One receive buffer per event loop, shared by its streams: asyncio copies out
# of it before the next read, and a plain Protocol would allocate (mmap) and
# free 256 KiB for every read instead.
_read_buffers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, memoryview] = (
    weakref.WeakKeyDictionary()
)


def _read_buffer(loop: asyncio.AbstractEventLoop) -> memoryview:
    view = _read_buffers.get(loop)
    if view is None:
        view = _read_buffers[loop] = memoryview(bytearray(_READ_SIZE))
    return view


class _Protocol(asyncio.BufferedProtocol):
    """Collects received bytes and wakes the one reader or writer waiting."""

    __slots__ = (
        "abort_timer",
        "buffered",
        "closed",
        "eof",
        "exception",
        "first",
        "loop",
        "more",
        "nudged",
        "on_data",
        "paused",
        "read_view",
        "reader",
        "transport",
        "writer",
    )

    def __init__(self) -> None:
        # Received bytes not read yet: the oldest chunk in ``first`` (b"" when
        # none), any later ones in ``more``. Most of the time there is one
        # chunk or none, and an idle connection holds no deque (624 bytes).
        self.first = b""
        self.more: deque[bytes] | None = None
        self.buffered = 0
        self.eof = False
        self.closed = False
        self.paused = False
        self.exception: Exception | None = None
        self.reader: asyncio.Future[None] | None = None
        self.writer: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None
        self.abort_timer: asyncio.TimerHandle | None = None
        self.on_data: Callable[[bytes], None] | None = None
        self.nudged = False
        # Taken once here: asyncio.get_running_loop() makes a getpid() call each time.
        self.loop = asyncio.get_running_loop()
        self.read_view = _read_buffer(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports have the interface without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(_WRITE_HIGH_WATER)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.read_view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self.read_view[:nbytes]))

    def data_received(self, data: bytes) -> None:
        on_data = self.on_data
        if not self.first:
            if on_data is not None:
                on_data(data)
                return
            self.first = data
        elif self.more is None:
            self.more = deque((data,))
        else:
            self.more.append(data)
        self.buffered += len(data)
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return True  # keep the write side open: the caller closes when done

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.abort_timer is not None:
            self.abort_timer.cancel()
            self.abort_timer = None
        if exc is not None:
            self.exception = exc
        self._wake_reader()
        self._wake_writer()

    def pause_writing(self) -> None:
        if self.writer is None or self.writer.done():
            self.writer = self.loop.create_future()

    def resume_writing(self) -> None:
        self._wake_writer()

    def _wake_reader(self) -> None:
        waiter = self.reader
        if waiter is not None:
            self.reader = None
            if not waiter.done():
                waiter.set_result(None)

    def _wake_writer(self) -> None:
        waiter = self.writer
        if waiter is not None:
            self.writer = None
            if not waiter.done():
                waiter.set_result(None)


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class AsyncioSocketStream(CallbackStream):
    """A connected TCP socket on asyncio (see the module docstring for why it exists)."""

    __slots__ = ("_aborted", "_protocol", "_transport")

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._aborted = False

    @property
    def _raw_socket(self) -> socket.socket:
        sock: socket.socket = self._transport.get_extra_info("socket")
        return sock

    @property
    def extra_attributes(self) -> Mapping[Any, Callable[[], Any]]:
        """anyio's socket attributes; IPv4 addresses are the ones the transport keeps.

        The server keeps both addresses for as long as a connection lives:
        sharing the transport's own tuples saves two copies per connection.
        """
        attributes = dict(super().extra_attributes)
        get = self._transport.get_extra_info
        peername, sockname = get("peername"), get("sockname")
        if get("socket").family == socket.AF_INET and peername and sockname:
            attributes[SocketAttribute.remote_address] = lambda: peername
            attributes[SocketAttribute.local_address] = lambda: sockname
        return attributes

    def peer_state(self) -> PeerState:
        """Closed, unread bytes buffered, or idle: from what the stream already read."""
        protocol = self._protocol
        if protocol.eof or protocol.closed:
            return PeerState.CLOSED
        return PeerState.UNREAD if protocol.first else PeerState.IDLE

    @property
    def has_unread(self) -> bool:
        """True when received bytes wait to be read."""
        return bool(self._protocol.first)

    @property
    def writing_paused(self) -> bool:
        """True while the transport holds more unsent data than its limit."""
        return self._protocol.writer is not None

    def set_data_callback(self, callback: Callable[[bytes], None] | None) -> None:
        """While set, received bytes go to ``callback`` (in the event loop's
        callback, not a task) instead of to :meth:`receive`; bytes buffered
        before it was set still go to :meth:`receive`, and so do all bytes
        while they are there. ``None`` ends it.

        For a consumer that parses in place and hands results to a waiting
        task directly, saving a task switch per message (the WebSocket
        engine); :meth:`wake_reader` brings its reading task back.
        """
        self._protocol.on_data = callback

    def wake_reader(self) -> None:
        """Make a waiting (or the next) :meth:`receive` return ``b""`` once."""
        self._protocol.nudged = True
        self._protocol._wake_reader()

    async def receive(self, max_bytes: int = 65536, *, deadline: float = math.inf) -> bytes:
        """Up to ``max_bytes`` received bytes; waits only when none are buffered.

        With a ``deadline`` (the loop's clock), a wait that reaches it raises
        TimeoutError: one timer, and only when there is a wait, where a cancel
        scope would cost more on every call. ``b""`` only after
        :meth:`wake_reader`.
        """
        protocol = self._protocol
        if self._aborted:
            raise anyio.ClosedResourceError
        if not protocol.first:
            if protocol.reader is not None:
                raise anyio.BusyResourceError("reading from")
            loop = protocol.loop
            while (
                not protocol.first
                and not protocol.eof
                and not protocol.closed
                and not self._aborted
                and not protocol.nudged
            ):
                waiter = loop.create_future()
                protocol.reader = waiter
                timer = loop.call_at(deadline, _expire, waiter) if deadline != math.inf else None
                try:
                    await waiter
                finally:
                    if timer is not None:
                        timer.cancel()
                    if protocol.reader is waiter:
                        protocol.reader = None
            if self._aborted:
                raise anyio.ClosedResourceError
            if protocol.nudged and not protocol.first:
                protocol.nudged = False
                return b""
            if not protocol.first:
                if protocol.exception is not None:
                    raise anyio.BrokenResourceError from protocol.exception
                raise anyio.EndOfStream
        protocol.nudged = False  # bytes answer a wake-up as well as b"" would
        chunk = protocol.first
        if len(chunk) > max_bytes:
            protocol.first = chunk[max_bytes:]
            chunk = chunk[:max_bytes]
        elif protocol.more is None:
            protocol.first = b""
        else:
            protocol.first = protocol.more.popleft()
            if not protocol.more:
                protocol.more = None
        protocol.buffered -= len(chunk)
        if protocol.paused and protocol.buffered < _LOW_WATER:
            protocol.paused = False
            self._transport.resume_reading()
        return chunk

    def write(self, item: bytes) -> None:
        """Hand ``item`` to the transport without waiting (see :meth:`drain`)."""
        if self._aborted:
            raise anyio.ClosedResourceError
        if self._protocol.closed or self._transport.is_closing():
            raise anyio.BrokenResourceError from self._protocol.exception
        self._transport.write(item)

    async def drain(self) -> None:
        """Wait while the transport holds more unsent data than its limit."""
        protocol = self._protocol
        waiter = protocol.writer
        if waiter is not None:
            # Shielded: several senders may wait on this one future, and a
            # cancelled one must not cancel it for the others.
            await asyncio.shield(waiter)
            if self._aborted:
                raise anyio.ClosedResourceError
            if protocol.closed:
                raise anyio.BrokenResourceError from protocol.exception

    async def send(self, item: bytes) -> None:
        """Hand ``item`` to the transport; waits only while its buffer is over the limit.

        Cancelled while it waits, the bytes still go out: the transport has them.
        """
        self.write(item)
        await self.drain()

    async def send_eof(self) -> None:
        """Shut down the sending side (the peer sees EOF); nothing once the transport closes."""
        if self._transport.is_closing():
            return  # asyncio's transports ignore it then, uvloop's raise RuntimeError
        try:
            self._transport.write_eof()
        except OSError:
            pass

    async def aclose(self) -> None:
        """Close now; bytes send() already handed over still go out (for up to 10 s)."""
        self._aborted = True
        transport = self._transport
        if transport.get_write_buffer_size():
            # close() flushes first; a peer that never reads must not keep it open.
            self._protocol.abort_timer = self._protocol.loop.call_later(
                _FLUSH_TIMEOUT, transport.abort
            )
            transport.close()
        else:
            transport.abort()
        self._protocol._wake_reader()
        self._protocol._wake_writer()


async def connect_tcp(
    host: str, port: int, *, local_host: str | None = None
) -> AsyncioSocketStream:
    """Connect like :func:`anyio.connect_tcp` (one address), with this stream."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        _Protocol, host, port, local_addr=(local_host, 0) if local_host else None
    )
    return AsyncioSocketStream(transport, protocol)


async def accept_sockets(listener: SocketListener, most: int) -> list[socket.socket]:
    """The connections waiting on ``listener`` (at least one, at most ``most``), as sockets.

    See ``_stream.accept_many``: one wait, then whatever else is already
    there, so a busy loop takes a backlog of connections in one turn.
    """
    raw: socket.socket = listener.extra(SocketAttribute.raw_socket)
    if raw.fileno() < 0:
        # Closed: waiting on its old descriptor number would register it
        # with the selector for whatever socket gets that number next.
        raise anyio.ClosedResourceError
    loop = asyncio.get_running_loop()
    try:
        sock, _address = await loop.sock_accept(raw)
    except asyncio.CancelledError:
        # A cancelled sock_accept can leave its reader registered (bpo-41317).
        try:
            loop.remove_reader(raw)
        except (ValueError, OSError):
            pass
        raise
    return [sock, *_accept_waiting(raw, most - 1)]


def _accept_waiting(raw: socket.socket, most: int) -> list[socket.socket]:
    """Up to ``most`` connections already waiting on a non-blocking listening socket."""
    socks = []
    for _ in range(most):
        try:
            sock, _address = raw.accept()
        except (BlockingIOError, InterruptedError):
            break
        except OSError:
            break  # out of descriptors and the like: the next wait reports it
        socks.append(sock)
    return socks


async def wrap_accepted(sock: socket.socket) -> AsyncioSocketStream:
    """This stream over an accepted socket (which it owns from now on)."""
    try:
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loop = asyncio.get_running_loop()
        protocol = _Protocol()
        # The client usually sent its request right behind the handshake: take
        # it now, so the first answer needs no loop turn for the first read
        # (under load every turn waits behind all the busy connections).
        try:
            received = sock.recv_into(protocol.read_view)
        except OSError:  # nothing yet (or an error the transport will meet too)
            received = 0
        if received:
            protocol.first = bytes(protocol.read_view[:received])
            protocol.buffered = received
        if isinstance(loop, BaseSelectorEventLoop):
            # What connect_accepted_socket does, less its wait for
            # connection_made (one more loop turn before the first answer):
            # the transport sends and closes as well before that callback ran.
            make = loop._make_socket_transport  # type: ignore[attr-defined]  # not in typeshed
            transport = cast(asyncio.Transport, make(sock, protocol))
        else:  # uvloop, the proactor: their own transports, the public way
            transport, _ = await loop.connect_accepted_socket(lambda: protocol, sock)
    except BaseException:
        sock.close()
        raise
    return AsyncioSocketStream(transport, protocol)
