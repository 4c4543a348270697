"""TestServer, RawTestServer, TestClient, make_mocked_request, and helpers.

The servers listen on 127.0.0.1, port 0 (a free port) by default, and are
used with ``async with``: leaving the block shuts them down. Inside the
block ``await server.close()`` (or ``await client.close()``) shuts down
early, from any task, as aiohttp code does; the block still owns the object,
a second close is a no-op, and using it afterwards is a clear RuntimeError.

If the shutdown had to cancel work the test left running (a request still in
flight, a task in ``app.task_group``), the close that performed it (leaving
the block, or the early ``close()``) raises RuntimeError saying so, instead
of the test hanging or passing with work cut short.
"""

from __future__ import annotations

import inspect
import ipaddress
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, NoReturn, TypeVar, Unpack, cast, overload
from unittest import mock

import anyio
from anyio.abc import ByteSendStream, TaskGroup, TaskStatus
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .._groups import single_error
from ..abc import AbstractCookieJar
from ..client.cookies import CookieJar
from ..client.response import ClientResponse
from ..client.session import ClientSession, RequestContextManager, RequestOptions
from ..client.websocket import ClientWebSocketResponse, WSRequestContextManager
from ..http.parser import HttpVersion, HttpVersion11, RequestHead
from ..http.stream_writer import StreamWriter
from ..http.streams import EMPTY_PAYLOAD, StreamReader
from ..web.app import Application
from ..web.request import BaseRequest, ConnectionInfo, Request
from ..web.routing import ResourceRoute, UrlMappingMatchInfo
from ..web.runner import AppRunner, BaseRunner, ServerRunner, SockSite

if TYPE_CHECKING:
    import ssl

    from ..web.server import Server

__all__ = (
    "REUSE_ADDRESS",
    "BaseTestServer",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "get_port_socket",
    "get_unused_port_socket",
    "loop_context",
    "make_mocked_coro",
    "make_mocked_request",
    "setup_test_loop",
    "teardown_test_loop",
    "unused_port",
)

_USAGE: Final = (
    "use it as an async context manager:\n"
    "    async with TestClient(TestServer(app)) as client:\n"
    "        resp = await client.get('/')"
)

_NO_LOOP: Final = (
    "anyiohttp takes no loop= argument and hands out no event loop: it runs on "
    "whichever anyio backend runs the code. Drop loop=; in pytest mark the test "
    "with @pytest.mark.anyio (it runs on asyncio and trio), elsewhere run "
    "async code with anyio.run(main, backend='asyncio' | 'trio')"
)

#: Whether :func:`get_port_socket` sets SO_REUSEADDR (as aiohttp: POSIX only).
REUSE_ADDRESS: Final = os.name == "posix" and sys.platform != "cygwin"

#: ``socket_factory(host, port, family)``: the bound (not listening) socket a
#: test server serves on.
SocketFactory = Callable[[str, int, socket.AddressFamily], socket.socket]

_Request = TypeVar("_Request", bound=BaseRequest)
_ApplicationNone = TypeVar("_ApplicationNone", Application, None)
_Server = TypeVar("_Server", bound="BaseTestServer")


def _refuse_loop(kwargs: dict[str, Any]) -> None:
    if "loop" in kwargs:
        raise TypeError(_NO_LOOP)


def get_port_socket(
    host: str, port: int, family: socket.AddressFamily = socket.AF_INET
) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (not listening yet).

    The default ``socket_factory`` of the test servers; SO_REUSEADDR is set
    where :data:`REUSE_ADDRESS` says so.
    """
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if REUSE_ADDRESS:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def get_unused_port_socket(
    host: str, family: socket.AddressFamily = socket.AF_INET
) -> socket.socket:
    """A TCP socket bound to a free port of ``host`` (not listening yet)."""
    return get_port_socket(host, 0, family)


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _AsyncWithOnly:
    """A plain ``with`` is refused as aiohttp refuses it: these own tasks."""

    __slots__ = ()

    def __enter__(self) -> NoReturn:
        raise TypeError("Use async with instead")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Never reached: ``__enter__`` refuses."""


class _AbsoluteURLError(ValueError, AssertionError):
    """An absolute URL given to ``make_url`` (an AssertionError in aiohttp)."""


class BaseTestServer(_AsyncWithOnly):
    """A server on 127.0.0.1 for the length of an ``async with`` block.

    Arguments as aiohttp's: ``scheme`` (default ``"https"`` with TLS, else
    ``"http"``), ``host``, ``port`` (None or 0: a free one),
    ``skip_url_asserts`` (``make_url`` appends the path to the root as it is,
    unchecked), ``socket_factory(host, port, family)`` (the bound socket to
    serve on), ``ssl`` (an ``ssl.SSLContext``; ``ssl_context`` is the same),
    ``shutdown_timeout`` (5 s) and the runner's keyword arguments
    (``handler_cancellation``, ``keepalive_timeout``, ``access_log``...).

    The server owns a runner (the application's lifetime, the listening
    socket, every connection and handler) for the length of its block.
    Leaving the block, normally, by an error or by cancellation, or ``await
    server.close()`` inside it (from any task), shuts the server down
    gracefully within ``shutdown_timeout``; the block still owns the
    server, and a second close is a no-op.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(
        self,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        skip_url_asserts: bool = False,
        socket_factory: SocketFactory = get_port_socket,
        ssl: ssl.SSLContext | None = None,
        ssl_context: ssl.SSLContext | None = None,
        shutdown_timeout: float = 5.0,
        **kwargs: Any,
    ) -> None:
        _refuse_loop(kwargs)
        if ssl is not None and ssl_context is not None and ssl is not ssl_context:
            raise TypeError("Pass the TLS context once: ssl= (aiohttp's name) or ssl_context=")
        self.scheme = scheme
        self.host = host
        self.port = port
        self.skip_url_asserts = skip_url_asserts
        self.socket_factory = socket_factory
        self._ssl = ssl if ssl is not None else ssl_context
        self._shutdown_timeout = shutdown_timeout
        self._runner_kwargs = kwargs
        self._runner: BaseRunner | None = None
        self._root: URL | None = None
        self._closed = False
        self._task_group: TaskGroup | None = None
        self._close_requested: anyio.Event | None = None
        self._done: anyio.Event | None = None
        self._shutdown_error: RuntimeError | None = None

    def _make_runner(self, **kwargs: Any) -> BaseRunner:
        """The runner serving this server's handler."""
        raise NotImplementedError

    @property
    def runner(self) -> BaseRunner | None:
        """The runner, once started (kept after the close, as aiohttp)."""
        return self._runner

    @property
    def handler(self) -> Server:
        """The low-level ``web.Server`` serving the requests (while serving)."""
        runner = self._runner
        if runner is None or runner.server is None:
            raise RuntimeError(f"{type(self).__name__} is not serving; {_USAGE}")
        return runner.server

    @property
    def started(self) -> bool:
        """True once started (and still after the close, as aiohttp)."""
        return self._runner is not None

    @property
    def closed(self) -> bool:
        """True once closed (early by ``close()`` or by leaving the block)."""
        return self._closed

    @property
    def ssl(self) -> ssl.SSLContext | None:
        """The TLS context served with (None: plain HTTP)."""
        return self._ssl

    async def start_server(self, **kwargs: Any) -> None:
        """Nothing to do inside the ``async with`` block; outside it, a RuntimeError.

        aiohttp starts a test server by this call; here the block starts it,
        because the server owns tasks that must end with the block.
        """
        _refuse_loop(kwargs)
        if self._task_group is not None and not self._closed:
            return
        raise RuntimeError(
            f"{type(self).__name__}.start_server() does not start it in anyiohttp; {_USAGE}"
        )

    async def __aenter__(self: _Server) -> _Server:
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed: make a new one")
        if self._task_group is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        self._close_requested = anyio.Event()
        self._done = anyio.Event()
        # The server is held by a task of our own, so that close() works
        # from any task: the block's owner, another task of the test, or a
        # fixture's teardown.
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        try:
            await task_group.start(self._serve)
        except BaseException:
            with single_error():
                await task_group.__aexit__(*sys.exc_info())
            raise
        self._task_group = task_group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task_group, self._task_group = self._task_group, None
        if task_group is None:
            raise RuntimeError(f"{type(self).__name__} was not started by async with")
        closing = self._request_close()
        with single_error():
            await task_group.__aexit__(exc_type, exc, tb)
        if closing and exc_type is None:
            self._raise_shutdown_error()

    async def close(self) -> None:
        """Shut the server down now (from any task); a no-op once closed.

        As aiohttp's: the port is released, ``make_url`` and new requests
        then fail. The ``async with`` block still owns the server. Raises
        RuntimeError if the shutdown had to cancel work left running.
        """
        if self._done is None:
            return  # never started: nothing to close (as aiohttp)
        closing = self._request_close()
        await self._done.wait()
        if closing:
            self._raise_shutdown_error()

    def _request_close(self) -> bool:
        """Ask the holding task to shut down; True for the caller that asked first."""
        event = self._close_requested
        if event is None or event.is_set():
            return False
        event.set()
        return True

    def _raise_shutdown_error(self) -> None:
        error, self._shutdown_error = self._shutdown_error, None
        if error is not None:
            raise error

    async def _serve(self, *, task_status: TaskStatus[None]) -> None:
        assert self._close_requested is not None and self._done is not None
        try:
            runner = self._make_runner(shutdown_timeout=self._shutdown_timeout)
            try:
                family = socket.AF_INET6 if _ip_version(self.host) == 6 else socket.AF_INET
            except ValueError:
                family = socket.AF_INET
            sock = self.socket_factory(self.host, self.port or 0, family)
            # closing it again once the site's listener closed it is a no-op
            with sock:
                async with runner:
                    site = SockSite(runner, sock, ssl_context=self._ssl)
                    await site.start()
                    self._runner = runner
                    root_host = self.host
                    self.host, self.port = site.addresses[0][:2]
                    if not self.scheme:
                        self.scheme = "https" if self._ssl is not None else "http"
                    if ":" in root_host:
                        root_host = f"[{root_host}]"
                    self._root = URL(f"{self.scheme}://{root_host}:{self.port}")
                    task_status.started()
                    await self._close_requested.wait()
            if runner.cancelled_at_shutdown:
                self._shutdown_error = RuntimeError(
                    f"{type(self).__name__}: the test left work running when it ended "
                    f"({runner.cancelled_at_shutdown} cancelled at shutdown: a request still "
                    "in flight or a task in app.task_group); finish or cancel it in the test"
                )
        finally:
            self._closed = True
            self._root = None
            self.port = None
            self._done.set()

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on this server.

        ``path`` is joined to the server's root (``"x"`` and ``"/x"`` are the
        same); an absolute URL (``"//host/p"`` included) is a ValueError (an
        AssertionError too, as aiohttp). With ``skip_url_asserts=True`` the
        path is appended to the root as it is, unchecked.
        """
        root = self._root
        if root is None:
            state = "closed" if self._closed else "not started"
            raise RuntimeError(f"{type(self).__name__} is {state}; {_USAGE}")
        if self.skip_url_asserts:
            return URL(str(root) + str(path))
        url = URL(path)
        if url.absolute:
            raise _AbsoluteURLError(
                f"make_url() takes a path, not an absolute URL: {str(path)!r} "
                "(pass skip_url_asserts=True to the server to append it as it is)"
            )
        return root.join(url)


def _ip_version(host: str) -> int:
    return ipaddress.ip_address(host).version


class TestServer(BaseTestServer):
    """Serves an Application (its whole lifetime: startup, cleanup) on 127.0.0.1.

    As aiohttp's test server, handlers are cancelled when their client
    disconnects (``handler_cancellation=True``, unless given). What it owns
    and how it ends, on leaving its block or on cancellation, is
    :class:`BaseTestServer`'s.
    """

    def __init__(
        self,
        app: Application,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.app = app
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    def _make_runner(self, **kwargs: Any) -> BaseRunner:
        options = {"handler_cancellation": True, **self._runner_kwargs, **kwargs}
        return AppRunner(self.app, **options)


class RawTestServer(BaseTestServer):
    """Serves a bare request handler ``async def handler(request) -> response``.

    As aiohttp's, in debug mode (a 500 shows the traceback) and with
    ``handler_cancellation=True``, unless given. What it owns and how it
    ends, on leaving its block or on cancellation, is
    :class:`BaseTestServer`'s.
    """

    def __init__(
        self,
        handler: Callable[[BaseRequest], Awaitable[Any]],
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._handler = handler
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    def _make_runner(self, **kwargs: Any) -> BaseRunner:
        options = {
            "debug": True,
            "handler_cancellation": True,
            **self._runner_kwargs,
            **kwargs,
        }
        return ServerRunner(self._handler, **options)


class TestClient(_AsyncWithOnly, Generic[_Request, _ApplicationNone]):
    """A ClientSession bound to a test server: its methods take paths.

    ``async with TestClient(TestServer(app)) as client`` starts the server
    (unless it is already started) and the session; leaving the block closes
    them (the server only if this client started it), whether it is left
    normally, by an error or by cancellation. The client owns its session
    (and so its pool and the connections to the server). ``await
    client.close()`` inside the block does the same early, from any task;
    a second close is a no-op.

    Keyword arguments are the ClientSession's; ``cookie_jar`` defaults to a
    ``CookieJar(unsafe=True)``, which keeps the cookies of the 127.0.0.1 server.
    """

    __test__ = False

    @overload
    def __init__(
        self: TestClient[Request, Application],
        server: TestServer,
        *,
        cookie_jar: AbstractCookieJar | None = None,
        **kwargs: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: TestClient[_Request, None],
        server: BaseTestServer,
        *,
        cookie_jar: AbstractCookieJar | None = None,
        **kwargs: Any,
    ) -> None: ...

    def __init__(
        self,
        server: BaseTestServer,
        *,
        cookie_jar: AbstractCookieJar | None = None,
        **kwargs: Any,
    ) -> None:
        _refuse_loop(kwargs)
        if not isinstance(server, BaseTestServer):
            raise TypeError(f"server must be a TestServer or RawTestServer, got {server!r}")
        self._server = server
        if cookie_jar is None:
            # the server is 127.0.0.1: an IP host needs unsafe=True
            cookie_jar = CookieJar(unsafe=True)
        self._session = ClientSession(cookie_jar=cookie_jar, **kwargs)
        # As aiohttp's: a stale kept-alive connection fails the request instead
        # of a silent retry, so a test sees the server closing it.
        self._session._retry_connection = False
        self._stack: AsyncExitStack | None = None
        self._owns_server = False
        self._closed = False
        self._responses: list[ClientResponse] = []
        self._websockets: list[ClientWebSocketResponse] = []

    @property
    def server(self) -> BaseTestServer:
        """The test server."""
        return self._server

    @property
    def app(self) -> _ApplicationNone:
        """The application of a TestServer (None for a RawTestServer)."""
        return cast("_ApplicationNone", getattr(self._server, "app", None))

    @property
    def host(self) -> str:
        """The server's host."""
        return self._server.host

    @property
    def port(self) -> int | None:
        """The server's port (None once it is closed, as aiohttp)."""
        return self._server.port

    @property
    def scheme(self) -> str:
        """The server's scheme: ``"http"`` or ``"https"``."""
        return self._server.scheme

    @property
    def session(self) -> ClientSession:
        """The underlying ClientSession (it takes absolute URLs: see make_url)."""
        return self._session

    @property
    def closed(self) -> bool:
        """True once closed (early by ``close()`` or by leaving the block)."""
        return self._closed

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on the server."""
        return self._server.make_url(path)

    async def start_server(self) -> None:
        """Nothing to do inside the ``async with`` block; outside it, a RuntimeError."""
        if self._stack is not None and not self._closed:
            return
        raise RuntimeError(f"TestClient.start_server() does not start it in anyiohttp; {_USAGE}")

    async def __aenter__(self) -> TestClient[_Request, _ApplicationNone]:
        if self._closed:
            raise RuntimeError("TestClient is closed: make a new one")
        if self._stack is not None:
            raise RuntimeError("TestClient is already started")
        if self._server.closed:
            raise RuntimeError(
                f"The {type(self._server).__name__} of this TestClient is closed: "
                "give the TestClient a new one"
            )
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            if not self._server.started:
                await stack.enter_async_context(self._server)
                self._owns_server = True
            await stack.enter_async_context(self._session)
        except BaseException:
            with single_error():
                await stack.__aexit__(*sys.exc_info())
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is None:
            raise RuntimeError("TestClient was not started by async with")
        try:
            if not self._closed:
                self._closed = True
                await self._close_websockets()
        finally:
            await stack.__aexit__(exc_type, exc, tb)

    async def close(self) -> None:
        """Close the client now (from any task); a no-op once closed.

        As aiohttp's: the responses are released, the WebSockets opened by
        ``ws_connect`` closed, the session closed, and the server too when
        this client started it. The ``async with`` block still owns the
        client; using it afterwards is a RuntimeError.
        """
        if self._closed:
            return
        self._closed = True
        await self._close_websockets()
        await self._session.close()
        if self._owns_server:
            await self._server.close()

    async def _close_websockets(self) -> None:
        for resp in self._responses:
            resp.release()
        self._responses.clear()
        websockets, self._websockets = self._websockets, []
        for ws in websockets:
            await ws.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("TestClient is closed")
        if self._stack is None:
            raise RuntimeError(f"TestClient is not started; {_USAGE}")

    def request(
        self, method: str, path: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager:
        """Request ``path`` on the server (``async with`` it, or await it)."""
        return RequestContextManager(self._request(method, path, **kwargs))

    async def _request(
        self, method: str, path: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> ClientResponse:
        self._check_open()
        resp = await self._session.request(method, self.make_url(path), **kwargs)
        self._responses.append(resp)
        return resp

    def get(self, path: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """POST to ``path``."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """PUT to ``path``."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """PATCH ``path``."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """DELETE ``path``."""
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """HEAD ``path``."""
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """OPTIONS ``path``."""
        return self.request("OPTIONS", path, **kwargs)

    def ws_connect(self, path: str | URL, **kwargs: Any) -> WSRequestContextManager:
        """Open a WebSocket to ``path``: ``async with client.ws_connect('/ws') as ws``
        (or ``ws = await client.ws_connect('/ws')``: the client closes it with itself).

        Keyword arguments are ``ClientSession.ws_connect``'s.
        """
        return WSRequestContextManager(self._ws_connect(path, **kwargs))

    async def _ws_connect(self, path: str | URL, **kwargs: Any) -> ClientWebSocketResponse:
        self._check_open()
        ws = await self._session.ws_connect(self.make_url(path), **kwargs)
        self._websockets.append(ws)
        return ws


# -- without a server ----------------------------------------------------------------


class _MemoryStream(ByteSendStream):
    """A byte stream that keeps what is sent (the writer of mocked requests)."""

    def __init__(self) -> None:
        self.sent = bytearray()

    async def send(self, item: bytes) -> None:
        """Keep the bytes."""
        await anyio.lowlevel.checkpoint()
        self.sent += item

    async def aclose(self) -> None:
        """Nothing to close."""


async def _no_handler(request: Request) -> Any:
    raise RuntimeError("a mocked request is routed nowhere: call the handler with it directly")


class _MockedConnection(ConnectionInfo):
    """The connection of a mocked request: responses go to ``stream``."""

    __slots__ = ("_stream",)

    def __init__(self, stream: Any, peername: Any, sockname: Any, sslcontext: Any) -> None:
        super().__init__(peername=peername, sockname=sockname, ssl_object=sslcontext)
        self._stream = stream

    def new_writer(self) -> StreamWriter:
        """A writer to the in-memory stream (or the ``writer`` given)."""
        return StreamWriter(self._stream)


#: The local address of a mocked request's connection (as aiohttp's mock).
_MOCKED_SOCKNAME: Final = ("127.0.0.1", 80)


def make_mocked_request(
    method: str,
    path: str,
    headers: Any = None,
    *,
    match_info: dict[str, str] | None = None,
    version: HttpVersion = HttpVersion11,
    closing: bool = False,
    app: Application | None = None,
    writer: Any = None,
    transport: Any = None,
    payload: StreamReader | bytes | None = None,
    sslcontext: ssl.SSLContext | None = None,
    client_max_size: int = 1024**2,
    client_max_fields: int = 1000,
    remote: str | None = "127.0.0.1",
    **kwargs: Any,
) -> Request:
    """A Request for unit-testing handlers and middlewares without a socket.

    The headers are the ones given (no ``Host`` is made up: as in aiohttp,
    ``request.host`` then comes from the connection, whose local address is
    ``127.0.0.1:80``). ``payload`` is the body (bytes, or a StreamReader);
    what a response writes goes to an in-memory stream, readable as
    ``request.writer_output.sent`` (or to ``writer``, an object with
    ``async send(bytes)``). ``transport``, when given, is asked
    ``get_extra_info("peername")`` and ``("sockname")`` for the connection's
    addresses (as aiohttp's mocked request does); else the peer is
    ``remote``. ``sslcontext`` makes it an https request.
    """
    _refuse_loop(kwargs)
    if kwargs:
        raise TypeError(f"make_mocked_request() got unexpected arguments: {', '.join(kwargs)}")
    raw_headers = CIMultiDict(headers or ())
    keep_alive = not closing and version >= (1, 1)
    body: StreamReader
    if payload is None:
        body = EMPTY_PAYLOAD
    elif isinstance(payload, bytes):
        body = StreamReader()
        body.feed_data(payload)
        body.feed_eof()
        raw_headers.setdefault("Content-Length", str(len(payload)))
    else:
        body = payload
    length = raw_headers.get("Content-Length")
    head = RequestHead(
        method=method.upper(),
        target=path,
        version=version,
        headers=CIMultiDictProxy(raw_headers),
        keep_alive=keep_alive,
        upgrade="upgrade" in raw_headers.get("Connection", "").lower(),
        expect=raw_headers.get("Expect"),
        expect_continue=raw_headers.get("Expect", "").lower() == "100-continue",
        chunked="chunked" in raw_headers.get("Transfer-Encoding", "").lower(),
        content_length=int(length) if length is not None and length.isdigit() else None,
    )
    if transport is not None:
        peername = transport.get_extra_info("peername")
        sockname = transport.get_extra_info("sockname")
    else:
        peername = (remote, 12345) if remote else None
        sockname = _MOCKED_SOCKNAME
    stream = writer if writer is not None else _MemoryStream()
    request = Request(
        head,
        body,
        conn=_MockedConnection(stream, peername, sockname, sslcontext),
        client_max_size=client_max_size,
        client_max_fields=client_max_fields,
        secure=sslcontext is not None,
    )
    if app is None:
        app = Application()
    info = UrlMappingMatchInfo(match_info or {}, ResourceRoute("*", _no_handler))
    info.add_app(app)
    request._match_info = info
    request.writer_output = stream  # type: ignore[attr-defined]
    return request


_NOTHING: Final[Any] = object()


def make_mocked_coro(return_value: Any = _NOTHING, raise_exception: Any = _NOTHING) -> mock.Mock:
    """A ``unittest.mock.Mock`` whose calls return a coroutine (as aiohttp's).

    Awaiting the call raises ``raise_exception`` when given, else returns
    ``return_value`` (None when not given); an awaitable ``return_value`` is
    awaited (and None returned, as aiohttp). The mock records the calls.
    """

    async def mocked(*args: Any, **kwargs: Any) -> Any:
        if raise_exception is not _NOTHING:
            raise raise_exception
        if return_value is _NOTHING:
            return None
        if inspect.isawaitable(return_value):
            await return_value
            return None
        return return_value

    return mock.Mock(wraps=mocked)


# -- aiohttp's event-loop helpers: a deliberate departure -----------------------------


def loop_context(*args: Any, **kwargs: Any) -> Iterator[Any]:
    """Not available: anyiohttp hands out no event loop (RuntimeError saying what to do)."""
    raise RuntimeError(f"loop_context() is not available: {_NO_LOOP}")


def setup_test_loop(*args: Any, **kwargs: Any) -> Any:
    """Not available: anyiohttp hands out no event loop (RuntimeError saying what to do)."""
    raise RuntimeError(f"setup_test_loop() is not available: {_NO_LOOP}")


def teardown_test_loop(*args: Any, **kwargs: Any) -> None:
    """Not available: anyiohttp hands out no event loop (RuntimeError saying what to do)."""
    raise RuntimeError(f"teardown_test_loop() is not available: {_NO_LOOP}")
