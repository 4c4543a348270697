"""TestServer, RawTestServer, TestClient and make_mocked_request.

The servers listen on 127.0.0.1, port 0 (a free port) by default, and are
used with ``async with``: leaving the block shuts them down. If the shutdown
had to cancel work the test left running (a request still in flight, a task
in ``app.task_group``), leaving the block raises RuntimeError saying so,
instead of the test hanging or passing with work cut short.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Generic, TypeVar, Unpack

import anyio
from anyio.abc import ByteSendStream
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ..client.response import ClientResponse
from ..client.session import ClientSession, RequestContextManager, RequestOptions
from ..http.parser import HttpVersion, HttpVersion11, RequestHead
from ..http.stream_writer import StreamWriter
from ..http.streams import EMPTY_PAYLOAD, StreamReader
from ..web.app import Application
from ..web.request import BaseRequest, ConnectionInfo, Request
from ..web.routing import ResourceRoute, UrlMappingMatchInfo
from ..web.runner import AppRunner, BaseRunner, ServerRunner, TCPSite

__all__ = (
    "BaseTestServer",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "make_mocked_request",
    "unused_port",
)

_USAGE = (
    "use it as an async context manager:\n"
    "    async with TestClient(TestServer(app)) as client:\n"
    "        resp = await client.get('/')"
)

_S = TypeVar("_S", bound="BaseTestServer")


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BaseTestServer:
    """A server on 127.0.0.1 for the length of an ``async with`` block."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(
        self,
        *,
        scheme: str = "http",
        host: str = "127.0.0.1",
        port: int | None = None,
        shutdown_timeout: float = 5.0,
        **runner_kwargs: Any,
    ) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port or 0
        self._shutdown_timeout = shutdown_timeout
        self._runner_kwargs = runner_kwargs
        self._runner: BaseRunner | None = None
        self._stack: AsyncExitStack | None = None
        self._root: URL | None = None

    def _make_runner(self) -> BaseRunner:
        raise NotImplementedError

    @property
    def runner(self) -> BaseRunner | None:
        """The runner, while started."""
        return self._runner

    @property
    def started(self) -> bool:
        """True inside the ``async with`` block."""
        return self._runner is not None

    @property
    def closed(self) -> bool:
        """True when not started."""
        return self._runner is None

    async def start_server(self) -> None:
        """Not used: the server starts when its ``async with`` block is entered."""
        raise RuntimeError(f"{type(self).__name__}.start_server() is not used; {_USAGE}")

    async def __aenter__(self: _S) -> _S:
        if self._stack is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        runner = self._make_runner()
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            await stack.enter_async_context(runner)
            ssl_context = self._runner_kwargs.get("ssl_context")
            site = TCPSite(runner, self.host, self.port, ssl_context=ssl_context)
            await site.start()
        except BaseException:
            await stack.aclose()
            raise
        self.port = int(site.addresses[0][1])
        self._root = URL.build(scheme=self.scheme, host=self.host, port=self.port)
        self._runner = runner
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        runner, self._runner = self._runner, None
        assert stack is not None and runner is not None
        await stack.__aexit__(exc_type, exc, tb)
        if exc_type is None and runner.cancelled_at_shutdown:
            raise RuntimeError(
                f"{type(self).__name__}: the test left work running when it ended "
                f"({runner.cancelled_at_shutdown} cancelled at shutdown: a request still "
                "in flight or a task in app.task_group); finish or cancel it in the test"
            )

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on this server."""
        if self._root is None:
            raise RuntimeError(f"{type(self).__name__} is not started; {_USAGE}")
        url = URL(path)
        if url.is_absolute():
            raise ValueError("make_url() takes a path, not an absolute URL")
        return (
            self._root.join(url)
            if str(url).startswith("/")
            else self._root.join(URL("/" + str(url)))
        )


class TestServer(BaseTestServer):
    """Serves an Application (its whole lifetime: startup, cleanup) on 127.0.0.1."""

    def __init__(self, app: Application, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app

    def _make_runner(self) -> BaseRunner:
        kwargs = {k: v for k, v in self._runner_kwargs.items() if k != "ssl_context"}
        return AppRunner(self.app, shutdown_timeout=self._shutdown_timeout, **kwargs)


class RawTestServer(BaseTestServer):
    """Serves a bare request handler ``async def handler(request) -> response``."""

    def __init__(self, handler: Callable[[BaseRequest], Awaitable[Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handler = handler

    def _make_runner(self) -> BaseRunner:
        kwargs = {k: v for k, v in self._runner_kwargs.items() if k != "ssl_context"}
        return ServerRunner(self._handler, shutdown_timeout=self._shutdown_timeout, **kwargs)


class TestClient(Generic[_S]):
    """A ClientSession bound to a test server: methods take paths.

    ``async with TestClient(TestServer(app)) as client`` starts the server
    (unless already started) and the session; leaving it closes both.
    """

    __test__ = False

    def __init__(self, server: _S, **session_kwargs: Any) -> None:
        if not isinstance(server, BaseTestServer):
            raise TypeError(f"server must be a TestServer or RawTestServer, got {server!r}")
        self._server = server
        self._session_kwargs = session_kwargs
        self._session: ClientSession | None = None
        self._stack: AsyncExitStack | None = None
        self._responses: list[ClientResponse] = []

    @property
    def server(self) -> _S:
        """The test server."""
        return self._server

    @property
    def app(self) -> Application | None:
        """The application of a TestServer (None for a RawTestServer)."""
        return getattr(self._server, "app", None)

    @property
    def host(self) -> str:
        """The server's host."""
        return self._server.host

    @property
    def port(self) -> int:
        """The server's port."""
        return self._server.port

    @property
    def session(self) -> ClientSession:
        """The underlying ClientSession."""
        if self._session is None:
            raise RuntimeError(f"TestClient is not started; {_USAGE}")
        return self._session

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on the server."""
        return self._server.make_url(path)

    async def __aenter__(self) -> TestClient[_S]:
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            if not self._server.started:
                await stack.enter_async_context(self._server)
            if "cookie_jar" not in self._session_kwargs:
                from ..client.cookies import CookieJar

                # the server is 127.0.0.1: an IP host needs unsafe=True
                self._session_kwargs["cookie_jar"] = CookieJar(unsafe=True)
            session = ClientSession(**self._session_kwargs)
            await stack.enter_async_context(session)
        except BaseException:
            await stack.aclose()
            raise
        self._session = session
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for resp in self._responses:
            resp.release()
        self._responses.clear()
        stack, self._stack = self._stack, None
        self._session = None
        assert stack is not None
        await stack.__aexit__(exc_type, exc, tb)

    async def close(self) -> None:
        """Not used: leaving the ``async with`` block closes the client."""
        raise RuntimeError(f"TestClient.close() is not used; {_USAGE}")

    def request(
        self, method: str, path: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager:
        """Request ``path`` on the server (``async with`` it, or await it)."""
        return RequestContextManager(self._request(method, path, **kwargs))

    async def _request(
        self, method: str, path: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> ClientResponse:
        resp = await self.session.request(method, self.make_url(path), **kwargs)
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

    def ws_connect(self, path: str | URL, **kwargs: Any) -> Any:
        """Open a WebSocket to ``path`` (``async with client.ws_connect('/ws') as ws``)."""
        connect = getattr(self.session, "ws_connect", None)
        if connect is None:
            raise NotImplementedError("WebSocket support is not available yet")
        return connect(self.make_url(path), **kwargs)


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

    def __init__(self, stream: Any, remote: str | None, sslcontext: Any) -> None:
        super().__init__(peername=(remote, 12345) if remote else None, ssl_object=sslcontext)
        self._stream = stream

    def new_writer(self) -> StreamWriter:
        """A writer to the in-memory stream (or the ``writer`` given)."""
        return StreamWriter(self._stream)


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
    payload: StreamReader | bytes | None = None,
    sslcontext: Any = None,
    client_max_size: int = 1024**2,
    client_max_fields: int = 1000,
    remote: str | None = "127.0.0.1",
) -> Request:
    """A Request for unit-testing handlers and middlewares without a socket.

    ``payload`` is the body (bytes, or a StreamReader); what a response
    writes goes to an in-memory stream, readable as ``request.writer_output``
    (or to ``writer``, an object with ``async send(bytes)``).
    """
    raw_headers = CIMultiDict(headers or ())
    if version >= (1, 1) and "Host" not in raw_headers:
        raw_headers["Host"] = "test"
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
        raw_headers=tuple((k.encode(), v.encode()) for k, v in raw_headers.items()),
        keep_alive=keep_alive,
        upgrade="upgrade" in raw_headers.get("Connection", "").lower(),
        expect_continue=raw_headers.get("Expect", "").lower() == "100-continue",
        chunked="chunked" in raw_headers.get("Transfer-Encoding", "").lower(),
        content_length=int(length) if length is not None and length.isdigit() else None,
    )
    stream = writer if writer is not None else _MemoryStream()
    request = Request(
        head,
        body,
        conn=_MockedConnection(stream, remote, sslcontext),
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
