"""The tutorial's tests: each one runs on asyncio and on trio."""

from __future__ import annotations

import anyio
import pytest
from anyiohttp.testing.plugin import AiohttpClient

from notes import make_app

pytestmark = pytest.mark.anyio


async def test_add_and_list_notes(anyiohttp_client: AiohttpClient) -> None:
    client = await anyiohttp_client(make_app())
    resp = await client.post("/notes", json={"text": "buy milk"})
    assert resp.status == 201
    assert await resp.json() == {"id": 1, "text": "buy milk", "link": None, "title": None}
    resp = await client.get("/notes")
    assert [note["text"] for note in await resp.json()] == ["buy milk"]
    resp = await client.get("/")
    assert await resp.text() == "1 note(s)"


async def test_a_bad_note_is_refused(anyiohttp_client: AiohttpClient) -> None:
    client = await anyiohttp_client(make_app())
    resp = await client.post("/notes", json={"txt": "typo"})
    assert resp.status == 400
    resp = await client.get("/notes/1")
    assert resp.status == 404


async def test_the_feed_gets_new_notes(anyiohttp_client: AiohttpClient) -> None:
    client = await anyiohttp_client(make_app())
    async with client.ws_connect("/feed") as ws:
        await ws.send_str("count")  # answered once the feed is listening
        assert await ws.receive_json() == {"count": 0}
        await client.post("/notes", json={"text": "call ann"})
        with anyio.fail_after(5):
            event = await ws.receive_json()
    assert event["event"] == "added"
    assert event["note"]["text"] == "call ann"


async def test_a_link_gets_its_title_in_the_background(anyiohttp_client: AiohttpClient) -> None:
    client = await anyiohttp_client(make_app())
    link = str(client.make_url("/about"))
    async with client.ws_connect("/feed") as ws:
        await ws.send_str("count")
        await ws.receive_json()
        resp = await client.post("/notes", json={"text": "read this", "link": link})
        assert (await resp.json())["title"] is None  # not fetched yet
        with anyio.fail_after(5):
            assert (await ws.receive_json())["event"] == "added"
            event = await ws.receive_json()
    assert event == {
        "event": "titled",
        "note": {"id": 1, "text": "read this", "link": link, "title": "About notes"},
    }
