"""A ClientSession built outside any event loop (aiohttp's FAQ).

aiohttp's session grabs an event loop when it is built, so one made at
import time can end up bound to a loop that is not the one running it.
Ours binds nothing when it is built: it opens its connection pool (a task
group) when its ``async with`` block is entered, in whatever event loop
runs that block, asyncio or trio. Used outside the block, it refuses with
a ``RuntimeError`` that shows the ``async with`` form.

The session's block is still where it belongs: inside the program's
``main()``, around everything that uses it.

    python examples/session_anywhere.py --backend trio
"""

from __future__ import annotations

import argparse
from functools import partial

import anyio

import anyiohttp
from anyiohttp import web

# Built at import time, before any event loop exists: harmless.
session = anyiohttp.ClientSession(raise_for_status=True)


async def hello(request: web.Request) -> web.Response:
    """Something to talk to."""
    return web.Response(text="hello")


async def main() -> None:
    """Use the session before its block (refused), then inside it."""
    app = web.Application()
    app.router.add_get("/", hello)
    async with anyio.create_task_group() as tg:
        host, port = await tg.start(partial(web.serve, app, host="127.0.0.1", port=0))
        url = f"http://{host}:{port}/"
        try:
            await session.get(url)
        except RuntimeError as exc:
            print("outside the block:", exc)
        async with session:
            async with session.get(url) as resp:
                print("inside the block:", resp.status, await resp.text())
        print("after the block: closed =", session.closed)
        tg.cancel_scope.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a session built at import time")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    anyio.run(main, backend=args.backend)
