"""The tutorial's application: notes, over JSON and a WebSocket feed.

python notes.py --backend trio     # or --backend asyncio
"""

from __future__ import annotations

import argparse
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

import anyio
import anyiohttp
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from anyiohttp import web
from anyiohttp.client import ClientError

# -- the notes -------------------------------------------------------------------------


@dataclass
class Note:
    """One note; ``title`` is the title of the page ``link`` points to."""

    id: int
    text: str
    link: str | None = None
    title: str | None = None


class Notes:
    """The notes, and the feeds listening for changes."""

    def __init__(self) -> None:
        self.items: dict[int, Note] = {}
        self._listeners: set[MemoryObjectSendStream[dict[str, Any]]] = set()

    def add(self, text: str, link: str | None) -> Note:
        """Store a new note and tell the listeners."""
        note = Note(id=len(self.items) + 1, text=text, link=link)
        self.items[note.id] = note
        self.publish("added", note)
        return note

    def publish(self, event: str, note: Note) -> None:
        """Send an event to every listener (one that cannot keep up is dropped)."""
        for send in list(self._listeners):
            try:
                send.send_nowait({"event": event, "note": asdict(note)})
            except (anyio.WouldBlock, anyio.BrokenResourceError):
                self._listeners.discard(send)
                send.close()

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[MemoryObjectReceiveStream[dict[str, Any]]]:
        """Receive the events for the length of the block."""
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](max_buffer_size=100)
        self._listeners.add(send)
        try:
            with send, receive:
                yield receive
        finally:
            self._listeners.discard(send)


notes_key = web.AppKey("notes", Notes)
session_key = web.AppKey("session", anyiohttp.ClientSession)

# -- routes --------------------------------------------------------------------------

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    """A plain text page."""
    count = len(request.app[notes_key].items)
    return web.Response(text=f"{count} note(s)")


@routes.get("/notes")
async def list_notes(request: web.Request) -> web.Response:
    """Every note, as JSON."""
    notes = request.app[notes_key].items.values()
    return web.json_response([asdict(note) for note in notes])


@routes.get("/notes/{id:\\d+}")
async def get_note(request: web.Request) -> web.Response:
    """One note, or 404."""
    note = request.app[notes_key].items.get(int(request.match_info["id"]))
    if note is None:
        raise web.HTTPNotFound(text="no such note")
    return web.json_response(asdict(note))


@routes.post("/notes")
async def add_note(request: web.Request) -> web.Response:
    """Add a note from a JSON body: {"text": ..., "link": ... (optional)}."""
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    text, link = data.get("text"), data.get("link")
    if not isinstance(text, str) or not text or not isinstance(link, str | None):
        raise web.HTTPBadRequest(text='expected {"text": "...", "link": "..."}')
    note = request.app[notes_key].add(text, link)
    if link:
        request.app.task_group.start_soon(fetch_title, request.app, note)
    return web.json_response(asdict(note), status=201)


@routes.get("/about")
async def about(request: web.Request) -> web.Response:
    """An HTML page, with a title for notes to link to."""
    html = "<html><head><title>About notes</title></head><body>A tutorial app.</body></html>"
    return web.Response(text=html, content_type="text/html")


# -- the WebSocket feed -----------------------------------------------------------------


async def forward(
    ws: web.WebSocketResponse, events: MemoryObjectReceiveStream[dict[str, Any]]
) -> None:
    """Send each event to the WebSocket client."""
    async for event in events:
        await ws.send_json(event)


@routes.get("/feed")
async def feed(request: web.Request) -> web.WebSocketResponse:
    """A WebSocket that receives every change to the notes."""
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    async with request.app[notes_key].listen() as events, anyio.create_task_group() as tg:
        tg.start_soon(forward, ws, events)
        async for msg in ws:  # until the client leaves
            if msg.type is web.WSMsgType.TEXT and msg.data == "count":
                await ws.send_json({"count": len(request.app[notes_key].items)})
        tg.cancel_scope.cancel()
    return ws


# -- the client session and background work ---------------------------------------------


async def client_session(app: web.Application) -> AsyncIterator[None]:
    """One ClientSession for the app's life."""
    timeout = anyiohttp.ClientTimeout(total=10)
    async with anyiohttp.ClientSession(timeout=timeout) as session:
        app[session_key] = session
        yield


TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


async def fetch_title(app: web.Application, note: Note) -> None:
    """Background work: find the title of the page a note links to."""
    assert note.link is not None
    try:
        async with app[session_key].get(note.link) as resp:
            found = TITLE.search(await resp.text())
            note.title = found.group(1).strip() if found else ""
    except (ClientError, TimeoutError, ValueError):
        note.title = "(unreachable)"
    app[notes_key].publish("titled", note)


# -- the application -------------------------------------------------------------------


def make_app() -> web.Application:
    """Build the application."""
    app = web.Application()
    app[notes_key] = Notes()
    app.cleanup_ctx.append(client_session)
    app.add_routes(routes)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="the tutorial's notes app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host=args.host, port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
