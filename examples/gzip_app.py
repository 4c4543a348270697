"""Compressing every response of an application (aiohttp's FAQ).

aiohttp has no switch for this, and neither do we: what to compress is the
application's choice (text yes, JPEG no, tiny bodies not worth it, bodies
with secrets next to attacker-controlled text maybe not: BREACH). Two
ways to decide it in one place:

- an ``on_response_prepare`` callback: it runs inside ``prepare()``, just
  before the headers go out, for every response including streamed ones
  and the ones middlewares or error pages make;
- a middleware: it sees what the handler returned, before it is sent, but
  not a response the handler already streamed (``resp.prepared``).

``enable_compression()`` then picks the best coding the client accepts
(``Accept-Encoding``) and leaves the body alone when it accepts none.
A reverse proxy (nginx's ``gzip on``) is the third way.

    python examples/gzip_app.py --backend trio
    # curl -s --compressed -i http://127.0.0.1:8080/
"""

from __future__ import annotations

import argparse

from anyiohttp import hdrs, web
from anyiohttp.typedefs import Handler

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")
MIN_SIZE = 256  # bytes: below this the headers cost more than what is saved


def worth_compressing(response: web.StreamResponse) -> bool:
    """Text-like, not compressed yet, not a WebSocket, and not known to be tiny."""
    if isinstance(response, web.WebSocketResponse) or hdrs.CONTENT_ENCODING in response.headers:
        return False
    if response.status < 200 or response.status in (204, 304):
        return False
    if not response.content_type.startswith(COMPRESSIBLE):
        return False
    size = response.content_length
    return size is None or size >= MIN_SIZE


async def compress_on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """The signal way: every response, streamed ones included."""
    if worth_compressing(response):
        response.enable_compression()


@web.middleware
async def compress_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The middleware way: what the handler returned, unless it already streamed it."""
    response = await handler(request)
    if not response.prepared and worth_compressing(response):
        response.enable_compression()
    return response


async def page(request: web.Request) -> web.Response:
    """A text page, worth compressing."""
    return web.Response(text="anyiohttp " * 200, content_type="text/html")


async def streamed(request: web.Request) -> web.StreamResponse:
    """A streamed text body: only the signal sees it before it goes out."""
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    for n in range(100):
        await response.write(f"line {n}\n".encode())
    await response.write_eof()
    return response


async def image(request: web.Request) -> web.Response:
    """Already compressed data: left alone."""
    return web.Response(body=b"\x89PNG\r\n\x1a\n" + bytes(1000), content_type="image/png")


def make_app(way: str = "signal") -> web.Application:
    """The application, compressing with ``way``: ``"signal"`` or ``"middleware"``."""
    if way == "middleware":
        app = web.Application(middlewares=[compress_middleware])
    else:
        app = web.Application()
        app.on_response_prepare.append(compress_on_prepare)
    app.router.add_get("/", page)
    app.router.add_get("/streamed", streamed)
    app.router.add_get("/image.png", image)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="compression example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--way", choices=("signal", "middleware"), default="signal")
    args = parser.parse_args()
    web.run_app(make_app(args.way), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
