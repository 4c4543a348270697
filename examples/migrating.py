"""The anyiohttp side of docs/migrating.rst, as a program that runs.

Each function is a block the page shows (included from here), beside the
aiohttp code it replaces: a loop-free ``main``, a background listener owned
by ``app.task_group``, concurrent requests in a task group, a runner used
with ``async with`` and stopped by an event another task sets, and the
low-level ``web.Server`` run by a ``ServerRunner``.
tests/examples/test_migrating.py runs it on asyncio and on trio.

    python examples/migrating.py --backend trio
"""

from __future__ import annotations

import argparse
from typing import Any

import anyio
from anyio.abc import TaskStatus

import anyiohttp
from anyiohttp import web

listener = web.AppKey("listener", anyio.CancelScope)
events_key = web.AppKey("events_key", list[str])


async def listen(app: web.Application) -> None:
    """Stands for a listener of one's own (a queue, a pub/sub channel)."""
    while True:
        app[events_key].append("event")
        await anyio.sleep(0.01)


async def start_listener(app: web.Application) -> None:
    scope = app[listener] = anyio.CancelScope()

    async def run() -> None:
        with scope:
            await listen(app)

    app.task_group.start_soon(run)


async def stop_listener(app: web.Application) -> None:
    app[listener].cancel()


async def events(request: web.Request) -> web.Response:
    """How many events the listener has seen so far."""
    return web.json_response({"events": len(request.app[events_key])})


def make_app() -> web.Application:
    """The application with its background listener."""
    app = web.Application()
    app[events_key] = []
    app.router.add_get("/events", events)
    app.on_startup.append(start_listener)
    app.on_shutdown.append(stop_listener)
    return app


async def fetch_all(session: anyiohttp.ClientSession, urls: list[str]) -> dict[str, Any]:
    """Concurrent requests (aiohttp's ``asyncio.gather``), each in a task of one group."""
    results = {}

    async def fetch(url: str) -> None:
        async with session.get(url) as resp:
            results[url] = await resp.json()

    async with anyio.create_task_group() as tg:
        for url in urls:
            tg.start_soon(fetch, url)
    return results


async def serve_until(
    app: web.Application,
    stop_requested: anyio.Event,
    *,
    task_status: TaskStatus[int] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` until another task sets ``stop_requested``."""
    async with web.AppRunner(app) as runner:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        task_status.started(site.addresses[0][1])
        await stop_requested.wait()  # an anyio.Event set by the other task


async def hello(request: web.BaseRequest) -> web.Response:
    """A bare request handler for the low-level server."""
    return web.Response(text="low-level hello")


async def serve_low_level(
    handler: Any, *, task_status: TaskStatus[int] = anyio.TASK_STATUS_IGNORED
) -> None:
    """The low-level ``web.Server``, run by a ServerRunner until cancelled."""
    server = web.Server(handler)  # or web.ServerRunner(handler) directly
    async with web.ServerRunner(server) as runner:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        task_status.started(site.addresses[0][1])
        await anyio.sleep_forever()


async def main() -> None:
    """Serve the app and the low-level server, ask both, stop them: no loop anywhere."""
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        port = await tg.start(serve_until, make_app(), stop)
        low_level_port = await tg.start(serve_low_level, hello)
        async with anyiohttp.ClientSession() as session:
            await anyio.sleep(0.05)  # let the listener see a few events
            urls = [f"http://127.0.0.1:{port}/events"] * 3
            results = await fetch_all(session, urls)
            print("events seen:", all(r["events"] > 0 for r in results.values()))
            async with session.get(f"http://127.0.0.1:{low_level_port}/") as resp:
                print("low-level server:", await resp.text())
        stop.set()  # the runner's block ends: a graceful shutdown
        tg.cancel_scope.cancel()  # the low-level server too
    print("stopped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the anyiohttp side of docs/migrating.rst")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    anyio.run(main, backend=args.backend)
