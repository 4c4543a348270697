"""Minimal aiohttp hello-world server, the peer for benchmarks/hello.sh.

python benchmarks/peer_aiohttp_hello.py --port 8082
python benchmarks/peer_aiohttp_hello.py --port 8082 --delay 0.005   # each answer 5 ms late
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

DELAY = 0.0


async def hello(request: web.Request) -> web.Response:
    if DELAY:
        await asyncio.sleep(DELAY)
    return web.Response(text="Hello, World!")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    DELAY = args.delay
    app = web.Application()
    app.router.add_get("/", hello)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)
