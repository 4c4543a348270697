"""A ClientSession for the server's lifetime, and work after the response.

Two of aiohttp's FAQ answers, the structured way:

- the app's outgoing HTTP goes through one ClientSession opened by a
  cleanup context, so its connection pool lives exactly as long as the app;
- ``/notify`` answers at once and hands the slow part (calling a webhook) to
  ``app.task_group``: it runs after the response, and shutdown gives it
  ``shutdown_timeout`` to finish before cancelling it.

    python examples/app_lifetime.py --backend trio
    # GET /notify?url=http://127.0.0.1:8080/hook
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import anyiohttp
from anyiohttp import web

session_key = web.AppKey("session", anyiohttp.ClientSession)
delivered_key = web.AppKey("delivered", list)


async def client_session(app: web.Application) -> AsyncIterator[None]:
    """One ClientSession for the app's whole life."""
    async with anyiohttp.ClientSession(timeout=anyiohttp.ClientTimeout(total=10)) as session:
        app[session_key] = session
        yield


async def call_webhook(app: web.Application, url: str) -> None:
    """The slow part, run after the response in the app's task group."""
    async with app[session_key].post(url, json={"event": "notified"}) as resp:
        app[delivered_key].append(resp.status)


async def notify(request: web.Request) -> web.Response:
    """Answer now, call the webhook afterwards."""
    request.app.task_group.start_soon(call_webhook, request.app, request.query["url"])
    return web.json_response({"queued": True}, status=202)


async def hook(request: web.Request) -> web.Response:
    """A webhook receiver, so the example can call itself."""
    await request.json()
    return web.Response(text="ok")


def make_app() -> web.Application:
    """The application."""
    app = web.Application()
    app[delivered_key] = []
    app.cleanup_ctx.append(client_session)
    app.router.add_get("/notify", notify)
    app.router.add_post("/hook", hook)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="app lifetime example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
