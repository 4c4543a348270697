"""Work in a handler after its response was sent (aiohttp's FAQ).

``await resp.prepare(request)`` and ``await resp.write_eof()`` send the
whole response; the handler then goes on, and returns the response object
when it is done. The follow-up still belongs to the request: it runs in
the handler's cancel scope, it delays the next request on the same
keep-alive connection (not the others), and at shutdown it is given
``shutdown_timeout`` like any handler, then cancelled.

Work that should not hold the connection goes to ``app.task_group``
instead (``examples/app_lifetime.py``).

    python examples/after_response.py --backend trio
    # curl http://127.0.0.1:8080/ping; curl http://127.0.0.1:8080/pongs
"""

from __future__ import annotations

import argparse

import anyio

from anyiohttp import web


class PongCounter:
    """Stands for a slow store (a database, a metrics service)."""

    def __init__(self) -> None:
        self.count = 0

    async def increment(self) -> None:
        await anyio.sleep(0.05)  # the slow part
        self.count += 1


counter_key = web.AppKey("counter", PongCounter)


async def ping(request: web.Request) -> web.Response:
    """Answer first, then count."""
    resp = web.json_response({"message": "pong"})
    await resp.prepare(request)
    await resp.write_eof()  # the client has its whole answer now
    await request.app[counter_key].increment()
    return resp  # the handler still returns its response


async def pongs(request: web.Request) -> web.Response:
    """How many pongs were counted."""
    return web.json_response({"pongs": request.app[counter_key].count})


def make_app() -> web.Application:
    """The application."""
    app = web.Application()
    app[counter_key] = PongCounter()
    app.router.add_get("/ping", ping)
    app.router.add_get("/pongs", pongs)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="work after the response")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
