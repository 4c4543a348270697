"""The client WebSocket's tasks end with the ``async with session.ws_connect()`` block.

The server runs in a thread of its own (its own event loop), so the tasks
the test sees with ``anyio.get_running_tasks()`` are the client's only. The
tasks that appeared once the WebSocket was open are the ones it owns (its
reader, and its heartbeat when one is set): none may be left when the block
is over.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import anyio
import anyio.from_thread
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web
from anyiohttp._trio_stream import REACTOR_TASK_NAME

pytestmark = pytest.mark.anyio


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str(msg.data)
    return ws


@pytest.fixture
def server_url() -> Iterator[URL]:
    """A WebSocket echo server on 127.0.0.1, served from another thread."""
    app = web.Application()
    app.router.add_get("/ws", echo)
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        future, (host, port) = portal.start_task(
            partial(web.serve, app, host="127.0.0.1", port=0, shutdown_timeout=2.0)
        )
        try:
            yield URL.build(scheme="http", host=host, port=port, path="/ws")
        finally:
            future.cancel()


def task_ids() -> set[tuple[int, str | None]]:
    # With its name: on asyncio an id is the task's address, which a newer
    # task (the pool closing the connection, say) may reuse. On trio the
    # streams' reactor starts with the first wait and serves the whole run:
    # not the WebSocket's.
    return {
        (task.id, task.name) for task in anyio.get_running_tasks() if task.name != REACTOR_TASK_NAME
    }


def names(owned: set[tuple[int, str | None]]) -> set[str | None]:
    """The names of the tasks among ``owned`` still running."""
    return {name for task_id, name in task_ids() & owned}


class Failed(Exception):
    pass


@pytest.mark.parametrize("heartbeat", [None, 30.0], ids=["reader", "reader+heartbeat"])
async def test_tasks_end_with_the_block_on_a_normal_exit(
    server_url: URL, heartbeat: float | None
) -> None:
    async with anyiohttp.ClientSession() as session:
        before = task_ids()
        async with session.ws_connect(server_url, heartbeat=heartbeat) as ws:
            await ws.send_str("hi")
            assert (await ws.receive()).data == "hi"
            owned = task_ids() - before
            assert owned, "the WebSocket runs tasks of its own"
        assert names(owned) == set()


@pytest.mark.parametrize("heartbeat", [None, 30.0], ids=["reader", "reader+heartbeat"])
async def test_tasks_end_with_the_block_on_an_exception(
    server_url: URL, heartbeat: float | None
) -> None:
    async with anyiohttp.ClientSession() as session:
        before = task_ids()
        with pytest.raises(Failed):
            async with session.ws_connect(server_url, heartbeat=heartbeat) as ws:
                await ws.send_str("hi")
                assert (await ws.receive()).data == "hi"
                owned = task_ids() - before
                raise Failed
        assert owned
        assert names(owned) == set()


@pytest.mark.parametrize("heartbeat", [None, 30.0], ids=["reader", "reader+heartbeat"])
async def test_tasks_end_with_the_block_on_a_cancellation(
    server_url: URL, heartbeat: float | None
) -> None:
    async with anyiohttp.ClientSession() as session:
        before = task_ids()
        with anyio.CancelScope() as scope:
            async with session.ws_connect(server_url, heartbeat=heartbeat) as ws:
                await ws.send_str("hi")
                assert (await ws.receive()).data == "hi"
                owned = task_ids() - before
                scope.cancel()
                await ws.receive()  # pragma: no cover - cancelled
        assert scope.cancelled_caught
        assert owned
        assert names(owned) == set()


async def test_tasks_end_with_an_awaited_websocket_closed_by_hand(server_url: URL) -> None:
    async with anyiohttp.ClientSession() as session:
        before = task_ids()
        ws = await session.ws_connect(server_url, heartbeat=30.0)
        await ws.send_str("hi")
        assert (await ws.receive()).data == "hi"
        owned = task_ids() - before
        assert owned
        await ws.close()
        assert names(owned) == set()


def _roots(new: set[tuple[int, str | None]]) -> set[int | None]:
    """The parents of the outermost of the ``new`` tasks (whose task groups host them)."""
    ids = {task_id for task_id, _ in new}
    return {
        task.parent_id
        for task in anyio.get_running_tasks()
        if (task.id, task.name) in new and task.parent_id not in ids
    }


@pytest.mark.parametrize("heartbeat", [None, 30.0], ids=["reader", "reader+heartbeat"])
async def test_the_block_owns_the_tasks_an_awaited_one_the_session(
    server_url: URL, heartbeat: float | None
) -> None:
    """The session is held by another task: a WebSocket opened with ``async
    with`` runs its tasks under this task (the block's), an awaited one under
    the session's holder."""
    me = anyio.get_current_task().id
    done = anyio.Event()

    async def hold(
        *, task_status: anyio.abc.TaskStatus[tuple[anyiohttp.ClientSession, int]]
    ) -> None:
        async with anyiohttp.ClientSession() as session:
            task_status.started((session, anyio.get_current_task().id))
            await done.wait()

    async with anyio.create_task_group() as tg:
        session, holder = await tg.start(hold)
        try:
            before = task_ids()
            async with session.ws_connect(server_url, heartbeat=heartbeat) as ws:
                await ws.send_str("hi")
                assert (await ws.receive()).data == "hi"
                assert _roots(task_ids() - before) == {me}
            before = task_ids()
            ws = await session.ws_connect(server_url, heartbeat=heartbeat)
            try:
                await ws.send_str("hi")
                assert (await ws.receive()).data == "hi"
                assert _roots(task_ids() - before) == {holder}
            finally:
                await ws.close()
        finally:
            done.set()


async def test_an_engine_starts_its_tasks_once(server_url: URL) -> None:
    async with anyiohttp.ClientSession() as session:
        async with session.ws_connect(server_url) as ws:
            engine = ws._engine
            assert engine.started
            with pytest.raises(RuntimeError, match="already started"):
                async with engine:
                    pass  # pragma: no cover
            async with anyio.create_task_group() as tg:
                with pytest.raises(RuntimeError, match="already started"):
                    engine.start(tg)
