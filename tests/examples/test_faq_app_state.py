"""The FAQ's examples about app state: the database, middlewares, work after the response."""

from __future__ import annotations

from pathlib import Path

import after_response
import anyio
import database
import middlewares
import pytest

from anyiohttp.testing import TestServer

pytestmark = pytest.mark.anyio


async def test_database_is_shared_with_the_subapp(anyiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = database.make_app(str(tmp_path / "visits.sqlite"))
    client = await anyiohttp_client(app)
    for n in (1, 2):
        resp = await client.post("/visits/home")
        assert await resp.json() == {"page": "home", "visits": n}
    await client.post("/visits/about")
    resp = await client.get("/stats/visits/home")
    assert await resp.json() == {"visits": 2}
    resp = await client.get("/stats/visits/nowhere")
    assert await resp.json() == {"visits": 0}
    resp = await client.get("/stats/total")
    assert await resp.json() == {"visits": 3}


async def test_database_lives_as_long_as_the_app(tmp_path: Path) -> None:
    path = tmp_path / "visits.sqlite"
    app = database.make_app(str(path))
    async with TestServer(app):
        db = app[database.db_key]
        await db.execute("INSERT INTO visits VALUES ('x', 5)")
    with pytest.raises(Exception, match="closed"):
        await db.execute("SELECT 1")  # closed with the app
    async with database.open_database(str(path)) as again:  # and committed
        assert await again.execute("SELECT n FROM visits") == [(5,)]


async def test_middleware_stores_data_for_the_handler(anyiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flag = tmp_path / "maintenance"
    client = await anyiohttp_client(middlewares.make_app(flag))
    resp = await client.get("/", headers={"X-Request-Id": "abc"})
    assert await resp.text() == "hello, request abc"
    assert resp.headers["X-Request-Id"] == "abc"
    resp = await client.get("/")
    rid = resp.headers["X-Request-Id"]
    assert rid.startswith("req-") and await resp.text() == f"hello, request {rid}"
    flag.touch()
    for _ in range(2):  # a new response each time
        resp = await client.get("/")
        assert resp.status == 503 and await resp.text() == "down for maintenance"


async def test_a_reused_response_is_refused_not_hung(  # type: ignore[no-untyped-def]
    anyiohttp_client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = await anyiohttp_client(middlewares.make_app(tmp_path / "off", misbehave=True))
    with anyio.fail_after(10):
        first = await client.get("/")
        assert first.status == 200 and await first.text() == "Hi, I am cached!"
        second = await client.get("/")
        assert second.status == 500
    assert "a response object serves one request" in caplog.text


async def test_work_after_the_response(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = after_response.make_app()
    client = await anyiohttp_client(app)
    resp = await client.get("/ping")
    assert await resp.json() == {"message": "pong"}
    with anyio.fail_after(5):
        while app[after_response.counter_key].count < 1:
            await anyio.sleep(0.01)
    resp = await client.get("/pongs")
    assert await resp.json() == {"pongs": 1}
