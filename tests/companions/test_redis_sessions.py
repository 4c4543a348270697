"""anyiohttp.sessions.redis_storage.RedisStorage against a real redis-server, on both
backends, and interchangeable with aiohttp_session's RedisStorage on the same server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import aiohttp.test_utils
import aiohttp.web
import aiohttp.web_exceptions
import aiohttp_session
import aiohttp_session.redis_storage
import anyio
import httpx
import pytest
import redis.asyncio

from anyiohttp import DummyCookieJar, web
from anyiohttp.sessions import AbstractStorage, Session, get_session, setup
from anyiohttp.sessions.redis_client import RedisClient
from anyiohttp.sessions.redis_storage import RedisStorage
from anyiohttp.testing import make_mocked_request

from ..conftest import run_app
from .test_sessions import counter_app

pytestmark = pytest.mark.anyio


@pytest.fixture
async def redis_client(redis_port: int) -> AsyncIterator[RedisClient]:
    """Our client to the test process's redis-server."""
    async with RedisClient("127.0.0.1", redis_port) as client:
        yield client


async def stored(client: RedisClient, key: str) -> Any:
    raw = await client.get(key)
    return None if raw is None else json.loads(raw)


async def test_session_round_trip_with_our_client(anyiohttp_client, redis_client) -> None:  # type: ignore[no-untyped-def]
    storage = RedisStorage(redis_client, max_age=600, samesite="Lax")
    client = await anyiohttp_client(counter_app(storage))
    for visits in (1, 2, 3):
        resp = await client.get("/count")
        assert await resp.json() == {"visits": visits, "new": visits == 1}
    morsel = resp.cookies["AIOHTTP_SESSION"]
    key = morsel.value
    assert len(key) == 32 and morsel["max-age"] == "600" and morsel["samesite"] == "Lax"
    data = await stored(redis_client, f"AIOHTTP_SESSION_{key}")
    assert data["session"] == {"visits": 3} and abs(data["created"] - time.time()) < 600
    ttl = await redis_client.execute_command("TTL", f"AIOHTTP_SESSION_{key}")
    assert isinstance(ttl, int) and 0 < ttl <= 600

    resp = await client.get("/login?user=ann")  # a new session: a new key
    assert await resp.json() == {"data": {"user": "ann"}, "new": False}
    new_key = resp.history[0].cookies["AIOHTTP_SESSION"].value
    assert new_key != key
    assert (await stored(redis_client, f"AIOHTTP_SESSION_{new_key}"))["session"] == {"user": "ann"}

    resp = await client.get("/logout")
    deleted = resp.cookies["AIOHTTP_SESSION"]
    assert deleted.value == "" and deleted["max-age"] == "0"
    assert await redis_client.get(f"AIOHTTP_SESSION_{new_key}") is None
    assert await (await client.get("/peek")).json() == {"data": {}, "new": True}


async def test_session_round_trip_with_httpx(redis_port: int) -> None:
    async with (
        RedisClient.from_url(f"redis://127.0.0.1:{redis_port}/0") as redis_client,
        run_app(counter_app(RedisStorage(redis_client, cookie_name="SID"))) as url,
        httpx.AsyncClient(base_url=str(url)) as http,
    ):
        for visits in (1, 2):
            resp = await http.get("/count")
            assert resp.json() == {"visits": visits, "new": visits == 1}
        key = http.cookies["SID"]
        assert "Max-Age" not in resp.headers["set-cookie"]  # no max_age: a browser session
        assert await redis_client.execute_command("TTL", f"SID_{key}") == -1
        # Another client that only has the key: the same server-side session.
        async with httpx.AsyncClient(base_url=str(url), cookies={"SID": key}) as other:
            assert (await other.get("/peek")).json() == {"data": {"visits": 2}, "new": False}
        await redis_client.delete(f"SID_{key}")


async def test_unknown_or_broken_keys_start_a_new_session_under_a_new_key(
    anyiohttp_client,  # type: ignore[no-untyped-def]
    redis_client: RedisClient,
) -> None:
    client = await anyiohttp_client(
        counter_app(RedisStorage(redis_client)), cookie_jar=DummyCookieJar()
    )

    async def count(key: str) -> tuple[Any, str]:
        resp = await client.get("/count", headers={"Cookie": f"AIOHTTP_SESSION={key}"})
        return await resp.json(), resp.cookies["AIOHTTP_SESSION"].value

    # A key the server never gave out is not adopted (no session fixation).
    body, key = await count("chosen-by-an-attacker")
    assert body == {"visits": 1, "new": True} and key != "chosen-by-an-attacker"
    assert await redis_client.get("AIOHTTP_SESSION_chosen-by-an-attacker") is None
    assert await count(key) == ({"visits": 2, "new": False}, key)
    # Not JSON in Redis: as aiohttp_session, the key is kept with an empty session.
    await redis_client.set(f"AIOHTTP_SESSION_{key}", "{not json")
    assert await count(key) == ({"visits": 1, "new": False}, key)
    await redis_client.delete(f"AIOHTTP_SESSION_{key}")


async def test_redis_py_asyncio_client_works_on_asyncio_and_is_refused_on_trio(
    anyio_backend: str,
    redis_port: int,
    anyiohttp_client,  # type: ignore[no-untyped-def]
) -> None:
    client = redis.asyncio.Redis(host="127.0.0.1", port=redis_port)
    try:
        storage = RedisStorage(client)
        request = make_mocked_request("GET", "/", headers={"Cookie": "AIOHTTP_SESSION=k"})
        if anyio_backend == "trio":
            with pytest.raises(RuntimeError, match=r"asyncio only.*RedisClient"):
                await storage.load_session(request)
            with pytest.raises(RuntimeError, match="asyncio only"):
                await storage.save_session(
                    request, web.Response(), Session(None, data=None, new=True)
                )
            return
        http = await anyiohttp_client(counter_app(storage))
        for visits in (1, 2):
            resp = await http.get("/count")
            assert await resp.json() == {"visits": visits, "new": visits == 1}
        key = resp.cookies["AIOHTTP_SESSION"].value
        assert json.loads(await client.get(f"AIOHTTP_SESSION_{key}"))["session"] == {"visits": 2}
        await client.delete(f"AIOHTTP_SESSION_{key}")
    finally:
        if anyio_backend == "asyncio":
            await client.aclose()


def test_a_client_without_get_set_delete_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="async get/set/delete"):
        RedisStorage(object())  # type: ignore[arg-type]
    assert isinstance(RedisStorage(RedisClient()), AbstractStorage)  # no connection yet


def in_asyncio_thread(port: int, work: Any) -> Any:
    """Run ``work(redis.asyncio.Redis)`` on an asyncio loop of its own, in this thread.

    aiohttp_session's storage needs asyncio and redis-py's asyncio client:
    called through anyio.to_thread, it runs beside a test on either backend.
    """

    async def main() -> Any:
        client = redis.asyncio.Redis(host="127.0.0.1", port=port)
        try:
            return await work(client)
        finally:
            await client.aclose()

    return asyncio.run(main())


async def test_sessions_are_interchangeable_with_aiohttp_session(
    redis_port: int, redis_client: RedisClient
) -> None:
    """aiohttp_session's RedisStorage and ours, on the same redis-server: the same
    keys and JSON, so a deployment moves between the two without logging users out."""
    cart = ["apple", {"n": 2}]

    async def they_write(client: redis.asyncio.Redis) -> str:
        theirs = aiohttp_session.redis_storage.RedisStorage(client, max_age=600)
        session = aiohttp_session.Session(None, data=None, new=True, max_age=600)
        session["cart"] = cart
        response = aiohttp.web.Response()
        await theirs.save_session(None, response, session)  # type: ignore[arg-type]
        return response.cookies["AIOHTTP_SESSION"].value

    key = await anyio.to_thread.run_sync(in_asyncio_thread, redis_port, they_write)
    async with run_app(counter_app(RedisStorage(redis_client, max_age=600))) as url:
        async with httpx.AsyncClient(base_url=str(url), cookies={"AIOHTTP_SESSION": key}) as http:
            resp = await http.get("/peek")
            assert resp.json() == {"data": {"cart": cart}, "new": False}
            resp = await http.get("/count")  # we write, under the same key
            assert resp.json() == {"visits": 1, "new": False}
            assert resp.cookies["AIOHTTP_SESSION"] == key

    async def they_read(client: redis.asyncio.Redis) -> tuple[bool, Any]:
        theirs = aiohttp_session.redis_storage.RedisStorage(client, max_age=600)
        request = aiohttp.test_utils.make_mocked_request(
            "GET", "/", headers={"Cookie": f"AIOHTTP_SESSION={key}"}
        )
        session = await theirs.load_session(request)
        return session.new, dict(session)

    new, data = await anyio.to_thread.run_sync(in_asyncio_thread, redis_port, they_read)
    assert not new and data == {"cart": cart, "visits": 1}
    ttl = await redis_client.execute_command("TTL", f"AIOHTTP_SESSION_{key}")
    assert isinstance(ttl, int) and 0 < ttl <= 600
    await redis_client.delete(f"AIOHTTP_SESSION_{key}")


async def test_a_session_invalidated_by_either_library_is_gone_for_both(
    redis_port: int, redis_client: RedisClient
) -> None:
    """aiohttp_session writes ``{}`` under an invalidated session's key, ours deletes
    the key: each library reads what the other left as no session at all."""

    async def they_invalidate(client: redis.asyncio.Redis) -> str:
        theirs = aiohttp_session.redis_storage.RedisStorage(client)
        session = aiohttp_session.Session("k" + uuid.uuid4().hex, data=None, new=False)
        session.invalidate()
        await theirs.save_session(None, aiohttp.web.Response(), session)  # type: ignore[arg-type]
        return str(session.identity)

    key = await anyio.to_thread.run_sync(in_asyncio_thread, redis_port, they_invalidate)
    assert await redis_client.get(f"AIOHTTP_SESSION_{key}") == b"{}"
    async with (
        run_app(counter_app(RedisStorage(redis_client))) as url,
        httpx.AsyncClient(base_url=str(url), cookies={"AIOHTTP_SESSION": key}) as http,
    ):
        resp = await http.get("/count")
        assert resp.json() == {"visits": 1, "new": True}
        new_key = resp.cookies["AIOHTTP_SESSION"]
        assert new_key != key
        assert (await http.get("/logout")).text == "bye"  # ours: the key is deleted
        assert await redis_client.get(f"AIOHTTP_SESSION_{new_key}") is None

    async def they_load(client: redis.asyncio.Redis) -> bool:
        theirs = aiohttp_session.redis_storage.RedisStorage(client)
        request = aiohttp.test_utils.make_mocked_request(
            "GET", "/", headers={"Cookie": f"AIOHTTP_SESSION={new_key}"}
        )
        session = await theirs.load_session(request)
        return session.new and session.empty

    assert await anyio.to_thread.run_sync(in_asyncio_thread, redis_port, they_load)
    await redis_client.delete(f"AIOHTTP_SESSION_{key}")


@asynccontextmanager
async def aiohttp_session_server(redis_port: int) -> AsyncIterator[str]:
    """An aiohttp server with aiohttp_session's RedisStorage, on an asyncio loop of
    its own in a worker thread (so beside a test on either backend); yields its URL."""
    started = threading.Event()
    state: dict[str, Any] = {}

    async def count(request: aiohttp.web.Request) -> aiohttp.web.Response:
        session = await aiohttp_session.get_session(request)
        session["visits"] = session.get("visits", 0) + 1
        return aiohttp.web.json_response({"visits": session["visits"], "new": session.new})

    async def serve() -> None:
        client = redis.asyncio.Redis(host="127.0.0.1", port=redis_port)
        app = aiohttp.web.Application()
        aiohttp_session.setup(app, aiohttp_session.redis_storage.RedisStorage(client))
        app.router.add_get("/count", count)
        runner = aiohttp.web.AppRunner(app)
        await runner.setup()
        try:
            site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            state["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
            state["stop"] = asyncio.Event()
            state["loop"] = asyncio.get_running_loop()
            started.set()
            await state["stop"].wait()
        finally:
            await runner.cleanup()
            await client.aclose()

    def run() -> None:
        with warnings.catch_warnings():
            # aiohttp_session keeps its objects under string request keys,
            # which aiohttp 3.14 warns about.
            warnings.simplefilter("ignore", aiohttp.web_exceptions.NotAppKeyWarning)
            asyncio.run(serve())

    async with anyio.create_task_group() as tg:
        tg.start_soon(partial(anyio.to_thread.run_sync, run, abandon_on_cancel=False))
        with anyio.fail_after(10):
            while not started.is_set():  # a bounded poll: a threading.Event, not an anyio one
                await anyio.sleep(0.01)
        try:
            yield state["url"]
        finally:
            state["loop"].call_soon_threadsafe(state["stop"].set)


async def test_a_session_made_by_an_aiohttp_server_continues_on_ours(
    redis_port: int, redis_client: RedisClient
) -> None:
    """The whole move: an aiohttp server with aiohttp_session starts the session,
    ours carries it on, and the aiohttp server sees what ours added."""
    async with (
        aiohttp_session_server(redis_port) as their_url,
        run_app(counter_app(RedisStorage(redis_client))) as our_url,
        httpx.AsyncClient() as http,
    ):
        visits = []
        for base in (their_url, our_url, their_url, our_url):
            visits.append((await http.get(f"{str(base).rstrip('/')}/count")).json())
        assert visits == [
            {"visits": 1, "new": True},
            {"visits": 2, "new": False},
            {"visits": 3, "new": False},
            {"visits": 4, "new": False},
        ]
        await redis_client.delete(f"AIOHTTP_SESSION_{http.cookies['AIOHTTP_SESSION']}")


async def test_storage_errors_reach_the_handler_as_redis_errors(
    anyiohttp_client,  # type: ignore[no-untyped-def]
) -> None:
    from anyiohttp.sessions.redis_client import RedisConnectionError

    from ..redis_server import free_port

    async with RedisClient("127.0.0.1", free_port()) as nowhere:
        app = web.Application()
        setup(app, RedisStorage(nowhere))
        seen: list[BaseException] = []

        async def handler(request: web.Request) -> web.Response:
            try:
                await get_session(request)
            except RedisConnectionError as exc:
                seen.append(exc)
                return web.Response(status=503, text="sessions unavailable")
            return web.Response()

        app.router.add_get("/", handler)
        client = await anyiohttp_client(app)
        resp = await client.get("/", headers={"Cookie": "AIOHTTP_SESSION=k"})
        assert resp.status == 503 and len(seen) == 1
