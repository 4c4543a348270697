"""The tutorial's first step: notes.py as it starts, one route on trio or asyncio.

python first_route.py --backend trio     # the tutorial calls this file notes.py
"""

from __future__ import annotations

import argparse

from anyiohttp import web

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    """A plain text page."""
    return web.Response(text="no notes yet")


def make_app() -> web.Application:
    """Build the application."""
    app = web.Application()
    app.add_routes(routes)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="the tutorial's first route")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host=args.host, port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
