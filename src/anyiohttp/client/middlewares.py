"""Client middlewares (aiohttp 3.12+): code around each request a session sends.

A middleware is ``async def mw(request, handler) -> ClientResponse``: it may
change the :class:`~anyiohttp.client.request.ClientRequest`, call
``await handler(request)`` (once, several times, or not at all) and look at
or replace the response. ``ClientSession(middlewares=(...))`` applies them
to every request, the first one outermost; ``middlewares=`` on one request
replaces the session's (``()``: none, for a middleware's own requests).
Each request of a redirect chain goes through them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeAlias

from .request import ClientRequest
from .response import ClientResponse

__all__ = ("ClientHandlerType", "ClientMiddlewareType", "build_client_middlewares")

#: What sends a request and returns its response (the next middleware, or the session).
ClientHandlerType: TypeAlias = Callable[[ClientRequest], Awaitable[ClientResponse]]
#: A client middleware: the request, and the handler to pass it on to.
ClientMiddlewareType: TypeAlias = Callable[
    [ClientRequest, ClientHandlerType], Awaitable[ClientResponse]
]


def build_client_middlewares(
    handler: ClientHandlerType, middlewares: Sequence[ClientMiddlewareType]
) -> ClientHandlerType:
    """``handler`` wrapped in ``middlewares``, the first one outermost.

    Built per request, so nothing keeps a reference to a middleware's state.
    """
    for middleware in reversed(middlewares):
        handler = _bind(middleware, handler)
    return handler


def _bind(middleware: ClientMiddlewareType, handler: ClientHandlerType) -> ClientHandlerType:
    async def next_handler(request: ClientRequest) -> ClientResponse:
        return await middleware(request, handler)

    return next_handler
