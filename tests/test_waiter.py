"""The per-backend Waiter that a WebSocket's receive() waits on."""

from __future__ import annotations

import anyio
import pytest

from anyiohttp._waiter import new_waiter

pytestmark = pytest.mark.anyio


async def test_wake_ends_the_wait_and_a_wake_with_no_waiter_is_not_kept() -> None:
    waiter = new_waiter()
    waiter.wake()  # nobody waits: nothing happens, nothing is remembered
    woken: list[str] = []

    async def wait() -> None:
        await waiter.wait()
        woken.append("woken")

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await anyio.wait_all_tasks_blocked()
            assert woken == []
            waiter.wake()
    assert woken == ["woken"]
    with anyio.move_on_after(0.05) as scope:
        await waiter.wait()  # the earlier wakes are spent
    assert scope.cancelled_caught


async def test_a_wake_right_after_a_cancellation_does_not_wake_twice() -> None:
    # The wait is cancelled and, before the waiting task runs again, woken:
    # the task sees its cancellation, once, and the waiter stays usable.
    waiter = new_waiter()
    caught: list[bool] = []

    async def wait(scope: anyio.CancelScope) -> None:
        with scope:
            await waiter.wait()
        caught.append(scope.cancelled_caught)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()
            tg.start_soon(wait, scope)
            await anyio.wait_all_tasks_blocked()
            scope.cancel()
            waiter.wake()
        assert caught == [True]
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter.wait)
            await anyio.wait_all_tasks_blocked()
            waiter.wake()
