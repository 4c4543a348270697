"""The client connection pool: TCPConnector and UnixConnector.

Shape (httpcore's layering, not its hot path): the pool keeps, per origin
(:class:`ConnectionKey`), a stack of idle keep-alive connections, so taking
one is O(1); only the connection being taken is probed for liveness (a
non-blocking ``MSG_PEEK``). Limits (``limit`` in total, ``limit_per_host``)
count connections in use or being opened; requests over the limit wait in
one FIFO queue and are handed a released connection (same origin) or a free
slot directly, so nobody overtakes them.

The pool owns a task group (the session's, or the connector's own when it
is shared and used as ``async with TCPConnector() as conn``): it runs the
reaper that closes idle connections past ``keepalive_timeout`` and closes
broken connections in the background. Nothing runs on the request path.
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import warnings
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractContextManager
from ssl import SSLContext
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import anyio
from anyio.abc import ByteStream, SocketAttribute, TaskGroup
from anyio.streams.tls import TLSAttribute, TLSStream
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .._backend import NO_LOOP, NoLoop, clock, deadline_scope_factory, refuse_loop
from .._groups import single_error
from .._stream import PeerState, connect_tcp, direct_stream, inner_stream, peek_state
from ..abc import AbstractResolver
from ..helpers import ip_family
from ..http.exceptions import HttpProcessingError
from ..http.h11_client import H11ClientParser
from ..http.parser import CONNECTION_CLOSED, NEED_DATA, ResponseHead
from ..http.select import client_parser_class
from ..resolver import DefaultResolver
from .exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientProxyConnectionError,
    ConnectionKey,
    ConnectionTimeoutError,
    ServerFingerprintMismatch,
    UnixClientConnectorError,
)
from .tracing import (
    Trace,
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
)

if TYPE_CHECKING:
    from .request import ClientTimeout

__all__ = ("BaseConnector", "Connection", "Fingerprint", "TCPConnector", "UnixConnector")

READ_SIZE: Final = 65536
_HAPPY_EYEBALLS_DELAY: Final = 0.25
_USAGE: Final = (
    "use it as an async context manager:\n"
    "    async with anyiohttp.TCPConnector() as connector:\n"
    "        async with anyiohttp.ClientSession(connector=connector, connector_owner=False) as s:\n"
    "            ..."
)


class Fingerprint:
    """Pin a server certificate: ``ssl=Fingerprint(sha256_digest_of_the_DER_cert)``.

    As aiohttp: the certificate chain is not verified, the certificate's
    SHA-256 must match instead (else ServerFingerprintMismatch). MD5 and SHA-1
    digests are refused.
    """

    __slots__ = ("_fingerprint",)

    def __init__(self, fingerprint: bytes) -> None:
        if len(fingerprint) in (16, 20):
            raise ValueError("md5 and sha1 are insecure and not supported. Use sha256.")
        if len(fingerprint) != 32:
            raise ValueError("fingerprint has invalid length")
        self._fingerprint = bytes(fingerprint)

    @property
    def fingerprint(self) -> bytes:
        """The expected SHA-256 digest."""
        return self._fingerprint

    def check(self, certificate: bytes, host: str, port: int) -> None:
        """Raise ServerFingerprintMismatch unless ``certificate`` (DER) is the pinned one."""
        got = hashlib.sha256(certificate).digest()
        if got != self._fingerprint:
            raise ServerFingerprintMismatch(self._fingerprint, got, host, port)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and other._fingerprint == self._fingerprint

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __repr__(self) -> str:
        return f"<Fingerprint {self._fingerprint.hex()}>"


class HeadLimits(NamedTuple):
    """Limits on a response head: the status line, a header field, how many headers."""

    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 128


DEFAULT_HEAD_LIMITS: Final = HeadLimits()


class Connection:
    """One pooled connection: the handle the pool checks out for one exchange at a time.

    The I/O of a request on it is :class:`~anyiohttp.client.exchange.HTTP11Exchange`'s.
    """

    __slots__ = (
        "_connector",
        "_peer_state",
        "closed",
        "created",
        "deadline_scope",
        "direct",
        "key",
        "last_used",
        "limits",
        "parser",
        "probe",
        "reused",
        "stream",
    )

    def __init__(self, connector: BaseConnector, key: ConnectionKey, stream: ByteStream) -> None:
        self._connector = connector
        self.key = key
        self.stream = stream
        #: The parser's limits for response heads (each exchange sets its own).
        self.limits = DEFAULT_HEAD_LIMITS
        self.parser = connector._parser_class(**self.limits._asdict())
        #: A maker of cancel scopes with a deadline, the cheapest for the backend.
        self.deadline_scope = connector._deadline_scope
        self.created = self.last_used = connector._now()
        self.closed = False
        #: True when this checkout reuses a kept-alive connection.
        self.reused = False
        #: The stream itself when it is our own plain TCP stream: its reads
        #: and writes time their own waits.
        self.direct = direct_stream(stream)
        # What is_alive() asks: our stream (under TLS too), else a peek at the socket.
        lean = inner_stream(stream)
        self._peer_state: Callable[[], PeerState] | None = (
            lean.peer_state if lean is not None else None
        )
        self.probe = None if lean is not None else _probe_socket(stream)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Connection {self.key.host}:{self.key.port} {state}>"

    def start_soon(self, func: Callable[..., Coroutine[Any, Any, object]], *args: object) -> None:
        """Run ``func(*args)`` in the pool's task group (a request body's upload)."""
        self._connector._check_open().start_soon(func, *args)

    def use_limits(self, limits: HeadLimits) -> None:
        """The limits on the next response heads (a request's own, or its session's)."""
        if limits != self.limits:
            self.parser.set_limits(*limits)
        self.limits = limits  # the same object next time: the check is an identity test

    def release(self) -> None:
        """Give the connection back: pooled when its exchange ended cleanly, else closed."""
        self._connector._release(self, self.parser.reusable and not self.closed)

    def close(self) -> None:
        """Close now and give the slot back."""
        self.closed = True
        self._connector._release(self, False)

    def is_alive(self) -> bool:
        """A cheap probe: False when the server closed it or sent something unasked."""
        if self._peer_state is not None:
            state = self._peer_state()
        elif self.probe is not None:
            state = peek_state(self.probe)
        else:
            return True
        if state is PeerState.CLOSED:
            return False
        # Plain HTTP: bytes nobody asked for, the connection is out of step.
        # TLS: likely a session ticket or an alert; the next read will tell.
        return self.key.is_ssl or state is PeerState.IDLE

    async def aclose(self) -> None:
        """Close the stream (and the probe's file descriptor)."""
        self.closed = True
        if self.probe is not None:
            self.probe.close()
            self.probe = None
        await anyio.aclose_forcefully(self.stream)


def _probe_socket(stream: ByteStream) -> socket.socket | None:
    """A socket object to peek at the connection with, whatever the backend.

    asyncio hands out a TransportSocket without ``recv``: peek through a
    duplicate of its file descriptor (made once per connection).
    """
    raw = stream.extra(SocketAttribute.raw_socket, None)
    if raw is None:
        return None
    if type(raw) is socket.socket:
        return socket.socket(fileno=os.dup(raw.fileno()))
    try:
        return socket.socket(fileno=os.dup(raw.fileno()))
    except OSError:
        return None


class _Waiter:
    __slots__ = ("event", "granted", "key")

    def __init__(self, key: ConnectionKey) -> None:
        self.key = key
        self.event = anyio.Event()
        #: A released connection handed over, True for a free slot, None yet.
        self.granted: Connection | bool | None = None


class BaseConnector:
    """The pool and its limits; subclasses open the connections.

    A connector owns its connections (idle and in use), a task group for
    the work that outlives one call (the idle connections' reaper, closing
    connections in the background, the uploads and WebSocket readers of
    the sessions using it) and, for TCP, the resolver it made. A session
    opens and closes the connector it owns; a connector shared by several
    sessions (``connector_owner=False``) is opened with its own ``async
    with`` block. Leaving that block, normally or by cancellation, closes
    every connection, wakes the requests waiting for one (they fail), and
    ends the task group before returning. ``await connector.close()``
    closes the connections early; the connector cannot be used after.
    """

    def __init__(
        self,
        *,
        keepalive_timeout: float | None = 15.0,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        timeout_ceil_threshold: float = 5,
        loop: NoLoop = NO_LOOP,
    ) -> None:
        refuse_loop(self, loop)
        if force_close and keepalive_timeout not in (None, 15.0):
            raise ValueError("keepalive_timeout cannot be set if force_close is True")
        if enable_cleanup_closed:
            # aiohttp's workaround for TLS transports left open (CPython
            # gh-118960); here a closed connection's stream is always aborted.
            warnings.warn(
                "enable_cleanup_closed has no effect: closed connections are always aborted",
                DeprecationWarning,
                stacklevel=3,
            )
        if timeout_ceil_threshold != 5:
            warnings.warn(
                "timeout_ceil_threshold has no effect: timeouts fire at their exact time",
                DeprecationWarning,
                stacklevel=3,
            )
        self._keepalive_timeout = None if force_close else keepalive_timeout
        self._force_close = force_close
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._idle: dict[ConnectionKey, list[Connection]] = {}
        self._acquired: set[Connection] = set()
        self._in_use = 0  # acquired plus being opened
        self._in_use_per_host: dict[ConnectionKey, int] = {}
        self._waiters: deque[_Waiter] = deque()
        self._task_group: TaskGroup | None = None
        self._closed = False
        # Chosen once: ANYIOHTTP_PARSER pins h11 or httptools like on the server.
        self._parser_class = client_parser_class()
        self._now: Callable[[], float] = anyio.current_time  # the backend's own, once open
        # The backend's own kind of scope, chosen when opened (inside the loop).
        self._deadline_scope: Callable[[float], AbstractContextManager[Any]] = _unopened_scope

    # -- lifetime -------------------------------------------------------------------

    async def __aenter__(self) -> BaseConnector:
        if self._task_group is not None:
            raise RuntimeError(f"{type(self).__name__} is already open")
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")
        self._now = clock()
        self._deadline_scope = deadline_scope_factory()
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        if self._keepalive_timeout is not None:
            task_group.start_soon(self._reap_idle, self._keepalive_timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task_group = self._task_group
        assert task_group is not None
        self._closed = True
        await self._close_all()
        task_group.cancel_scope.cancel()
        self._task_group = None
        # An error raised in the block leaves as itself, not wrapped in the
        # ExceptionGroup our task group would make of it (as ClientSession).
        with single_error():
            await task_group.__aexit__(exc_type, exc, tb)

    async def close(self) -> None:
        """Close every connection (idle and in use); the connector is unusable after."""
        self._closed = True
        await self._close_all()

    async def _close_resources(self) -> None:
        """Release what a subclass holds besides connections (a resolver)."""

    async def _close_all(self) -> None:
        conns = [c for stack in self._idle.values() for c in stack] + list(self._acquired)
        self._idle.clear()
        self._acquired.clear()
        with anyio.CancelScope(shield=True):
            for conn in conns:
                await conn.aclose()
        for waiter in self._waiters:
            waiter.event.set()
        with anyio.CancelScope(shield=True):
            await self._close_resources()

    @property
    def closed(self) -> bool:
        """True once closed."""
        return self._closed

    @property
    def limit(self) -> int:
        """The most connections in use at once (0: no limit)."""
        return self._limit

    @property
    def limit_per_host(self) -> int:
        """The most connections in use at once per origin (0: no limit)."""
        return self._limit_per_host

    @property
    def force_close(self) -> bool:
        """True when connections are never reused."""
        return self._force_close

    @property
    def opened(self) -> bool:
        """True inside the connector's ``async with`` block (until it closes)."""
        return self._task_group is not None

    @property
    def task_group(self) -> TaskGroup:
        """The pool's task group, where a session's background work runs (uploads,
        WebSocket readers): it ends with the connector. RuntimeError unless open."""
        return self._check_open()

    def _check_open(self) -> TaskGroup:
        if self._task_group is None:
            if self._closed:
                raise RuntimeError(f"{type(self).__name__} is closed")
            raise RuntimeError(f"{type(self).__name__} is not open; {_USAGE}")
        return self._task_group

    def __repr__(self) -> str:
        idle = sum(len(stack) for stack in self._idle.values())
        return (
            f"<{type(self).__name__} in_use={self._in_use} idle={idle} "
            f"waiting={len(self._waiters)} limit={self._limit}>"
        )

    # -- checking out ---------------------------------------------------------------

    def _has_capacity(self, key: ConnectionKey) -> bool:
        if self._limit and self._in_use >= self._limit:
            return False
        return not (
            self._limit_per_host and self._in_use_per_host.get(key, 0) >= self._limit_per_host
        )

    def _reserve(self, key: ConnectionKey) -> None:
        self._in_use += 1
        self._in_use_per_host[key] = self._in_use_per_host.get(key, 0) + 1

    def _unreserve(self, key: ConnectionKey) -> None:
        self._in_use -= 1
        left = self._in_use_per_host[key] - 1
        if left:
            self._in_use_per_host[key] = left
        else:
            del self._in_use_per_host[key]

    def _take_idle(self, key: ConnectionKey) -> Connection | None:
        # Expiry is the reaper's job (no clock read here); the probe catches
        # what the server closed meanwhile.
        stack = self._idle.get(key)
        while stack:
            conn = stack.pop()
            if conn.is_alive():
                return conn
            self._discard(conn)
        return None

    def take_ready(self, key: ConnectionKey) -> Connection | None:
        """An idle kept-alive connection for ``key`` checked out now, or None.

        Never waits: None when nothing idle is there, the limits are reached
        or others queue (then :meth:`connect` is the way). No traces: a
        traced request takes :meth:`connect`.
        """
        if self._task_group is None or self._waiters or not self._has_capacity(key):
            return None
        conn = self._take_idle(key)
        if conn is None:
            return None
        self._reserve(key)
        self._acquired.add(conn)
        self._checkout(conn)
        return conn

    def _checkout(self, conn: Connection) -> None:
        """Start a kept-alive connection on its next exchange (it is in ``_acquired``)."""
        conn.reused = True
        conn.parser.start_next_cycle()

    async def connect(
        self, key: ConnectionKey, *, timeout: ClientTimeout, traces: Sequence[Trace] = ()
    ) -> Connection:
        """Check out a connection for ``key``: an idle one, a new one, or wait for one."""
        task_group = self._check_open()
        if not self._waiters:
            if self._has_capacity(key):
                conn = self._take_idle(key)
                self._reserve(key)
                if conn is not None:
                    return await self._reuse(conn, traces)
                return await self._open(key, timeout, traces, task_group)
        waiter = _Waiter(key)
        self._waiters.append(waiter)
        # Every await from here to the hand-over (the user's trace callbacks
        # included) may be cancelled: what was granted goes back.
        try:
            for trace in traces:
                await trace.send("on_connection_queued_start", TraceConnectionQueuedStartParams())
            self._grant()
            await waiter.event.wait()
            for trace in traces:
                await trace.send("on_connection_queued_end", TraceConnectionQueuedEndParams())
        except BaseException:
            self._give_back(waiter)
            raise
        granted = waiter.granted
        if isinstance(granted, Connection):
            return await self._reuse(granted, traces)
        if granted is None:
            raise RuntimeError("The connector was closed while waiting for a connection")
        return await self._open(key, timeout, traces, task_group)

    def _give_back(self, waiter: _Waiter) -> None:
        """Undo a wait that ended in an error: its place in the queue, or what it was granted."""
        if waiter in self._waiters:
            self._waiters.remove(waiter)
        elif isinstance(waiter.granted, Connection):
            # handed over but never used: back to the pool, slot and all
            self._acquired.add(waiter.granted)
            self._release(waiter.granted, True)
        elif waiter.granted:
            self._unreserve(waiter.key)
            self._grant()

    async def _reuse(self, conn: Connection, traces: Sequence[Trace]) -> Connection:
        """Check out an idle connection (its slot already reserved)."""
        self._acquired.add(conn)  # closed with the pool even while a callback runs
        if traces:
            try:
                for trace in traces:
                    await trace.send("on_connection_reuseconn", TraceConnectionReuseconnParams())
            except BaseException:
                # Not started on yet: back to the pool as it was, slot and all.
                self._release(conn, True)
                raise
        self._checkout(conn)
        return conn

    async def _open(
        self,
        key: ConnectionKey,
        timeout: ClientTimeout,
        traces: Sequence[Trace],
        task_group: TaskGroup,
    ) -> Connection:
        """Open a new connection (its slot already reserved)."""
        try:
            for trace in traces:
                await trace.send("on_connection_create_start", TraceConnectionCreateStartParams())
            stream = await self._create_stream(key, timeout, traces)
        except BaseException:
            self._unreserve(key)
            self._grant()
            raise
        conn = Connection(self, key, stream)
        self._acquired.add(conn)
        if traces:
            try:
                for trace in traces:
                    await trace.send("on_connection_create_end", TraceConnectionCreateEndParams())
            except BaseException:
                conn.close()  # nobody will use it: closed, and the slot freed
                raise
        return conn

    def _grant(self) -> None:
        """Hand free slots or idle connections to waiters, first come first served."""
        for waiter in list(self._waiters):
            if not self._has_capacity(waiter.key):
                continue
            self._waiters.remove(waiter)
            conn = self._take_idle(waiter.key)
            self._reserve(waiter.key)
            if conn is not None:
                waiter.granted = conn
            else:
                waiter.granted = True
            waiter.event.set()

    # -- giving back ----------------------------------------------------------------

    def _release(self, conn: Connection, reusable: bool) -> None:
        if conn not in self._acquired:
            return
        self._acquired.discard(conn)
        if reusable and not self._force_close and not self._closed:
            conn.last_used = self._now()
            for waiter in self._waiters:
                if waiter.key == conn.key:
                    # a waiter for the same origin takes it over, slot and all
                    self._waiters.remove(waiter)
                    waiter.granted = conn
                    waiter.event.set()
                    return
            self._idle.setdefault(conn.key, []).append(conn)
        else:
            self._discard(conn)
        self._unreserve(conn.key)
        self._grant()

    def _discard(self, conn: Connection) -> None:
        conn.closed = True
        if self._task_group is not None:
            self._task_group.start_soon(conn.aclose)
        elif conn.probe is not None:
            conn.probe.close()
            conn.probe = None

    async def _reap_idle(self, timeout: float) -> None:
        interval = max(0.1, min(1.0, timeout / 4))
        while True:
            await anyio.sleep(interval)
            now = anyio.current_time()
            for key, stack in list(self._idle.items()):
                keep = [c for c in stack if c.last_used + timeout >= now]
                for conn in stack:
                    if conn.last_used + timeout < now:
                        self._discard(conn)
                if keep:
                    self._idle[key] = keep
                else:
                    del self._idle[key]

    # -- opening --------------------------------------------------------------------

    async def _create_stream(
        self, key: ConnectionKey, timeout: ClientTimeout, traces: Sequence[Trace]
    ) -> ByteStream:
        raise NotImplementedError


class TCPConnector(BaseConnector):
    """Connections over TCP (and TLS), with a DNS cache and happy eyeballs.

    Owns what :class:`BaseConnector` owns, and the default resolver it
    creates (closed with the pool); a ``resolver=`` given to it stays its
    owner's to close. Cancellation and closing are :class:`BaseConnector`'s.
    """

    def __init__(
        self,
        *,
        ssl: bool | ssl.SSLContext | Fingerprint | None = True,
        verify_ssl: bool = True,
        use_dns_cache: bool = True,
        ttl_dns_cache: float | None = 10,
        family: socket.AddressFamily | int = 0,
        local_addr: tuple[str, int] | None = None,
        resolver: AbstractResolver | None = None,
        happy_eyeballs_delay: float | None = _HAPPY_EYEBALLS_DELAY,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not verify_ssl:
            ssl = False
        self._ssl = ssl
        self._use_dns_cache = use_dns_cache
        self._ttl_dns_cache = ttl_dns_cache
        self._dns_cache: dict[tuple[str, int], tuple[list[tuple[str, int]], float]] = {}
        self._family = family
        self._local_addr = local_addr
        # As aiohttp: a resolver given is the caller's to close, the default one ours.
        self._resolver_owner = resolver is None
        self._resolver: AbstractResolver = resolver if resolver is not None else DefaultResolver()
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._ssl_contexts: dict[bool, SSLContext] = {}

    @property
    def family(self) -> int:
        """The address family connections use (0: any)."""
        return int(self._family)

    @property
    def use_dns_cache(self) -> bool:
        """True when resolved addresses are cached."""
        return self._use_dns_cache

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget cached addresses (of one host, or all)."""
        if host is None:
            self._dns_cache.clear()
        elif port is not None:
            self._dns_cache.pop((host, port), None)
        else:
            for cached in [k for k in self._dns_cache if k[0] == host]:
                del self._dns_cache[cached]

    def ssl_context_for(self, value: Any) -> ssl.SSLContext | None:
        """The SSLContext for a request's ``ssl`` (True, False, a context, a Fingerprint)."""
        if isinstance(value, ssl.SSLContext):
            return value
        if isinstance(value, Fingerprint):
            value = False  # the pinned digest is checked instead of the chain
        if value is None or value is True:
            value = self._ssl  # the request's default defers to the connector
        if isinstance(value, ssl.SSLContext):
            return value
        verified = value is not False
        context = self._ssl_contexts.get(verified)
        if context is None:
            context = ssl.create_default_context()
            if not verified:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["http/1.1"])
            self._ssl_contexts[verified] = context
        return context

    async def _resolve(
        self, host: str, port: int, traces: Sequence[Trace]
    ) -> list[tuple[str, int]]:
        """The ``(address, port)`` pairs to try for ``host``: the resolver's, or cached."""
        if ip_family(host):
            return [(host.strip("[]"), port)]
        cache_key = (host, port)
        now = anyio.current_time()
        if self._use_dns_cache:
            cached = self._dns_cache.get(cache_key)
            if cached is not None and (self._ttl_dns_cache is None or cached[1] > now):
                for trace in traces:
                    await trace.send("on_dns_cache_hit", TraceDnsCacheHitParams(host))
                return cached[0]
            for trace in traces:
                await trace.send("on_dns_cache_miss", TraceDnsCacheMissParams(host))
        for trace in traces:
            await trace.send("on_dns_resolvehost_start", TraceDnsResolveHostStartParams(host))
        family = socket.AddressFamily(self._family)
        infos = await self._resolver.resolve(host, port, family=family)
        # The port each result names is the one connected to (as aiohttp).
        targets = [(info["host"], info["port"]) for info in infos]
        for trace in traces:
            await trace.send("on_dns_resolvehost_end", TraceDnsResolveHostEndParams(host))
        if self._use_dns_cache:
            ttl = self._ttl_dns_cache
            self._dns_cache[cache_key] = (targets, now + ttl if ttl is not None else now)
        return targets

    async def _close_resources(self) -> None:
        if self._resolver_owner:
            await self._resolver.close()

    async def _create_stream(
        self, key: ConnectionKey, timeout: ClientTimeout, traces: Sequence[Trace]
    ) -> ByteStream:
        if key.proxy is None:
            return await self.open_tcp(key, key.host, key.port or 0, timeout, traces)
        proxy = key.proxy
        # To the proxy itself: TLS (an https proxy) with the proxy's own name.
        plain_key = key._replace(is_ssl=proxy.scheme == "https", server_hostname=None)
        stream = await self.open_tcp(
            plain_key,
            proxy.raw_host or "",
            proxy.port or 80,
            timeout,
            traces,
            error_class=ClientProxyConnectionError,
        )
        if not key.is_ssl:
            return stream  # plain HTTP goes through the proxy in absolute form
        try:
            await self._tunnel(key, stream)
            return await self.start_tls(key, stream, key.server_hostname or key.host)
        except BaseException:
            await anyio.aclose_forcefully(stream)
            raise

    async def _tunnel(self, key: ConnectionKey, stream: ByteStream) -> None:
        """Ask the proxy for a tunnel to the key's host (CONNECT, RFC 9110 9.3.6)."""
        from .exceptions import ClientHttpProxyError, RequestInfo

        parser = H11ClientParser()
        authority = f"{key.host}:{key.port}"
        headers = [("Host", authority)]
        if key.proxy_auth is not None:
            headers.append(("Proxy-Authorization", key.proxy_auth.encode()))
        try:
            await stream.send(parser.request_head("CONNECT", authority, headers))
            while True:
                event = parser.next_event()
                if type(event) is ResponseHead:
                    break
                if event is NEED_DATA:
                    try:
                        parser.feed(await stream.receive(READ_SIZE))
                    except (anyio.EndOfStream, anyio.BrokenResourceError):
                        parser.feed(b"")
                elif event is CONNECTION_CLOSED:
                    raise ClientProxyConnectionError(key, OSError("Proxy closed the connection"))
        except HttpProcessingError as exc:
            # What the proxy answered is not HTTP: a ClientError like any failed connect.
            raise ClientProxyConnectionError(
                key, OSError(f"Bad answer from the proxy: {exc.message}")
            ) from exc
        except (anyio.ClosedResourceError, OSError) as exc:
            if isinstance(exc, ClientProxyConnectionError):
                raise
            raise ClientProxyConnectionError(
                key, OSError(f"Proxy connection failed: {exc!r}")
            ) from exc
        if not 200 <= event.status < 300:
            url = URL.build(scheme="https", host=key.host, port=key.port)
            info = RequestInfo(url, "CONNECT", CIMultiDictProxy(CIMultiDict(headers)), url)
            raise ClientHttpProxyError(
                info, (), status=event.status, message=event.reason, headers=event.headers
            )

    async def open_tcp(
        self,
        key: ConnectionKey,
        host: str,
        port: int,
        timeout: ClientTimeout,
        traces: Sequence[Trace],
        *,
        error_class: type[ClientConnectorError] = ClientConnectorError,
    ) -> ByteStream:
        """Resolve and connect to ``host``:``port`` (TLS per ``key``), within the timeouts."""
        connect_timeout = _first_set(timeout.sock_connect, timeout.connect)
        try:
            with anyio.fail_after(connect_timeout):
                try:
                    targets = await self._resolve(host, port, traces)
                except OSError as exc:
                    raise ClientConnectorDNSError(key, exc) from exc
                if not targets:
                    raise ClientConnectorDNSError(key, OSError(f"No address found for {host}"))
                stream: ByteStream = await self._connect_any(targets)
                if key.is_ssl:
                    stream = await self.start_tls(key, stream, key.server_hostname or host)
                return stream
        except TimeoutError as exc:
            raise ConnectionTimeoutError(f"Connection timeout to host {host}:{port}") from exc
        except (ClientConnectorError, ConnectionTimeoutError):
            raise
        except OSError as exc:
            raise error_class(key, exc) from exc

    async def start_tls(self, key: ConnectionKey, stream: ByteStream, host: str) -> ByteStream:
        """Wrap ``stream`` in TLS for ``host`` (the name sent as SNI and checked against the
        certificate) with the key's ssl setting."""
        # The request's ssl setting, or the connector's when the request left it at the default.
        setting = self._ssl if key.ssl is True or key.ssl is None else key.ssl
        context = self.ssl_context_for(setting)
        try:
            tls = await TLSStream.wrap(
                stream,
                hostname=host.strip("[]"),
                ssl_context=context,
                standard_compatible=False,
            )
            if isinstance(setting, Fingerprint):
                certificate = tls.extra(TLSAttribute.ssl_object).getpeercert(binary_form=True)
                try:
                    setting.check(certificate or b"", key.host, key.port or 443)
                except ServerFingerprintMismatch:
                    await anyio.aclose_forcefully(tls)
                    raise
            return tls
        except ssl.CertificateError as exc:
            await anyio.aclose_forcefully(stream)
            raise ClientConnectorCertificateError(key, exc) from exc
        except ssl.SSLError as exc:
            await anyio.aclose_forcefully(stream)
            raise ClientConnectorSSLError(key, exc) from exc
        except (anyio.BrokenResourceError, anyio.EndOfStream) as exc:
            await anyio.aclose_forcefully(stream)
            cause = exc.__cause__
            if isinstance(cause, ssl.CertificateError):
                raise ClientConnectorCertificateError(key, cause) from exc
            if isinstance(cause, ssl.SSLError):
                raise ClientConnectorSSLError(key, cause) from exc
            error = ssl.SSLError(str(exc) or "TLS handshake failed")
            raise ClientConnectorSSLError(key, error) from exc

    async def _connect_any(self, targets: list[tuple[str, int]]) -> ByteStream:
        """Connect to the first ``(address, port)`` that answers, racing them (RFC 8305 lite)."""
        local_host = self._local_addr[0] if self._local_addr else None
        if len(targets) == 1 or not self._happy_eyeballs_delay:
            errors: list[OSError] = []
            for address, port in targets:
                try:
                    return await connect_tcp(address, port, local_host=local_host)
                except OSError as exc:
                    errors.append(exc)
            raise _combined(errors)
        return await _race(targets, local_host, self._happy_eyeballs_delay)


class UnixConnector(BaseConnector):
    """Connections to a Unix domain socket (every request goes to ``path``).

    Owns what :class:`BaseConnector` owns; opened and closed the same way.
    """

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._path = path

    @property
    def path(self) -> str:
        """The socket path."""
        return self._path

    async def _create_stream(
        self, key: ConnectionKey, timeout: ClientTimeout, traces: Sequence[Trace]
    ) -> ByteStream:
        try:
            with anyio.fail_after(_first_set(timeout.sock_connect, timeout.connect)):
                return await anyio.connect_unix(self._path)
        except TimeoutError as exc:
            raise ConnectionTimeoutError(f"Connection timeout to {self._path}") from exc
        except OSError as exc:
            raise UnixClientConnectorError(self._path, key, exc) from exc


def _unopened_scope(deadline: float) -> AbstractContextManager[Any]:
    raise RuntimeError("The connector is not open")


def _first_set(*values: float | None) -> float | None:
    for value in values:
        if value is not None:
            return value
    return None


def _combined(errors: list[OSError]) -> OSError:
    if len(errors) == 1:
        return errors[0]
    message = "Multiple exceptions: " + ", ".join(str(e) for e in errors)
    return OSError(errors[0].errno, message)


async def _race(targets: list[tuple[str, int]], local_host: str | None, delay: float) -> ByteStream:
    """Start an attempt per address, each ``delay`` after the previous; first wins."""
    winner: list[ByteStream] = []
    errors: list[OSError] = []
    async with anyio.create_task_group() as tg:
        failed = [anyio.Event() for _ in targets]

        async def attempt(index: int, address: str, port: int) -> None:
            if index:
                with anyio.move_on_after(delay):
                    await failed[index - 1].wait()
            try:
                stream = await connect_tcp(address, port, local_host=local_host)
            except OSError as exc:
                errors.append(exc)
                failed[index].set()
                return
            if winner:
                await anyio.aclose_forcefully(stream)
                return
            winner.append(stream)
            tg.cancel_scope.cancel()

        for index, (address, port) in enumerate(targets):
            tg.start_soon(attempt, index, address, port)
    if winner:
        return winner[0]
    raise _combined(errors or [OSError("Could not connect")])
