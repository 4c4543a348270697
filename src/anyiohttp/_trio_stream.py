"""A leaner TCP stream for the trio backend, behind anyio's SocketStream interface.

The trio counterpart of :mod:`anyiohttp._asyncio_stream`. anyio's trio
stream goes through trio's socket wrapper, which yields to the scheduler
after every successful send and receive; for small request/response
exchanges those scheduler passes, and a cancel scope around every timed
wait, are a good part of the cost. This stream calls the socket directly:

- ``receive`` reads what is there without waiting; it waits (``wait_readable``)
  only when nothing is, and then, given a ``deadline``, inside one trio cancel
  scope that turns into TimeoutError. Every 16th read in a row that did not
  wait yields anyway, so a peer that keeps the socket full cannot starve the
  other tasks.
- ``write`` hands bytes to the kernel; what it does not take waits in a small
  queue that ``drain`` (or the next ``send``) flushes, one flusher at a time,
  so a cancelled send never takes another sender's wait with it.

Both check for cancellation first, as trio's own operations do. It is a
:class:`~anyiohttp._stream.LeanStream`; only :mod:`anyiohttp._stream` picks
it, on trio (trio is an optional dependency).

What is left when things stop early:

- a cancelled ``send`` (or ``drain``): what the kernel did not take stays
  queued, and goes out with the next ``send`` or ``drain``, or is dropped by
  ``aclose``;
- ``aclose``: the socket closes at once; queued bytes the kernel did not take
  yet are dropped.
"""

from __future__ import annotations

import math
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

import anyio
import trio
from anyio.abc import SocketAttribute, SocketListener, SocketStream

from ._stream import LeanStream, PeerState, peek_state
from .helpers import ip_family

__all__ = ("TrioSocketStream", "accept_sockets", "connect_tcp", "wrap_accepted")

# Reads in a row that found data without waiting before one yields anyway.
_YIELD_EVERY: Final = 16


class TrioSocketStream(LeanStream):
    """A connected TCP socket on trio (see the module docstring for why it exists)."""

    __slots__ = ("_broken", "_closed", "_fd", "_flushing", "_pending", "_sock", "_streak")

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        # trio's waits take the number as it is (a socket costs a fileno()
        # call per wait); aclose tells trio before the number can be reused.
        self._fd = sock.fileno()
        self._closed = False
        self._broken: OSError | None = None
        # Bytes the kernel did not take yet; a deque only while there are some
        # (an empty one is 624 bytes, for every idle connection).
        self._pending: deque[bytes | memoryview] | None = None
        self._flushing: trio.Event | None = None
        self._streak = 0

    @property
    def _raw_socket(self) -> socket.socket:
        return self._sock

    @property
    def writing_paused(self) -> bool:
        """True while bytes handed to :meth:`write` wait for :meth:`drain`."""
        return bool(self._pending)

    def peer_state(self) -> PeerState:
        """Closed, unread bytes waiting, or idle: a peek at the socket (nothing is read)."""
        return PeerState.CLOSED if self._closed else peek_state(self._sock)

    async def receive(self, max_bytes: int = 65536, *, deadline: float = math.inf) -> bytes:
        """Up to ``max_bytes`` bytes; waits only when none are there.

        With a ``deadline`` (trio's clock), a wait that reaches it raises
        TimeoutError. The wait is written out here rather than in a helper:
        an idle connection waits in this frame, and every frame it waits in
        is memory it holds.
        """
        if self._closed:
            raise anyio.ClosedResourceError
        await trio.lowlevel.checkpoint_if_cancelled()
        sock = self._sock
        try:
            data = sock.recv(max_bytes)
        except BlockingIOError:
            data = None
        except OSError as exc:
            raise self._error(exc) from exc
        if data is not None:
            self._streak += 1
            if self._streak >= _YIELD_EVERY:
                self._streak = 0
                await trio.lowlevel.cancel_shielded_checkpoint()
        else:
            self._streak = 0
            while data is None:
                try:
                    if deadline == math.inf:
                        await trio.lowlevel.wait_readable(self._fd)
                    else:
                        with trio.CancelScope(deadline=deadline) as scope:
                            await trio.lowlevel.wait_readable(self._fd)
                        if scope.cancelled_caught:
                            raise TimeoutError
                except trio.ClosedResourceError:
                    raise anyio.ClosedResourceError from None
                except trio.BusyResourceError:
                    raise anyio.BusyResourceError("reading from") from None
                if self._closed:
                    raise anyio.ClosedResourceError
                try:
                    data = sock.recv(max_bytes)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    raise self._error(exc) from exc
        if not data:
            raise anyio.EndOfStream
        return data

    async def _wait(self, wait: Callable[[int], Awaitable[None]], what: str) -> None:
        try:
            await wait(self._fd)
        except trio.ClosedResourceError:
            raise anyio.ClosedResourceError from None
        except trio.BusyResourceError:
            raise anyio.BusyResourceError(what) from None
        if self._closed:
            raise anyio.ClosedResourceError

    def _error(self, exc: OSError) -> Exception:
        if self._closed:
            return anyio.ClosedResourceError()
        return anyio.BrokenResourceError()

    def write(self, item: bytes) -> None:
        """Hand ``item`` to the kernel; what it does not take now waits for :meth:`drain`."""
        if self._closed:
            raise anyio.ClosedResourceError
        if self._broken is not None:
            raise anyio.BrokenResourceError from self._broken
        if self._pending:
            self._pending.append(item)
            self._push()
            return
        try:
            sent = self._sock.send(item)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._broken = exc
            raise anyio.BrokenResourceError from exc
        if sent < len(item):
            self._pending = deque((memoryview(item)[sent:],))

    def _push(self) -> None:
        """Send queued bytes until the kernel stops taking them."""
        pending = self._pending
        while pending:
            chunk = pending[0]
            try:
                sent = self._sock.send(chunk)
            except BlockingIOError:
                return
            except OSError as exc:
                self._broken = exc
                self._pending = None
                raise anyio.BrokenResourceError from exc
            if sent < len(chunk):
                pending[0] = memoryview(chunk)[sent:]
                return
            pending.popleft()
        self._pending = None

    async def drain(self) -> None:
        """Wait until the kernel took everything :meth:`write` was given."""
        await trio.lowlevel.checkpoint_if_cancelled()
        while self._pending:
            flushing = self._flushing
            if flushing is not None:
                await flushing.wait()  # another task flushes; then look again
                continue
            self._flushing = flushing = trio.Event()
            try:
                while self._pending:
                    await self._wait(trio.lowlevel.wait_writable, "writing to")
                    self._push()
            finally:
                self._flushing = None
                flushing.set()
        if self._closed:
            raise anyio.ClosedResourceError
        if self._broken is not None:
            # Another sender's flush hit the error and dropped the queue, ours too.
            raise anyio.BrokenResourceError from self._broken

    async def send(self, item: bytes) -> None:
        """Hand ``item`` to the kernel, waiting while it holds earlier bytes back.

        Cancelled while it waits, what the kernel did not take stays queued
        for the next send or drain (``aclose`` drops it).
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        self.write(item)
        if self._pending:
            await self.drain()

    async def send_eof(self) -> None:
        """Shut down the sending side once queued bytes went out (the peer sees EOF)."""
        await self.drain()
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    async def aclose(self) -> None:
        """Close now; bytes the kernel did not take yet are dropped."""
        if not self._closed:
            self._closed = True
            self._pending = None
            # Wakes tasks waiting on the socket (trio.ClosedResourceError) before it goes.
            trio.lowlevel.notify_closing(self._sock)
            self._sock.close()
        await trio.lowlevel.checkpoint()


async def connect_tcp(host: str, port: int, *, local_host: str | None = None) -> SocketStream:
    """Connect to an IP address (a name goes through :func:`anyio.connect_tcp`)."""
    family = ip_family(host)
    if not family:
        return await anyio.connect_tcp(host, port, local_host=local_host)
    tsock = trio.socket.socket(family, socket.SOCK_STREAM)
    try:
        tsock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if local_host:
            await tsock.bind((local_host, 0))
        await tsock.connect((host, port))
        sock = socket.socket(family, socket.SOCK_STREAM, fileno=tsock.detach())
    except BaseException:
        tsock.close()
        raise
    return TrioSocketStream(sock)


async def accept_sockets(listener: SocketListener, most: int) -> list[socket.socket]:
    """The connections waiting on ``listener`` (at least one, at most ``most``), as sockets.

    As on asyncio: cancel the caller's scope before closing ``listener``.
    """
    raw: socket.socket = listener.extra(SocketAttribute.raw_socket)
    await trio.lowlevel.checkpoint_if_cancelled()
    socks: list[socket.socket] = []
    waited = False
    while not socks:
        if raw.fileno() < 0:
            raise anyio.ClosedResourceError
        while len(socks) < most:
            try:
                sock, _address = raw.accept()
            except (BlockingIOError, InterruptedError):
                break
            socks.append(sock)
        if not socks:
            try:
                await trio.lowlevel.wait_readable(raw)
            except trio.ClosedResourceError:
                raise anyio.ClosedResourceError from None
            waited = True
    if not waited:
        # Found without waiting: yield once, so a stream of new connections
        # cannot starve the rest. After a wait that was the yield already;
        # another would hold the new connections back one more batch.
        await trio.lowlevel.cancel_shielded_checkpoint()
    return socks


async def wrap_accepted(sock: socket.socket) -> TrioSocketStream:
    """This stream over an accepted socket (which it owns from now on)."""
    try:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return TrioSocketStream(sock)
    except BaseException:
        sock.close()
        raise
