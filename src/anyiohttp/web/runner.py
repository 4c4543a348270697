"""Running servers: AppRunner/ServerRunner, sites, ``serve`` and ``run_app``.

The task-group tree (DESIGN.md section 3) lives in :class:`_ServerCore`,
which runs as one shielded task so that cancelling whoever runs the server
starts a *graceful* shutdown instead of tearing connections down:

    runner task group                 (the ``async with AppRunner`` block)
    └── core (shielded)
        ├── app lifetime              cleanup_ctx, on_startup, app.task_group
        ├── connections task group    one task per connection
        └── accept task group         one accept loop per site

Shutdown: stop accepting → idle connections close (one whose next request
already arrived answers it first, with ``Connection: close``; every close is
a FIN after the last response, then what still arrives is read and dropped
until the peer closes, for up to 2 s, so no reset destroys an answer or a
request), busy ones finish within
``shutdown_timeout`` (the connections group's deadline) and the rest are
cancelled → on_shutdown → app.task_group drained until the same deadline,
then cancelled → cleanup_ctx exited in reverse → on_cleanup.
"""

from __future__ import annotations

import builtins
import inspect
import logging
import signal
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, nullcontext
from functools import partial
from types import TracebackType
from typing import Any, Final

import anyio
from anyio.abc import ByteStream, Listener, SocketAttribute, SocketListener, TaskGroup, TaskStatus
from anyio.streams.stapled import MultiListener
from anyio.streams.tls import TLSStream

from .._backend import NO_LOOP, NoLoop, note_asyncio_under_trio, refuse_loop
from .._groups import single_error, start_soon_bare
from .._stream import Accepted, accept_many, open_accepted
from ..abc import AbstractAccessLogger
from .app import Application
from .log import AccessLogger, access_logger, server_logger
from .server import RequestHandler, Server, ServerConfig

__all__ = (
    "AppRunner",
    "BaseRunner",
    "BaseSite",
    "GracefulExit",
    "ServerRunner",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "run_app",
    "serve",
)

TLS_HANDSHAKE_TIMEOUT: Final = 60.0
_USAGE: Final = (
    "use it as an async context manager:\n"
    "    async with web.AppRunner(app) as runner:\n"
    "        site = web.TCPSite(runner, 'localhost', 8080)\n"
    "        await site.start()\n"
    "        ..."
)


class GracefulExit(SystemExit):
    """Raised to leave run_app; exit status 1 as in aiohttp."""

    code = 1


class _ServerCore:
    """Owns the accept loops, the connections and the app's lifetime."""

    def __init__(self, server: Server, app: Application | None, shutdown_timeout: float) -> None:
        self.server = server
        self.app = app
        self.shutdown_timeout = shutdown_timeout
        self._stop = anyio.Event()
        # Set by stop(): the runner's end, after which the app is cleaned up.
        # runner.shutdown() sets only _stop and waits for shut_down.
        self._end = anyio.Event()
        self.shut_down = anyio.Event()
        self._accept_tg: TaskGroup | None = None
        self._conn_tg: TaskGroup | None = None
        # One scope per accept loop: closing a listener does not wake our
        # own accept on asyncio, so a site stops its loops by these.
        self._accepting: dict[SocketListener, anyio.CancelScope] = {}

    def stop(self) -> None:
        """Begin the graceful shutdown, and let the cleanup follow it."""
        self._stop.set()
        self._end.set()

    def begin_shutdown(self) -> None:
        """Begin the graceful shutdown; the cleanup waits for :meth:`stop`."""
        self._stop.set()

    async def run(self, *, task_status: TaskStatus[None]) -> None:
        with anyio.CancelScope(shield=True):
            lifetime = self.app._lifetime() if self.app is not None else nullcontext()
            async with lifetime:
                try:
                    deadline = await self._serve(task_status)
                    self.server.log_shutdown()
                    if self.app is not None:
                        with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
                            await self.app._send_shutdown()
                finally:
                    self.shut_down.set()
                await self._end.wait()
                if self.app is not None:
                    self.app._drain_background_by(deadline)

    async def _serve(self, task_status: TaskStatus[None]) -> float:
        """Accept and serve until stopped; return the shutdown deadline."""
        async with anyio.create_task_group() as conn_tg:
            self._conn_tg = conn_tg
            timeouts = anyio.CancelScope()

            async def watch_timeouts() -> None:
                with timeouts:
                    await self.server.watch_timeouts()

            conn_tg.start_soon(watch_timeouts)
            async with anyio.create_task_group() as accept_tg:
                self._accept_tg = accept_tg
                task_status.started()
                await self._stop.wait()
                accept_tg.cancel_scope.cancel()
            self._accept_tg = None
            deadline = anyio.current_time() + self.shutdown_timeout
            self.server.begin_shutdown()
            conn_tg.cancel_scope.deadline = deadline
            # The timeout watcher keeps closing slow clients while connections
            # drain; it stops when the last one ended (or the deadline came).
            try:
                await self.server.wait_closed()
            finally:
                timeouts.cancel()
        self._conn_tg = None
        return deadline

    def add_listener(self, listener: SocketListener, ssl_context: ssl.SSLContext | None) -> None:
        """Start accepting on ``listener`` (closed when accepting stops)."""
        if self._accept_tg is None:
            raise RuntimeError("The server is not running (or is shutting down)")
        # The scope exists before the task runs, so a site stopped at once
        # (no checkpoint in between) still stops its loop.
        scope = self._accepting[listener] = anyio.CancelScope()
        self._accept_tg.start_soon(self._accept_loop, listener, ssl_context, scope)

    def remove_listener(self, listener: SocketListener) -> None:
        """Stop accepting on ``listener`` (its loop then closes it)."""
        scope = self._accepting.pop(listener, None)
        if scope is not None:
            scope.cancel()

    async def _accept_loop(
        self,
        listener: SocketListener,
        ssl_context: ssl.SSLContext | None,
        scope: anyio.CancelScope,
    ) -> None:
        with scope:
            try:
                await self._accept_from(listener, ssl_context)
            finally:
                self._accepting.pop(listener, None)

    async def _accept_from(
        self, listener: SocketListener, ssl_context: ssl.SSLContext | None
    ) -> None:
        async with listener:
            while True:
                try:
                    accepted = await accept_many(listener)
                except anyio.ClosedResourceError:
                    return
                except OSError as exc:
                    # Out of file descriptors and the like: back off, keep serving.
                    server_logger.error("Error accepting a connection: %s", exc)
                    await anyio.sleep(0.1)
                    continue
                assert self._conn_tg is not None
                for one in accepted:
                    start_soon_bare(self._conn_tg, self._serve_accepted, one, ssl_context)

    async def _serve_accepted(self, accepted: Accepted, ssl_context: ssl.SSLContext | None) -> None:
        try:
            stream: ByteStream = await open_accepted(accepted)
        except OSError as exc:
            server_logger.debug("Could not set up an accepted connection: %r", exc)
            return
        if ssl_context is not None:
            try:
                with anyio.fail_after(TLS_HANDSHAKE_TIMEOUT):
                    stream = await TLSStream.wrap(
                        stream, server_side=True, ssl_context=ssl_context, standard_compatible=False
                    )
            except (TimeoutError, anyio.BrokenResourceError, anyio.EndOfStream, OSError) as exc:
                server_logger.debug("TLS handshake failed: %r", exc)
                await anyio.aclose_forcefully(stream)
                return
        await self.server.serve_connection(stream)


class BaseRunner:
    """Runs a server: use as ``async with Runner(...) as runner``, then add sites.

    Owns the task group in which the server core runs. Leaving the block (or
    being cancelled in it) shuts the server down gracefully before returning.
    With ``handle_signals=True`` (as aiohttp), SIGINT and SIGTERM cancel the
    block, and :class:`GracefulExit` comes out of it after that shutdown.
    """

    def __init__(
        self,
        *,
        handle_signals: bool = False,
        shutdown_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        self._handle_signals = handle_signals
        self._shutdown_timeout = shutdown_timeout
        self._kwargs = kwargs
        self._server: Server | None = None
        self._core: _ServerCore | None = None
        self._stack: AsyncExitStack | None = None
        self._sites: list[BaseSite] = []
        self._cancelled = 0
        self._signalled = False
        self._owner: int | None = None  # the id of the task that started the runner

    @property
    def server(self) -> Server | None:
        """The low-level server, while running."""
        return self._server

    @property
    def sites(self) -> set[BaseSite]:
        """The sites serving now."""
        return set(self._sites)

    @property
    def cancelled_at_shutdown(self) -> int:
        """How much the last shutdown had to cancel: connections, plus 1 for app tasks."""
        return self._cancelled

    @property
    def addresses(self) -> list[Any]:
        """The bound addresses of all sites (port 0 resolved)."""
        return [address for site in self._sites for address in site.addresses]

    def _make_server(self) -> tuple[Server, Application | None]:
        raise NotImplementedError

    async def setup(self) -> None:
        """Start the runner by hand, as aiohttp's ``runner.setup()``: what ``async with`` does.

        The runner's task group then belongs to the calling task, so call
        :meth:`cleanup` from that same task, as aiohttp code does (setup in
        a helper it awaits, cleanup in a ``finally``); ``async with`` is the
        form that cannot forget it.
        """
        await self.__aenter__()

    async def cleanup(self) -> None:
        """Stop the sites, shut down gracefully and clean up, as aiohttp's ``runner.cleanup()``.

        Ends a runner started by :meth:`setup`, or one inside its ``async
        with`` block early (the block's end then has nothing left to do).
        A second call does nothing. Only the task that started the runner
        can end it: its task group is that task's.
        """
        if self._stack is None:
            return
        if anyio.get_current_task().id != self._owner:
            raise RuntimeError(
                f"{type(self).__name__}.cleanup() must be called from the task that "
                f"started the runner (its tasks belong to that task's task group); or {_USAGE}"
            )
        await self.__aexit__(None, None, None)

    async def shutdown(self) -> None:
        """Begin the graceful shutdown now, as aiohttp's ``runner.shutdown()``; wait for it.

        The sites stop accepting, the connections finish their requests
        (within ``shutdown_timeout``), then ``on_shutdown`` is sent. The
        application stays set up (its cleanup contexts and ``on_cleanup``)
        until the block ends or :meth:`cleanup`. Any task may call it; on a
        runner not running, or a second time, it does nothing more.
        """
        core = self._core
        if core is None:
            return
        core.begin_shutdown()
        await core.shut_down.wait()

    async def __aenter__(self) -> BaseRunner:
        if self._stack is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self._owner = anyio.get_current_task().id
        server, app = self._make_server()
        core = _ServerCore(server, app, self._shutdown_timeout)
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            with single_error():
                task_group = await stack.enter_async_context(anyio.create_task_group())
                await task_group.start(core.run)
                if self._handle_signals:
                    # SIGINT/SIGTERM end the block: its scope is cancelled and
                    # GracefulExit raised at its exit, from the task that
                    # entered it (a SystemExit raised in a task would stop
                    # asyncio's loop outright). A normal exit stops the watcher.
                    watcher = await task_group.start(
                        partial(_cancel_on_signals, task_group.cancel_scope, self._note_signal)
                    )
                    stack.callback(watcher.cancel)
        except BaseException:
            # The task group re-raises the startup failure wrapped in a group:
            # let the original exception be what comes out.
            with single_error():
                await stack.__aexit__(*sys.exc_info())
            raise
        stack.callback(core.stop)
        self._server, self._core, self._stack = server, core, stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        stack, self._stack = self._stack, None
        if stack is None:  # cleanup() inside the block already ended it
            return None
        try:
            with single_error():
                suppress = await stack.__aexit__(exc_type, exc, tb)
            if self._signalled:
                self._signalled = False
                raise GracefulExit
            return suppress
        finally:
            if self._server is not None:
                app = self._core.app if self._core is not None else None
                self._cancelled = self._server.cancelled_at_shutdown + (
                    app.background_cancelled if app is not None else 0
                )
            self._sites.clear()
            self._server = self._core = None

    def _note_signal(self) -> None:
        self._signalled = True

    def _add_listener(self, site: BaseSite, listener: SocketListener) -> None:
        if self._core is None:
            raise RuntimeError(f"The runner is not running; {_USAGE}")
        self._core.add_listener(listener, site._ssl_context)
        if site not in self._sites:
            self._sites.append(site)


class AppRunner(BaseRunner):
    """Runs an Application: its lifetime (startup, cleanup) and its server.

    Keyword arguments configure the connection loop: ``keepalive_timeout``,
    ``handler_cancellation``, ``max_line_size``, ``max_field_size``,
    ``max_headers``, ``access_log_class``, ``access_log_format``,
    ``access_log`` (a logger, or None to disable).

    It owns what :class:`BaseRunner` owns, and the application's life in
    it: leaving the block, or being cancelled in it, runs the graceful
    shutdown down to ``on_cleanup`` before returning.
    """

    def __init__(self, app: Application, **kwargs: Any) -> None:
        if not isinstance(app, Application):
            raise TypeError(f"The first argument should be web.Application instance, got {app!r}")
        super().__init__(**kwargs)
        self._app = app

    @property
    def app(self) -> Application:
        """The application being run."""
        return self._app

    def _make_server(self) -> tuple[Server, Application | None]:
        config = _server_config(self._kwargs, debug=self._app.debug)
        server = Server(self._app._handle, request_factory=self._app._make_request, config=config)
        return server, self._app


class ServerRunner(BaseRunner):
    """Runs a low-level :class:`~anyiohttp.web.Server` or a bare request handler.

    Owns what :class:`BaseRunner` owns, without an application's lifetime.
    """

    def __init__(self, web_server: Server | RequestHandler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._web_server = web_server

    def _make_server(self) -> tuple[Server, Application | None]:
        if isinstance(self._web_server, Server):
            return self._web_server, None
        return Server(self._web_server, config=_server_config(self._kwargs)), None


def _server_config(kwargs: dict[str, Any], *, debug: bool = False) -> ServerConfig:
    options = dict(kwargs)
    log_class: type[AbstractAccessLogger] = options.pop("access_log_class", AccessLogger)
    log_format: str = options.pop("access_log_format", AccessLogger.LOG_FORMAT)
    logger: logging.Logger | None = options.pop("access_log", access_logger)
    options.setdefault("debug", debug)
    return ServerConfig(
        access_logger=log_class(logger, log_format) if logger is not None else None, **options
    )


# -- sites -------------------------------------------------------------------------


class BaseSite:
    """Where a runner listens: start it after the runner started.

    A site owns its listening sockets; the accept loops run in its runner's
    task group. ``stop()`` closes the sockets (connections already accepted
    go on); the runner's end stops every site.
    """

    def __init__(self, runner: BaseRunner, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._runner = runner
        self._ssl_context = ssl_context
        self._listeners: list[SocketListener] = []
        self._addresses: list[Any] = []

    @property
    def name(self) -> str:
        """A URL-like description of where the site listens."""
        raise NotImplementedError

    @property
    def addresses(self) -> list[Any]:
        """The bound addresses (port 0 resolved)."""
        return list(self._addresses)

    async def _listen(self) -> Listener[Any]:
        raise NotImplementedError

    async def start(self) -> None:
        """Bind and start accepting."""
        if self._runner._core is None:
            raise RuntimeError(
                f"Call site.start() after runner.setup() or inside the runner's block; {_USAGE}"
            )
        listeners = _flatten(await self._listen())
        self._listeners = listeners
        self._addresses = [lst.extra(SocketAttribute.local_address) for lst in listeners]
        for listener in listeners:
            self._runner._add_listener(self, listener)

    async def stop(self) -> None:
        """Stop accepting on this site."""
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            if self._runner._core is not None:
                self._runner._core.remove_listener(listener)
            await listener.aclose()
        if self in self._runner._sites:
            self._runner._sites.remove(self)


class TCPSite(BaseSite):
    """Listen on TCP ``host``:``port`` (all interfaces when host is None)."""

    def __init__(
        self,
        runner: BaseRunner,
        host: str | Sequence[str] | None = None,
        port: int | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context)
        self._host = host
        self._port = (8443 if ssl_context else 8080) if port is None else port
        self._backlog = backlog
        self._reuse_port = bool(reuse_port)
        self._reuse_address = reuse_address

    @property
    def port(self) -> int:
        """The port: the one bound once started (port 0 resolved), else the one asked for."""
        if self._addresses:
            return int(self._addresses[0][1])
        return self._port

    @property
    def name(self) -> str:
        """``http://host:port``."""
        scheme = "https" if self._ssl_context else "http"
        host = self._host if isinstance(self._host, str) else "0.0.0.0"
        if self._addresses:
            host = self._addresses[0][0]
        port = self.port
        host_str = f"[{host}]" if ":" in str(host) else host
        return f"{scheme}://{host_str}:{port}"

    async def _listen(self) -> Listener[Any]:
        hosts: list[str | None]
        if self._host is None or isinstance(self._host, str):
            hosts = [self._host]
        else:
            hosts = list(self._host)
        listeners: list[Listener[Any]] = []
        for host in hosts:
            if self._reuse_address is False:
                listeners.extend(await self._listen_without_reuse_address(host))
                continue
            listener = await anyio.create_tcp_listener(
                local_host=host,
                local_port=self._port,
                backlog=self._backlog,
                reuse_port=self._reuse_port,
            )
            listeners.append(listener)
        return listeners[0] if len(listeners) == 1 else MultiListener(listeners)

    async def _listen_without_reuse_address(self, host: str | None) -> list[SocketListener]:
        """Listeners for ``host`` (every address it has) without SO_REUSEADDR.

        anyio always sets it; ``reuse_address=False`` asks for a bind that
        fails while an old connection on the port lingers (as asyncio's).
        """
        infos = await anyio.getaddrinfo(
            host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        listeners: list[SocketListener] = []
        port = self._port
        try:
            for family, kind, proto, _name, address in dict.fromkeys(infos):
                if port:  # port 0: every address gets the port the first one got
                    address = (address[0], port, *address[2:])
                sock = socket.socket(family, kind, proto)
                try:
                    if self._reuse_port:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                    if family == socket.AF_INET6:
                        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    sock.bind(address)
                    sock.listen(self._backlog)
                    port = sock.getsockname()[1]
                except BaseException:
                    sock.close()
                    raise
                listeners.append(await SocketListener.from_socket(sock))
        except BaseException:
            for listener in listeners:
                await listener.aclose()
            raise
        return listeners


class UnixSite(BaseSite):
    """Listen on a Unix domain socket at ``path``."""

    def __init__(
        self,
        runner: BaseRunner,
        path: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context)
        self._path = path
        self._backlog = backlog

    @property
    def name(self) -> str:
        """``http://unix:path:``."""
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://unix:{self._path}:"

    async def _listen(self) -> Listener[Any]:
        return await anyio.create_unix_listener(self._path, backlog=self._backlog)


class SockSite(BaseSite):
    """Listen on an already bound socket."""

    def __init__(
        self,
        runner: BaseRunner,
        sock: socket.socket,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context)
        self._sock = sock
        self._backlog = backlog

    @property
    def name(self) -> str:
        """The socket's address as a URL."""
        scheme = "https" if self._ssl_context else "http"
        if self._sock.family == socket.AF_UNIX:
            return f"{scheme}://unix:{self._sock.getsockname()}:"
        host, port = self._sock.getsockname()[:2]
        return f"{scheme}://{host}:{port}"

    async def _listen(self) -> Listener[Any]:
        self._sock.listen(self._backlog)
        return await SocketListener.from_socket(self._sock)


def _flatten(listener: Listener[Any]) -> list[SocketListener]:
    """The accepting listeners behind ``listener`` (anyio groups dual-stack ones)."""
    if isinstance(listener, MultiListener):
        return [one for inner in listener.listeners for one in _flatten(inner)]
    assert isinstance(listener, SocketListener)
    return [listener]


# -- serve and run_app ---------------------------------------------------------------


async def serve(
    app: Application,
    *,
    host: str | Sequence[str] | None = "0.0.0.0",
    port: int = 8080,
    ssl_context: ssl.SSLContext | None = None,
    shutdown_timeout: float = 60.0,
    keepalive_timeout: float | None = 75.0,
    handler_cancellation: bool = False,
    max_line_size: int = 8190,
    max_field_size: int = 8190,
    max_headers: int = 128,
    backlog: int = 128,
    reuse_port: bool | None = None,
    access_log: logging.Logger | None = access_logger,
    access_log_class: type[AbstractAccessLogger] = AccessLogger,
    access_log_format: str = AccessLogger.LOG_FORMAT,
    task_status: TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` until cancelled; for ``await task_group.start(serve, app, ...)``.

    ``task_status.started((host, port))`` hands over the first bound address
    (port 0 resolved). Cancelling the task runs the whole graceful shutdown
    (bounded by ``shutdown_timeout``) before this returns. A failure during
    startup is raised as the original exception.
    """
    runner = AppRunner(
        app,
        shutdown_timeout=shutdown_timeout,
        keepalive_timeout=keepalive_timeout,
        handler_cancellation=handler_cancellation,
        max_line_size=max_line_size,
        max_field_size=max_field_size,
        max_headers=max_headers,
        access_log=access_log,
        access_log_class=access_log_class,
        access_log_format=access_log_format,
    )
    async with runner:
        site = TCPSite(
            runner, host, port, ssl_context=ssl_context, backlog=backlog, reuse_port=reuse_port
        )
        await site.start()
        bound = site.addresses[0]
        task_status.started((str(bound[0]), int(bound[1])))
        await anyio.sleep_forever()


def run_app(
    app: Application | Awaitable[Application],
    *,
    host: str | Sequence[str] | None = None,
    port: int | None = None,
    path: str | Sequence[str] | None = None,
    sock: socket.socket | Sequence[socket.socket] | None = None,
    backend: str = "asyncio",
    backend_options: dict[str, Any] | None = None,
    shutdown_timeout: float = 60.0,
    keepalive_timeout: float | None = 75.0,
    ssl_context: ssl.SSLContext | None = None,
    print: Callable[..., None] | None = builtins.print,
    backlog: int = 128,
    access_log_class: type[AbstractAccessLogger] = AccessLogger,
    access_log_format: str = AccessLogger.LOG_FORMAT,
    access_log: logging.Logger | None = access_logger,
    handle_signals: bool = True,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    handler_cancellation: bool = False,
    loop: NoLoop = NO_LOOP,
    **kwargs: Any,
) -> None:
    """Run ``app`` on ``backend`` until SIGINT or SIGTERM, then shut down gracefully.

    Blocks; returns normally after the shutdown. ``app`` may be an
    Application or an awaitable giving one (an async app factory call).
    Other keyword arguments go to the :class:`AppRunner`, as aiohttp's
    (``max_line_size``, ``max_field_size``, ``max_headers``, ...).
    aiohttp's ``loop=`` is refused: pick the event loop with ``backend``.
    """
    refuse_loop("run_app", loop)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "path": path,
        "sock": sock,
        "shutdown_timeout": shutdown_timeout,
        "keepalive_timeout": keepalive_timeout,
        "ssl_context": ssl_context,
        "print": print,
        "backlog": backlog,
        "access_log_class": access_log_class,
        "access_log_format": access_log_format,
        "access_log": access_log,
        "handle_signals": handle_signals,
        "reuse_address": reuse_address,
        "reuse_port": reuse_port,
        "handler_cancellation": handler_cancellation,
        **kwargs,
    }
    try:
        anyio.run(
            partial(_run_app, app, **options), backend=backend, backend_options=backend_options
        )
    except (GracefulExit, KeyboardInterrupt):
        pass
    except Exception as exc:
        if backend == "trio":
            note_asyncio_under_trio(exc)
        raise


async def _run_app(
    app: Application | Awaitable[Application],
    *,
    host: str | Sequence[str] | None,
    port: int | None,
    path: str | Sequence[str] | None,
    sock: socket.socket | Sequence[socket.socket] | None,
    ssl_context: ssl.SSLContext | None,
    print: Callable[..., None] | None,
    backlog: int,
    handle_signals: bool,
    reuse_address: bool | None,
    reuse_port: bool | None,
    **runner_options: Any,
) -> None:
    if inspect.isawaitable(app):
        app = await app
    # A startup failure (on_startup raising, a port in use) leaves as itself,
    # not wrapped by the task group that holds the signal watcher.
    with single_error():
        async with anyio.create_task_group() as tg:
            if handle_signals:
                await tg.start(_cancel_on_signals, tg.cancel_scope)
            runner = AppRunner(app, **runner_options)
            async with runner:
                sites: list[BaseSite] = []
                if host is not None or port is not None or (path is None and sock is None):
                    sites.append(
                        TCPSite(
                            runner,
                            host,
                            port,
                            ssl_context=ssl_context,
                            backlog=backlog,
                            reuse_address=reuse_address,
                            reuse_port=reuse_port,
                        )
                    )
                for one_path in [path] if isinstance(path, str) else (path or ()):
                    sites.append(
                        UnixSite(runner, one_path, ssl_context=ssl_context, backlog=backlog)
                    )
                for one_sock in [sock] if isinstance(sock, socket.socket) else (sock or ()):
                    sites.append(
                        SockSite(runner, one_sock, ssl_context=ssl_context, backlog=backlog)
                    )
                for site in sites:
                    await site.start()
                if print is not None:
                    names = ", ".join(site.name for site in sites)
                    print(f"======== Running on {names} ========\n(Press CTRL+C to quit)")
                await anyio.sleep_forever()


async def _cancel_on_signals(
    scope: anyio.CancelScope,
    on_signal: Callable[[], None] | None = None,
    *,
    task_status: TaskStatus[anyio.CancelScope] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """At SIGINT or SIGTERM, call ``on_signal`` and cancel ``scope``.

    Hands its own cancel scope to ``task_status``: cancelling it stops the watch.
    """
    with (
        anyio.CancelScope() as own,
        anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals,
    ):
        task_status.started(own)
        async for signum in signals:
            server_logger.info("Received %s, shutting down", signal.Signals(signum).name)
            if on_signal is not None:
                on_signal()
            scope.cancel()
            return
