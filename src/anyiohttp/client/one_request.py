"""``anyiohttp.request()``: one request with a session of its own, as aiohttp's.

    async with anyiohttp.request("GET", url) as resp:
        text = await resp.text()

The session (and, without ``connector=``, its pool) is opened as the block
is entered and closed as it ends, so nothing outlives the block. Like
aiohttp's, the result is only an async context manager: ``await
anyiohttp.request(...)`` is a TypeError, since the session would have no
block to close it.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._backend import NO_LOOP, NoLoop, refuse_loop
from ..http.parser import HttpVersion, HttpVersion11
from .connector import BaseConnector, TCPConnector
from .session import _SENTINEL, ClientSession

if TYPE_CHECKING:
    from typing import Unpack

    from yarl import URL

    from .response import ClientResponse
    from .session import RequestOptions

__all__ = ("request",)


class _SessionRequestContextManager:
    """What :func:`request` returns: ``async with`` it to get the response.

    Entering opens the session and sends the request; leaving releases the
    response and closes the session, whether the block ended normally, by
    an error or by cancellation. An error or cancellation while entering
    closes the session before it propagates. One use only.
    """

    __slots__ = ("_kwargs", "_method", "_session", "_stack", "_url")

    def __init__(
        self, session: ClientSession, method: str, url: str | URL, kwargs: dict[str, Any]
    ) -> None:
        self._session = session
        self._method = method
        self._url = url
        self._kwargs = kwargs
        self._stack: AsyncExitStack | None = None

    async def __aenter__(self) -> ClientResponse:
        if self._stack is not None:
            raise RuntimeError("anyiohttp.request(...) is already in use")
        async with AsyncExitStack() as stack:
            session = await stack.enter_async_context(self._session)
            resp = await stack.enter_async_context(
                session.request(self._method, self._url, **self._kwargs)
            )
            self._stack = stack.pop_all()  # kept open until __aexit__
        return resp

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        stack, self._stack = self._stack, None
        assert stack is not None, "__aexit__ without __aenter__"
        return await stack.__aexit__(exc_type, exc, tb)


def request(
    method: str,
    url: str | URL,
    *,
    version: HttpVersion = HttpVersion11,
    connector: BaseConnector | None = None,
    loop: NoLoop = NO_LOOP,
    **kwargs: Unpack[RequestOptions],
) -> _SessionRequestContextManager:
    """Make one request with a session of its own: ``async with request(...) as resp``.

    As aiohttp's ``aiohttp.request()``: the keyword arguments are those of
    :meth:`ClientSession.request`, but ``cookies`` and ``timeout``, which go
    to the session, and ``version``. Without ``connector`` the session owns
    a ``TCPConnector(force_close=True)``: its connection is closed after the
    response. A ``connector`` given is borrowed (it must be open already:
    ``async with TCPConnector() as connector``) and stays open. The session
    is closed when the block ends.
    """
    refuse_loop("anyiohttp.request", loop)
    session = ClientSession(
        cookies=kwargs.pop("cookies", None),
        version=version,
        timeout=kwargs.pop("timeout", _SENTINEL),
        connector=connector if connector is not None else TCPConnector(force_close=True),
        connector_owner=connector is None,
    )
    return _SessionRequestContextManager(session, method, url, dict(kwargs))
