"""The FAQ's examples about handlers' tasks: cancelling one from another request."""

from __future__ import annotations

import anyio
import cancel_request
import pytest

import anyiohttp

pytestmark = pytest.mark.anyio


async def test_a_job_is_cancelled_from_another_request(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = cancel_request.make_app()
    client = await anyiohttp_client(app)
    outcome: list[BaseException] = []

    async def run_job() -> None:
        try:
            await client.get("/jobs/7")
        except anyiohttp.ClientError as exc:
            outcome.append(exc)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run_job)
            while "7" not in app[cancel_request.running_key]:
                await anyio.sleep(0.01)
            resp = await client.post("/cancel/7")
            assert await resp.text() == "cancelled"
    assert isinstance(outcome[0], anyiohttp.ServerDisconnectedError)
    assert app[cancel_request.finished_key] == ["7"]
    assert app[cancel_request.running_key] == {}
    resp = await client.post("/cancel/7")
    assert resp.status == 404
