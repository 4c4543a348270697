"""LazyEvent behaves as anyio.Event where its users rely on it."""

from __future__ import annotations

import anyio
import pytest

from anyiohttp._lazy_event import LazyEvent

pytestmark = pytest.mark.anyio


async def test_set_wakes_every_waiter() -> None:
    event = LazyEvent()
    woken: list[int] = []

    async def waiter(i: int) -> None:
        await event.wait()
        woken.append(i)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for i in range(3):
                tg.start_soon(waiter, i)
            await anyio.wait_all_tasks_blocked()
            assert not event.is_set() and woken == []
            event.set()
    assert event.is_set() and sorted(woken) == [0, 1, 2]


async def test_waiting_on_a_set_event_returns_and_is_still_a_checkpoint() -> None:
    event = LazyEvent()
    event.set()
    await event.wait()
    with anyio.CancelScope() as scope:
        scope.cancel()
        await event.wait()
        raise AssertionError("wait() on a set event did not check for cancellation")
    assert scope.cancelled_caught


async def test_a_cancelled_wait_leaves_the_event_usable() -> None:
    event = LazyEvent()
    with anyio.move_on_after(0.01):
        await event.wait()
    event.set()
    with anyio.fail_after(5):
        await event.wait()
