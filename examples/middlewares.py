"""Middlewares: data for the handlers, and responses of their own.

Two of aiohttp's FAQ answers:

- a middleware hands data to the handler by storing it in the request,
  under a typed ``web.RequestKey`` (requests, applications and responses
  are all mappings); it lives exactly as long as the request;
- a middleware that answers by itself builds a new response for every
  request. A response object serves one request: one kept in a variable
  and returned again is refused (the second request gets a 500, and the
  log says why), where aiohttp would hang that request.

    python examples/middlewares.py --backend trio
    # curl -i http://127.0.0.1:8080/
    # touch /tmp/maintenance; curl -i http://127.0.0.1:8080/
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from anyiohttp import web
from anyiohttp.typedefs import Handler, Middleware

request_id_key = web.RequestKey("request_id", str)
maintenance_flag_key = web.AppKey("maintenance_flag", Path)

_ids = itertools.count(1)


@web.middleware
async def request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give each request an id the handler can read, and echo it in the response."""
    rid = request.headers.get("X-Request-Id") or f"req-{next(_ids)}"
    request[request_id_key] = rid
    response = await handler(request)
    response.headers["X-Request-Id"] = rid
    return response


@web.middleware
async def maintenance(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 503 while the flag file exists: a new response each time."""
    if request.app[maintenance_flag_key].exists():
        return web.Response(status=503, text="down for maintenance")
    return await handler(request)


def cached_response_middleware() -> Middleware:
    """Don't do this: one response object returned for every request."""
    cached = web.Response(text="Hi, I am cached!")

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        return cached

    return middleware


async def hello(request: web.Request) -> web.Response:
    """Read what the middleware stored."""
    return web.Response(text=f"hello, request {request[request_id_key]}")


def make_app(
    maintenance_flag: Path = Path("/tmp/maintenance"), *, misbehave: bool = False
) -> web.Application:
    """The application (``misbehave=True`` adds the cached-response middleware)."""
    middlewares: list[Middleware] = [request_id, maintenance]
    if misbehave:
        middlewares.append(cached_response_middleware())
    app = web.Application(middlewares=middlewares)
    app[maintenance_flag_key] = maintenance_flag
    app.router.add_get("/", hello)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="middlewares example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--misbehave", action="store_true", help="add the cached response")
    args = parser.parse_args()
    app = make_app(misbehave=args.misbehave)
    web.run_app(app, host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
