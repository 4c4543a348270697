"""Hello, world: the smallest anyiohttp server, on asyncio or trio.

python examples/hello.py --backend trio --port 8080
"""

from __future__ import annotations

import argparse

from anyiohttp import web


async def hello(request: web.Request) -> web.Response:
    """Answer every GET / with a fixed text."""
    return web.Response(text="Hello, World!")


def make_app() -> web.Application:
    """The example's application."""
    app = web.Application()
    app.router.add_get("/", hello)
    return app


def main() -> None:
    """Parse the command line and serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="anyiohttp hello-world server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument(
        "--no-access-log", action="store_true", help="do not log each request (for benchmarks)"
    )
    args = parser.parse_args()
    app = make_app()
    if args.no_access_log:
        web.run_app(app, host=args.host, port=args.port, backend=args.backend, access_log=None)
    else:
        web.run_app(app, host=args.host, port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
