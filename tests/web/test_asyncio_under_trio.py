"""asyncio code run under trio fails with asyncio's error, plus a note that says what to do.

aiohttp's own examples call asyncio.sleep in a handler, asyncio.create_task
in a cleanup context: on the asyncio backend that works; under trio the
error asyncio raises is kept, and its traceback tells the user where to look.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest

from anyiohttp import web

from ..conftest import run_app

pytestmark = pytest.mark.anyio

NOTE = "asyncio code running under trio"


def notes_of(exc: BaseException | None) -> str:
    return "\n".join(getattr(exc, "__notes__", ()))


async def test_handler_calling_asyncio_sleep(
    anyio_backend_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.01)
        return web.Response(text="slept")

    app = web.Application()
    app.router.add_get("/slow", slow)
    with caplog.at_level(logging.ERROR, logger="anyiohttp.server"):
        async with run_app(app) as url, httpx.AsyncClient() as client:
            resp = await client.get(str(url / "slow"))
    if anyio_backend_name == "asyncio":
        assert resp.text == "slept"
        return
    assert resp.status_code == 500
    [record] = [r for r in caplog.records if r.getMessage().startswith("Error handling request")]
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, RuntimeError) and "no running event loop" in str(error)
    assert NOTE in notes_of(error) and "docs/migrating.rst" in notes_of(error)


async def test_app_task_waiting_on_an_asyncio_event(
    anyio_backend_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    done = anyio.Event()

    async def job() -> None:
        try:
            event = asyncio.Event()
            if anyio_backend_name == "asyncio":
                event.set()
            await event.wait()
        finally:
            done.set()

    async def start(request: web.Request) -> web.Response:
        request.app.task_group.start_soon(job)
        return web.Response(text="started")

    app = web.Application()
    app.router.add_get("/", start)
    with caplog.at_level(logging.ERROR, logger="anyiohttp.web"):
        async with run_app(app) as url, httpx.AsyncClient() as client:
            assert (await client.get(str(url))).text == "started"
            with anyio.fail_after(5):
                await done.wait()
    records = [r for r in caplog.records if "app.task_group" in r.getMessage()]
    if anyio_backend_name == "asyncio":
        assert records == []
        return
    [record] = records
    assert record.exc_info is not None
    assert NOTE in notes_of(record.exc_info[1])


def test_run_app_on_trio_with_asyncio_task_in_cleanup_ctx() -> None:
    @asynccontextmanager
    async def background(app: web.Application) -> AsyncIterator[None]:
        # What asyncio.create_task(...) does first (without leaving a coroutine unawaited).
        asyncio.current_task()
        yield

    app = web.Application()
    app.cleanup_ctx.append(background)
    with pytest.raises(RuntimeError, match="no running event loop") as info:
        web.run_app(app, host="127.0.0.1", port=0, backend="trio", print=None)
    assert NOTE in notes_of(info.value)


def test_other_errors_get_no_note() -> None:
    async def startup(app: web.Application) -> None:
        raise RuntimeError("the database is down")

    app = web.Application()
    app.on_startup.append(startup)
    with pytest.raises(RuntimeError, match="the database is down") as info:
        web.run_app(app, host="127.0.0.1", port=0, backend="trio", print=None)
    assert notes_of(info.value) == ""
