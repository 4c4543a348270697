"""The one seam between the protocol code and the TCP streams of each backend.

The connection loop, the client's pool and the WebSocket engine work on an
``anyio.abc.ByteStream`` (TLS included). Where the stream is one of our own
lean TCP streams (:mod:`anyiohttp._asyncio_stream` on asyncio,
:mod:`anyiohttp._trio_stream` on trio), they use more of it, through the
protocols here: a receive timed by a deadline, a write that does not wait,
a look at the connection without reading it, and, on asyncio, parsing in the
event loop's data callback. Nothing else imports a concrete stream: this
module picks the backend's, once per call, by the running backend.

``ANYIOHTTP_STREAM=anyio`` in the environment turns the lean streams off
(anyio's own everywhere), for comparison or as an escape hatch.
"""

from __future__ import annotations

import abc
import enum
import math
import os
import socket
from collections.abc import Callable
from typing import Final

import anyio
from anyio.abc import ByteStream, SocketAttribute, SocketListener, SocketStream
from anyio.streams.tls import TLSStream

from ._backend import on_asyncio

__all__ = (
    "Accepted",
    "CallbackStream",
    "LeanStream",
    "PeerState",
    "accept_many",
    "callback_stream",
    "close_gracefully",
    "connect_tcp",
    "direct_stream",
    "inner_stream",
    "open_accepted",
    "peek_state",
    "unread_pending",
)


class PeerState(enum.Enum):
    """What a look at an idle connection shows, without reading from it."""

    #: Open, nothing received: usable.
    IDLE = "idle"
    #: Bytes were received that nobody asked for yet.
    UNREAD = "unread"
    #: The peer closed it, or it broke.
    CLOSED = "closed"


class LeanStream(SocketStream):
    """What the protocol code needs from a stream beyond ``anyio.abc.SocketStream``.

    Each implementation's docstrings say what its ``aclose`` does with bytes
    not yet sent and what a cancelled ``send``/``drain`` leaves behind.
    """

    __slots__ = ()

    @abc.abstractmethod
    async def receive(self, max_bytes: int = 65536, *, deadline: float = math.inf) -> bytes:
        """Up to ``max_bytes`` bytes; a wait that reaches ``deadline`` raises TimeoutError.

        The deadline is on the backend's clock; a read that finds bytes
        waiting does not wait and costs no timer.
        """

    @abc.abstractmethod
    def write(self, item: bytes) -> None:
        """Hand ``item`` over without waiting; what cannot go out now waits for :meth:`drain`."""

    @abc.abstractmethod
    async def drain(self) -> None:
        """Wait while more than the stream's limit of written bytes is unsent."""

    @property
    @abc.abstractmethod
    def writing_paused(self) -> bool:
        """True while :meth:`drain` would wait."""

    @abc.abstractmethod
    def peer_state(self) -> PeerState:
        """The connection's state as far as it can be seen without reading."""


class CallbackStream(LeanStream):
    """A lean stream that can hand received bytes to a callback (asyncio's)."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def has_unread(self) -> bool:
        """True when received bytes wait to be read."""

    @abc.abstractmethod
    def set_data_callback(self, callback: Callable[[bytes], None] | None) -> None:
        """While set, received bytes go to ``callback`` instead of to ``receive``."""

    @abc.abstractmethod
    def wake_reader(self) -> None:
        """Make a waiting (or the next) ``receive`` return ``b""`` once."""


# MSG_PEEK | MSG_DONTWAIT as a plain int, computed once: or-ing the enum
# flags costs a microsecond on every look (enum.Flag.__or__ is Python code).
_PEEK_FLAGS: Final = int(socket.MSG_PEEK | socket.MSG_DONTWAIT)


def peek_state(sock: socket.socket) -> PeerState:
    """A socket's state from a non-blocking peek at one byte (nothing is read)."""
    if not isinstance(sock, socket.socket):
        # asyncio's TransportSocket has no recv: peek through a borrowed
        # socket object on the same descriptor (detached, so not closed).
        borrowed = socket.socket(fileno=sock.fileno())
        try:
            return peek_state(borrowed)
        finally:
            borrowed.detach()
    try:
        data = sock.recv(1, _PEEK_FLAGS)
    except BlockingIOError:
        return PeerState.IDLE
    except OSError:
        return PeerState.CLOSED
    return PeerState.UNREAD if data else PeerState.CLOSED


def _lean() -> bool:
    return os.environ.get("ANYIOHTTP_STREAM") != "anyio"


async def connect_tcp(host: str, port: int, *, local_host: str | None = None) -> SocketStream:
    """Connect like :func:`anyio.connect_tcp` (one address), with the backend's lean stream."""
    if not _lean():
        return await anyio.connect_tcp(host, port, local_host=local_host)
    if on_asyncio():
        from . import _asyncio_stream as backend
    else:
        from . import _trio_stream as backend  # type: ignore[no-redef]  # the other backend's
    return await backend.connect_tcp(host, port, local_host=local_host)


#: What accept_many hands out: a socket to wrap with open_accepted, or (with
#: anyio's own streams) a stream already.
Accepted = socket.socket | SocketStream

# Connections taken off a listener in one go: enough to empty a full backlog
# in a few turns of the loop, few enough that one turn stays short.
ACCEPT_BATCH: Final = 64


async def accept_many(listener: SocketListener) -> list[Accepted]:
    """The connections waiting on ``listener``: one wait, then what else is there.

    Accepting is kept apart from making streams (:func:`open_accepted`, in
    each connection's own task), so a loop busy with many connections still
    takes new ones at the rate they come, not one per turn. Closing
    ``listener`` does not wake a pending call here: cancel the caller's
    scope first (the server does, before it closes a site).
    """
    if not _lean():
        return [await listener.accept()]
    if on_asyncio():
        from . import _asyncio_stream as backend
    else:
        from . import _trio_stream as backend  # type: ignore[no-redef]  # the other backend's
    return list(await backend.accept_sockets(listener, ACCEPT_BATCH))


async def open_accepted(accepted: Accepted) -> SocketStream:
    """The stream of a connection :func:`accept_many` handed out (it owns the socket)."""
    if not isinstance(accepted, socket.socket):
        return accepted
    if on_asyncio():
        from . import _asyncio_stream as backend
    else:
        from . import _trio_stream as backend  # type: ignore[no-redef]  # the other backend's
    return await backend.wrap_accepted(accepted)


def inner_stream(stream: ByteStream) -> LeanStream | None:
    """The lean stream under ``stream``, TLS layers included, if there is one."""
    inner: object = stream
    while isinstance(inner, TLSStream):
        inner = inner.transport_stream
    return inner if isinstance(inner, LeanStream) else None


def direct_stream(stream: ByteStream) -> LeanStream | None:
    """``stream`` itself when it is a lean stream (plain TCP, no TLS over it), else None."""
    return stream if isinstance(stream, LeanStream) else None


def callback_stream(stream: ByteStream) -> CallbackStream | None:
    """``stream`` itself when it can parse in the data callback, else None."""
    return stream if isinstance(stream, CallbackStream) else None


def _transport(stream: ByteStream) -> ByteStream:
    """The stream under any TLS layers: where a FIN is sent and raw bytes are read."""
    inner: object = stream
    while isinstance(inner, TLSStream):
        inner = inner.transport_stream
    # Only byte streams come here: TLS wraps the ones the server and client made.
    return inner if isinstance(inner, ByteStream) else stream


def unread_pending(stream: ByteStream) -> bool:
    """True when bytes arrived on ``stream`` that nobody read yet (a look, nothing is read).

    Sees what a lean stream buffered and what waits in the kernel; TLS
    layers are looked through (their records count as unread bytes).
    """
    transport = _transport(stream)
    lean = transport if isinstance(transport, LeanStream) else None
    if lean is not None:
        state = lean.peer_state()
        if state is not PeerState.IDLE:
            return state is PeerState.UNREAD
    try:
        sock: socket.socket = transport.extra(SocketAttribute.raw_socket)
    except anyio.TypedAttributeLookupError:
        return False
    return peek_state(sock) is PeerState.UNREAD


async def close_gracefully(stream: ByteStream, linger: float) -> None:
    """End a connection this side chose to close, without a reset (the caller closes it after).

    A plain close with unread bytes in the kernel, or with bytes still on
    their way (a request the peer sent before it saw the close), makes the
    kernel answer with a reset, and a reset can destroy the last response
    before the peer read it. So: a FIN once everything sent went out, then
    read and drop what still arrives until the peer closes too, for at most
    ``linger`` seconds. The peer sees a clean end of stream.
    """
    transport = _transport(stream)
    try:
        await transport.send_eof()
        with anyio.move_on_after(linger):
            while True:
                await transport.receive()
    except (
        anyio.EndOfStream,
        anyio.BrokenResourceError,
        anyio.ClosedResourceError,
        OSError,
        NotImplementedError,  # a stream that cannot half-close: closed at once
    ):
        pass
