"""A leaner TCP stream for the trio backend, behind anyio's SocketStream interface.

The trio counterpart of :mod:`anyiohttp._asyncio_stream`. anyio's trio
stream goes through trio's socket wrapper, which yields to the scheduler
after every successful send and receive; for small request/response
exchanges those scheduler passes, and a cancel scope around every timed
wait, are a good part of the cost. This stream calls the socket directly:

- ``receive`` reads what is there without waiting; it waits only when
  nothing is, and then, given a ``deadline``, until it (TimeoutError).
  Every 16th read in a row that did not wait yields anyway, so a peer that
  keeps the socket full cannot starve the other tasks. The wait is not
  trio's ``wait_readable`` (an ``epoll_ctl`` per wait, and a cancel scope
  per deadline): one system task per run (:class:`_Reactor`) watches the
  sockets from an epoll of its own, where each is registered once, and
  wakes the readers and times their deadlines (trio's wait where there is
  no epoll).
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

import itertools
import math
import select
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from heapq import heapify, heappop, heappush
from typing import Final

import anyio
import outcome
import trio
from anyio.abc import SocketAttribute, SocketListener, SocketStream

from ._stream import LeanStream, PeerState, peek_state
from .helpers import ip_family

__all__ = (
    "REACTOR_TASK_NAME",
    "TrioSocketStream",
    "accept_sockets",
    "connect_tcp",
    "wrap_accepted",
)

# Reads in a row that found data without waiting before one yields anyway.
_YIELD_EVERY: Final = 16


#: The name of the system task that wakes the streams' readers (one per trio run).
REACTOR_TASK_NAME: Final = "anyiohttp stream reactor"
# Edge-triggered read readiness (hang-ups and errors are always reported).
_EVENTS: Final = select.EPOLLIN | select.EPOLLET if hasattr(select, "epoll") else 0
# What a reader is woken with besides readiness (see _Reactor).
_TIMED_OUT: Final = object()
_CLOSED: Final = object()


class _Reactor:
    """Read readiness for the streams of one trio run, from an epoll of our own.

    trio's ``wait_readable`` arms a one-shot registration per wait (an
    ``epoll_ctl`` call) through a dozen Python calls, and a deadline needs a
    cancel scope per wait, two dozen calls more: per GET that was a sixth
    of the client's instructions. Here a socket is registered once,
    edge-triggered, in an epoll that trio watches as one descriptor; one
    system task hands what it reports to the waiting readers, and times
    their deadlines from one heap, inside one cancel scope per wake-up. A
    wait is then a dict entry and ``wait_task_rescheduled``.

    Edge-triggered is enough because a reader always tries ``recv`` before
    it waits: bytes that came before that are read, bytes that come after
    it are a new event, reported once the reader is registered (nothing
    runs in between). Events for a socket nobody waits on are dropped.
    """

    __slots__ = ("_epoll", "_readers", "_scope", "_seq", "_timers", "closed")

    def __init__(self) -> None:
        self._epoll = select.epoll()
        # fd -> (the waiting task, its wait's number: 0 without a deadline)
        self._readers: dict[int, tuple[trio.lowlevel.Task, int]] = {}
        # (deadline, wait number, fd): an entry whose wait ended stays until
        # it comes up or the heap is rebuilt without it.
        self._timers: list[tuple[float, int, int]] = []
        self._seq = itertools.count(1)
        self._scope: trio.CancelScope | None = None
        self.closed = False

    def register(self, fd: int) -> None:
        """Report ``fd``'s read readiness from now on (until :meth:`forget`)."""
        try:
            self._epoll.register(fd, _EVENTS)
        except FileExistsError:  # another stream over the same socket registered it
            self._epoll.modify(fd, _EVENTS)

    def forget(self, fd: int) -> None:
        """Stop watching ``fd`` (before it is closed); its reader gets ClosedResourceError."""
        try:
            self._epoll.unregister(fd)
        except (OSError, ValueError):
            pass  # closed already, or the run (and its epoll) ended
        waiter = self._readers.pop(fd, None)
        if waiter is not None:
            trio.lowlevel.reschedule(waiter[0], outcome.Value(_CLOSED))

    async def wait_readable(self, fd: int, deadline: float) -> None:
        """Until ``fd`` may have bytes; TimeoutError once ``deadline`` (trio's clock) passed."""
        readers = self._readers
        if fd in readers:
            raise trio.BusyResourceError
        task = trio.lowlevel.current_task()
        if deadline == math.inf:
            wait = readers[fd] = (task, 0)
        else:
            number = next(self._seq)
            wait = readers[fd] = (task, number)
            heappush(self._timers, (deadline, number, fd))
            scope = self._scope
            if scope is not None and deadline < scope.deadline:
                scope.deadline = deadline

        def abort(_: object) -> trio.lowlevel.Abort:
            if readers.get(fd) is wait:
                del readers[fd]
            return trio.lowlevel.Abort.SUCCEEDED

        woken = await trio.lowlevel.wait_task_rescheduled(abort)
        if woken is not None:
            if woken is _TIMED_OUT:
                raise TimeoutError
            raise trio.ClosedResourceError

    async def run(self) -> None:
        """The system task: wake the readers of what the epoll reports, and the late ones."""
        epoll = self._epoll
        readers = self._readers
        timers = self._timers
        reschedule = trio.lowlevel.reschedule
        now = trio.lowlevel.current_clock().current_time
        try:
            while True:
                with trio.CancelScope(deadline=timers[0][0] if timers else math.inf) as scope:
                    self._scope = scope
                    await trio.lowlevel.wait_readable(epoll.fileno())
                self._scope = None
                for fd, _flags in epoll.poll(0):
                    waiter = readers.pop(fd, None)
                    if waiter is not None:
                        reschedule(waiter[0])
                if timers:
                    self._expire(now())
        finally:
            self.closed = True
            self._scope = None
            epoll.close()
            for task, _number in self._readers.values():
                reschedule(task, outcome.Value(_CLOSED))
            self._readers.clear()

    def _expire(self, now: float) -> None:
        """Wake the readers whose deadline passed with TimeoutError; drop stale entries."""
        readers = self._readers
        timers = self._timers
        while timers and timers[0][0] <= now:
            _deadline, number, fd = heappop(timers)
            waiter = readers.get(fd)
            if waiter is not None and waiter[1] == number:
                del readers[fd]
                trio.lowlevel.reschedule(waiter[0], outcome.Value(_TIMED_OUT))
        if len(timers) > 2 * len(readers) + 64:
            # Mostly waits that ended long before their deadline: keep the live ones.
            live = {waiter[1] for waiter in readers.values()}
            timers[:] = [entry for entry in timers if entry[1] in live]
            heapify(timers)


_REACTOR: Final[trio.lowlevel.RunVar[_Reactor | None]] = trio.lowlevel.RunVar("anyiohttp_reactor")


def _reactor() -> _Reactor | None:
    """This run's reactor, started on first use; None where there is no epoll or it ended."""
    reactor = _REACTOR.get(None)
    if reactor is None:
        if not hasattr(select, "epoll"):
            return None
        reactor = _Reactor()
        _REACTOR.set(reactor)
        trio.lowlevel.spawn_system_task(reactor.run, name=REACTOR_TASK_NAME)
    return None if reactor.closed else reactor


class TrioSocketStream(LeanStream):
    """A connected TCP socket on trio (see the module docstring for why it exists)."""

    __slots__ = (
        "_broken",
        "_closed",
        "_fd",
        "_flushing",
        "_pending",
        "_reactor",
        "_sock",
        "_streak",
    )

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
        # The run's reactor once the socket is registered with it (first wait).
        self._reactor: _Reactor | None = None

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
                    reactor = self._reactor
                    if reactor is None or reactor.closed:
                        reactor = self._watch()
                    if reactor is not None:
                        await reactor.wait_readable(self._fd, deadline)
                    elif deadline == math.inf:
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

    def _watch(self) -> _Reactor | None:
        """The run's reactor, the socket registered with it; None to wait trio's way."""
        if self._reactor is not None:
            return None  # registered with a reactor that ended (the run is ending)
        reactor = _reactor()
        if reactor is not None:
            reactor.register(self._fd)
            self._reactor = reactor
        return reactor

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
            if self._reactor is not None:
                self._reactor.forget(self._fd)
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
