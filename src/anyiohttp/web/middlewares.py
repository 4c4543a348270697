"""Ready-made middlewares (``normalize_path_middleware``) and the ``middleware`` marker."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from .app import Handler, middleware
from .exceptions import HTTPMove, HTTPPermanentRedirect
from .request import Request
from .response import StreamResponse

__all__ = ("middleware", "normalize_path_middleware")

_MULTIPLE_SLASHES = re.compile(r"//+")


def normalize_path_middleware(
    *,
    append_slash: bool = True,
    remove_slash: bool = False,
    merge_slashes: bool = True,
    redirect_class: type[HTTPMove] = HTTPPermanentRedirect,
) -> Callable[[Request, Handler], Awaitable[StreamResponse]]:
    """Redirect a path that does not match to a normalized one that does.

    Only when the original path finds no route, these are tried in order:
    merged slashes (``//a//b`` → ``/a/b``), then with a slash appended (or
    removed), then both; the first that matches a route is redirected to with
    ``redirect_class`` (308 by default), query string kept.
    """
    if append_slash and remove_slash:
        raise ValueError("Cannot both remove and append slash")

    @middleware
    async def impl(request: Request, handler: Handler) -> StreamResponse:
        if request.match_info.http_exception is None:
            return await handler(request)
        path = request.raw_path
        query = ""
        if "?" in path:
            path, query = path.split("?", 1)
            query = "?" + query
        candidates: list[str] = []
        if merge_slashes:
            candidates.append(_MULTIPLE_SLASHES.sub("/", path))
        if append_slash and not path.endswith("/"):
            candidates.append(path + "/")
        elif remove_slash and path.endswith("/") and len(path) > 1:
            candidates.append(path[:-1])
        if merge_slashes and (append_slash or remove_slash):
            merged = _MULTIPLE_SLASHES.sub("/", path)
            if append_slash and not merged.endswith("/"):
                candidates.append(merged + "/")
            elif remove_slash and merged.endswith("/") and len(merged) > 1:
                candidates.append(merged[:-1])
        router = request.app.router
        for candidate in candidates:
            if candidate == path:
                continue
            clone = request.clone(rel_url=candidate)
            match = router.resolve_path(
                request.method, clone.rel_url.path_safe, request.headers.get("Host")
            )
            if match.http_exception is None:
                raise redirect_class(candidate + query)
        return await handler(request)

    return impl
