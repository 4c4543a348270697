"""Client tracing: TraceConfig signals, as aiohttp's, fired around each request.

Each callback is ``async def cb(session, trace_config_ctx, params)``; the
context is a SimpleNamespace made per request by ``trace_config_ctx``, with
``trace_request_ctx`` set from the request's argument of that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from .._signal import Signal

if TYPE_CHECKING:
    from .response import ClientResponse
    from .session import ClientSession

__all__ = (
    "Trace",
    "TraceConfig",
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
)


@dataclass(frozen=True, slots=True)
class TraceRequestStartParams:
    """Parameters of the RequestStart trace signal."""

    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True, slots=True)
class TraceRequestChunkSentParams:
    """Parameters of the RequestChunkSent trace signal."""

    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceResponseChunkReceivedParams:
    """Parameters of the ResponseChunkReceived trace signal."""

    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceRequestEndParams:
    """Parameters of the RequestEnd trace signal."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    """Parameters of the RequestException trace signal."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams:
    """Parameters of the RequestRedirect trace signal."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedStartParams:
    """Parameters of the ConnectionQueuedStart trace signal."""


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedEndParams:
    """Parameters of the ConnectionQueuedEnd trace signal."""


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateStartParams:
    """Parameters of the ConnectionCreateStart trace signal."""


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateEndParams:
    """Parameters of the ConnectionCreateEnd trace signal."""


@dataclass(frozen=True, slots=True)
class TraceConnectionReuseconnParams:
    """Parameters of the ConnectionReuseconn trace signal."""


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostStartParams:
    """Parameters of the DnsResolveHostStart trace signal."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostEndParams:
    """Parameters of the DnsResolveHostEnd trace signal."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsCacheHitParams:
    """Parameters of the DnsCacheHit trace signal."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsCacheMissParams:
    """Parameters of the DnsCacheMiss trace signal."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceRequestHeadersSentParams:
    """Parameters of the RequestHeadersSent trace signal."""

    method: str
    url: URL
    headers: CIMultiDict[str]


class TraceConfig:
    """A set of tracing signals; give it to ``ClientSession(trace_configs=[...])``."""

    def __init__(self, trace_config_ctx_factory: type[SimpleNamespace] = SimpleNamespace) -> None:
        self._on_request_start: Signal = Signal(self)
        self._on_request_chunk_sent: Signal = Signal(self)
        self._on_response_chunk_received: Signal = Signal(self)
        self._on_request_end: Signal = Signal(self)
        self._on_request_exception: Signal = Signal(self)
        self._on_request_redirect: Signal = Signal(self)
        self._on_connection_queued_start: Signal = Signal(self)
        self._on_connection_queued_end: Signal = Signal(self)
        self._on_connection_create_start: Signal = Signal(self)
        self._on_connection_create_end: Signal = Signal(self)
        self._on_connection_reuseconn: Signal = Signal(self)
        self._on_dns_resolvehost_start: Signal = Signal(self)
        self._on_dns_resolvehost_end: Signal = Signal(self)
        self._on_dns_cache_hit: Signal = Signal(self)
        self._on_dns_cache_miss: Signal = Signal(self)
        self._on_request_headers_sent: Signal = Signal(self)
        self._trace_config_ctx_factory = trace_config_ctx_factory

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> SimpleNamespace:
        """A fresh per-request context for the callbacks."""
        return self._trace_config_ctx_factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        """Freeze the signals (done when a session starts using this config)."""
        self._on_request_start.freeze()
        self._on_request_chunk_sent.freeze()
        self._on_response_chunk_received.freeze()
        self._on_request_end.freeze()
        self._on_request_exception.freeze()
        self._on_request_redirect.freeze()
        self._on_connection_queued_start.freeze()
        self._on_connection_queued_end.freeze()
        self._on_connection_create_start.freeze()
        self._on_connection_create_end.freeze()
        self._on_connection_reuseconn.freeze()
        self._on_dns_resolvehost_start.freeze()
        self._on_dns_resolvehost_end.freeze()
        self._on_dns_cache_hit.freeze()
        self._on_dns_cache_miss.freeze()
        self._on_request_headers_sent.freeze()

    @property
    def on_request_start(self) -> Signal:
        """Callbacks ``(session, ctx, TraceRequestStartParams)``."""
        return self._on_request_start

    @property
    def on_request_chunk_sent(self) -> Signal:
        """Callbacks ``(session, ctx, TraceRequestChunkSentParams)``."""
        return self._on_request_chunk_sent

    @property
    def on_response_chunk_received(self) -> Signal:
        """Callbacks ``(session, ctx, TraceResponseChunkReceivedParams)``."""
        return self._on_response_chunk_received

    @property
    def on_request_end(self) -> Signal:
        """Callbacks ``(session, ctx, TraceRequestEndParams)``."""
        return self._on_request_end

    @property
    def on_request_exception(self) -> Signal:
        """Callbacks ``(session, ctx, TraceRequestExceptionParams)``."""
        return self._on_request_exception

    @property
    def on_request_redirect(self) -> Signal:
        """Callbacks ``(session, ctx, TraceRequestRedirectParams)``."""
        return self._on_request_redirect

    @property
    def on_connection_queued_start(self) -> Signal:
        """Callbacks ``(session, ctx, TraceConnectionQueuedStartParams)``."""
        return self._on_connection_queued_start

    @property
    def on_connection_queued_end(self) -> Signal:
        """Callbacks ``(session, ctx, TraceConnectionQueuedEndParams)``."""
        return self._on_connection_queued_end

    @property
    def on_connection_create_start(self) -> Signal:
        """Callbacks ``(session, ctx, TraceConnectionCreateStartParams)``."""
        return self._on_connection_create_start

    @property
    def on_connection_create_end(self) -> Signal:
        """Callbacks ``(session, ctx, TraceConnectionCreateEndParams)``."""
        return self._on_connection_create_end

    @property
    def on_connection_reuseconn(self) -> Signal:
        """Callbacks ``(session, ctx, TraceConnectionReuseconnParams)``."""
        return self._on_connection_reuseconn

    @property
    def on_dns_resolvehost_start(self) -> Signal:
        """Callbacks ``(session, ctx, TraceDnsResolveHostStartParams)``."""
        return self._on_dns_resolvehost_start

    @property
    def on_dns_resolvehost_end(self) -> Signal:
        """Callbacks ``(session, ctx, TraceDnsResolveHostEndParams)``."""
        return self._on_dns_resolvehost_end

    @property
    def on_dns_cache_hit(self) -> Signal:
        """Callbacks ``(session, ctx, TraceDnsCacheHitParams)``."""
        return self._on_dns_cache_hit

    @property
    def on_dns_cache_miss(self) -> Signal:
        """Callbacks ``(session, ctx, TraceDnsCacheMissParams)``."""
        return self._on_dns_cache_miss

    @property
    def on_request_headers_sent(self) -> Signal:
        """Callbacks ``(session, ctx, TraceRequestHeadersSentParams)``."""
        return self._on_request_headers_sent


class Trace:
    """One TraceConfig bound to one request: sends its signals with the right context."""

    __slots__ = ("_config", "_ctx", "_session")

    def __init__(self, session: ClientSession, config: TraceConfig, ctx: SimpleNamespace) -> None:
        self._session = session
        self._config = config
        self._ctx = ctx

    async def send(self, signal_name: str, params: Any) -> None:
        """Send ``signal_name`` (``"on_request_start"`` ...) with ``params``."""
        signal: Signal = getattr(self._config, signal_name)
        if signal:
            await signal.send(self._session, self._ctx, params)
