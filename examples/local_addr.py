"""Making requests from a given local address (aiohttp's FAQ).

A machine with several interfaces picks the source address of each
connection by its routing table. ``TCPConnector(local_addr=(host, port))``
binds every connection the pool opens to ``host`` instead (port 0: any
free port). The connector belongs to the session, which closes it.

The program serves a tiny app that answers with the address it sees the
request coming from, then asks it from ``--local-host``::

    python examples/local_addr.py --backend trio --local-host 127.0.0.2
    # request came from 127.0.0.2   (Linux: all of 127.0.0.0/8 is loopback)
"""

from __future__ import annotations

import argparse
from functools import partial

import anyio

import anyiohttp
from anyiohttp import web


async def whoami(request: web.Request) -> web.Response:
    """The client's address as the server sees it."""
    return web.Response(text=str(request.remote))


async def fetch_from(local_host: str, url: str) -> str:
    """GET ``url`` over a connection bound to ``local_host``."""
    connector = anyiohttp.TCPConnector(local_addr=(local_host, 0))
    async with anyiohttp.ClientSession(connector=connector) as session:
        async with session.get(url) as resp:
            return await resp.text()


async def main(local_host: str) -> None:
    """Serve on a free port, ask it from ``local_host``, stop."""
    app = web.Application()
    app.router.add_get("/", whoami)
    async with anyio.create_task_group() as tg:
        serve = partial(web.serve, app, host="127.0.0.1", port=0, access_log=None)
        host, port = await tg.start(serve)
        seen = await fetch_from(local_host, f"http://{host}:{port}/")
        print(f"request came from {seen}")
        tg.cancel_scope.cancel()  # stop serving (a graceful shutdown)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="local_addr example")
    parser.add_argument("--local-host", default="127.0.0.1")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    anyio.run(main, args.local_host, backend=args.backend)
