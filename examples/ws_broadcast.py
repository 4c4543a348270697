"""Parallel event sources in one WebSocket handler, the structured way.

aiohttp's FAQ answers "how do I receive from the client and from another
source at once?" with a background ``create_task``. Here each handler opens
a task group: one task forwards broadcast messages to the client while the
handler's own loop reads what the client sends; when the client leaves, the
group is cancelled and nothing is left behind.

The broadcast source is an anyio memory object stream per subscriber.

    python examples/ws_broadcast.py --backend trio
    # then connect several WebSocket clients to ws://127.0.0.1:8080/ws
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from anyiohttp import web


class Broadcast:
    """Fan-out: every published message goes to every current subscriber."""

    def __init__(self) -> None:
        self._subscribers: set[MemoryObjectSendStream[str]] = set()

    async def publish(self, message: str) -> None:
        """Send ``message`` to all subscribers (a full one is dropped, not waited for)."""
        for send in list(self._subscribers):
            try:
                send.send_nowait(message)
            except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._subscribers.discard(send)
                await send.aclose()

    @asynccontextmanager
    async def subscription(self) -> AsyncIterator[MemoryObjectReceiveStream[str]]:
        """Subscribe for the length of the block; iterate what it yields."""
        send, receive = anyio.create_memory_object_stream[str](max_buffer_size=100)
        self._subscribers.add(send)
        try:
            async with send, receive:
                yield receive
        finally:
            self._subscribers.discard(send)

    @property
    def subscribers(self) -> int:
        """How many subscribers there are."""
        return len(self._subscribers)


broadcast_key = web.AppKey("broadcast", Broadcast)


async def forward(ws: web.WebSocketResponse, messages: MemoryObjectReceiveStream[str]) -> None:
    """The second event source: broadcast messages go out to this client."""
    async for message in messages:
        await ws.send_str(message)


async def chat(request: web.Request) -> web.WebSocketResponse:
    """Each client's messages are broadcast to everyone (itself included)."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    broadcast = request.app[broadcast_key]
    async with broadcast.subscription() as messages, anyio.create_task_group() as tg:
        tg.start_soon(forward, ws, messages)
        async for msg in ws:
            if msg.type is web.WSMsgType.TEXT:
                await broadcast.publish(msg.data)
        tg.cancel_scope.cancel()  # the client left: stop forwarding
    return ws


def make_app(*, with_ticker: bool = False) -> web.Application:
    """The chat application."""
    app = web.Application()
    app[broadcast_key] = Broadcast()
    app.router.add_get("/ws", chat)
    if with_ticker:
        app.on_startup.append(_start_ticker)
        app.on_shutdown.append(_stop_ticker)
    return app


ticker_key = web.AppKey("ticker", anyio.CancelScope)


async def _start_ticker(app: web.Application) -> None:
    """A third, app-wide source: a tick every second, run by the app's task group.

    It runs until shutdown, when ``_stop_ticker`` (an on_shutdown callback)
    cancels it: every task has an owner that ends it.
    """
    scope = app[ticker_key] = anyio.CancelScope()

    async def tick() -> None:
        n = 0
        with scope:
            while True:
                await anyio.sleep(1)
                n += 1
                await app[broadcast_key].publish(f"tick {n}")

    app.task_group.start_soon(tick)


async def _stop_ticker(app: web.Application) -> None:
    app[ticker_key].cancel()


def main() -> None:
    """Serve the chat until Ctrl+C."""
    parser = argparse.ArgumentParser(description="WebSocket broadcast example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(with_ticker=True), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
