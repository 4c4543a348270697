"""Closing a user's WebSockets from another handler (aiohttp's FAQ, the structured way).

The app keeps a registry of open WebSocketResponses per user. ``/logout``
closes them: ``await ws.close()`` from the logout handler's task sends the
close frame, the owning handler's ``async for`` ends, and ``close()``
returns once the client answered (or the close timeout passed).

    python examples/ws_logout.py --backend trio
    # connect to ws://127.0.0.1:8080/ws?user=ann, then GET /logout?user=ann
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from anyiohttp import web

sockets_key = web.AppKey("sockets", defaultdict)


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    """A user's WebSocket: registered while open, echoes text."""
    user = request.query["user"]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    sockets: defaultdict[str, set[web.WebSocketResponse]] = request.app[sockets_key]
    sockets[user].add(ws)
    try:
        async for msg in ws:
            if msg.type is web.WSMsgType.TEXT:
                await ws.send_str(f"{user}: {msg.data}")
    finally:
        sockets[user].discard(ws)
    return ws


async def logout(request: web.Request) -> web.Response:
    """Close every WebSocket of the user, then answer."""
    user = request.query["user"]
    sockets = request.app[sockets_key].pop(user, set())
    for ws in list(sockets):
        await ws.close(code=4000, message=b"logged out")
    return web.Response(text=f"closed {len(sockets)} socket(s) of {user}")


def make_app() -> web.Application:
    """The application."""
    app = web.Application()
    app[sockets_key] = defaultdict(set)
    app.router.add_get("/ws", ws_handler)
    app.router.add_get("/logout", logout)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="WebSocket logout example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
