"""Asking several upstream services at once, in one handler.

A handler that needs data from several places opens a task group and
starts one task per request: they run in parallel, the group waits for
all of them, and when one fails the others are cancelled and the failure
comes out of the ``async with`` as an ``ExceptionGroup``, which
``except*`` (Python 3.11) takes apart: here an upstream's error status
becomes our ``502 Bad Gateway``.

The HTTP client side follows aiohttp's FAQ on sessions in a web server:
the application owns one connection pool (a ``TCPConnector`` opened by a
cleanup context), and each report opens a short-lived ``ClientSession``
on it (``connector_owner=False``). Sessions are cheap and keep their own
cookies and defaults; the pool and its keep-alive connections are shared.

The "upstream services" are routes of the same app, so the example runs
on its own.

    python examples/fan_out.py --backend trio
    # curl http://127.0.0.1:8080/report/paris
    # curl http://127.0.0.1:8080/report/atlantis    -> 502
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from typing import Any

import anyio

import anyiohttp
from anyiohttp import web
from anyiohttp.client import ClientResponseError

connector_key = web.AppKey("connector", anyiohttp.BaseConnector)

UPSTREAMS = ("temperature", "wind")
KNOWN = {"paris": {"temperature": 18, "wind": 12}, "oslo": {"temperature": 4, "wind": 30}}


async def connection_pool(app: web.Application) -> AsyncIterator[None]:
    """One pool for the app's whole life (closed after the last request)."""
    async with anyiohttp.TCPConnector(limit=50) as connector:
        app[connector_key] = connector
        yield


async def upstream(request: web.Request) -> web.Response:
    """A stand-in for another service: knows some cities, not all of them."""
    city, what = request.match_info["city"], request.match_info["what"]
    if city not in KNOWN:
        raise web.HTTPNotFound(text=f"no {what} for {city}")
    return web.json_response({what: KNOWN[city][what]})


async def report(request: web.Request) -> web.Response:
    """Both upstreams in parallel; one failing fails the report with 502."""
    city = request.match_info["city"]
    base = request.url.origin() / "upstream"
    results: dict[str, Any] = {}

    async def fetch(session: anyiohttp.ClientSession, what: str) -> None:
        async with session.get(base / what / city) as resp:
            results.update(await resp.json())

    try:
        async with (
            anyiohttp.ClientSession(
                connector=request.app[connector_key], connector_owner=False, raise_for_status=True
            ) as session,
            anyio.create_task_group() as tg,
        ):
            for what in UPSTREAMS:
                tg.start_soon(fetch, session, what)
    except* ClientResponseError as group:
        failed = sorted(
            f"{exc.request_info.url.path}: {exc.status}"
            for exc in group.exceptions
            if isinstance(exc, ClientResponseError)
        )
        raise web.HTTPBadGateway(text="upstream failed: " + ", ".join(failed)) from None
    return web.json_response({"city": city, **results})


def make_app() -> web.Application:
    """The application."""
    app = web.Application()
    app.cleanup_ctx.append(connection_pool)
    app.router.add_get("/report/{city}", report)
    app.router.add_get("/upstream/{what}/{city}", upstream)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="fan-out example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
