"""Server hardening: injection fallbacks, form field limits, startup errors, background work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from anyio.abc import TaskStatus
from yarl import URL

from anyiohttp import web

from ..conftest import raw_exchange, run_app

pytestmark = pytest.mark.anyio


# -- a header injection leaves the request free for another response ---------------------


@pytest.mark.parametrize("response_class", [web.StreamResponse, web.Response])
async def test_fallback_response_after_header_injection(
    each_parser: str, response_class: type[web.StreamResponse]
) -> None:
    refused: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        bad = response_class()
        bad.headers["X-Evil"] = "a\r\nSet-Cookie: pwned=1"
        try:
            await bad.prepare(request)
        except ValueError as exc:
            refused.append(str(exc))
            return web.Response(text="fallback")
        return bad

    app = web.Application()
    app.router.add_get("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(url, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK"), raw
    assert body == b"fallback"
    assert b"pwned" not in raw
    assert len(refused) == 1 and "header injection" in refused[0]


async def test_fallback_after_injection_in_a_cookie_attribute(each_parser: str) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        bad = web.StreamResponse()
        bad.set_cookie("a", "1", path="/\r\nX-Injected: 1")
        try:
            await bad.prepare(request)
        except ValueError:
            return web.Response(text="fallback")
        return bad

    app = web.Application()
    app.router.add_get("/", handler)
    async with run_app(app) as url:
        raw = await raw_exchange(url, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK"), raw
    assert raw.endswith(b"\r\n\r\nfallback")
    assert b"X-Injected" not in raw


# -- client_max_fields: how many form fields post() parses -------------------------------


def multipart_body(fields: int) -> tuple[bytes, str]:
    part = b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nv\r\n'
    return part * fields + b"--b--\r\n", "multipart/form-data; boundary=b"


def urlencoded_body(fields: int) -> tuple[bytes, str]:
    return b"&".join([b"f=v"] * fields), "application/x-www-form-urlencoded"


def form_app(**kwargs: Any) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        return web.Response(text=f"{len(form.getall('f'))} fields")

    app = web.Application(client_max_size=16 * 1024**2, **kwargs)
    app.router.add_post("/", handler)
    return app


async def post_form(url: URL, body: bytes, content_type: str) -> tuple[int, str]:
    async with httpx.AsyncClient() as client:
        resp = await client.post(str(url), content=body, headers={"Content-Type": content_type})
    return resp.status_code, resp.text


form_bodies = pytest.mark.parametrize(
    "make_body", [multipart_body, urlencoded_body], ids=["multipart", "urlencoded"]
)


@form_bodies
async def test_form_fields_up_to_the_default_limit(
    each_parser: str, make_body: Callable[[int], tuple[bytes, str]]
) -> None:
    app = form_app()
    assert app.client_max_fields == 1000
    async with run_app(app) as url:
        assert await post_form(url, *make_body(1000)) == (200, "1000 fields")
        status, text = await post_form(url, *make_body(1001))
    assert (status, text) == (413, "Maximum number of form fields 1000 exceeded.")


@form_bodies
async def test_form_fields_up_to_client_max_fields(
    each_parser: str, make_body: Callable[[int], tuple[bytes, str]]
) -> None:
    async with run_app(form_app(client_max_fields=5)) as url:
        assert await post_form(url, *make_body(5)) == (200, "5 fields")
        assert await post_form(url, *make_body(6)) == (
            413,
            "Maximum number of form fields 5 exceeded.",
        )
        # The connection pool's next request is served as usual.
        assert await post_form(url, *make_body(1)) == (200, "1 fields")


@form_bodies
async def test_a_hundred_thousand_tiny_fields_are_refused(
    each_parser: str, make_body: Callable[[int], tuple[bytes, str]]
) -> None:
    async with run_app(form_app()) as url:
        status, text = await post_form(url, *make_body(100_000))
    assert (status, text) == (413, "Maximum number of form fields 1000 exceeded.")


@form_bodies
async def test_client_max_fields_zero_is_no_limit(
    each_parser: str, make_body: Callable[[int], tuple[bytes, str]]
) -> None:
    async with run_app(form_app(client_max_fields=0)) as url:
        assert await post_form(url, *make_body(3000)) == (200, "3000 fields")


async def test_a_clone_can_change_client_max_fields(each_parser: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        clone = request.clone(client_max_fields=2)
        assert (request.client_max_fields, clone.client_max_fields) == (1000, 2)
        form = await clone.post()
        return web.Response(text=f"{len(form)} fields")

    app = web.Application()
    app.router.add_post("/", handler)
    async with run_app(app) as url:
        assert await post_form(url, *urlencoded_body(2)) == (200, "2 fields")
        assert await post_form(url, *urlencoded_body(3)) == (
            413,
            "Maximum number of form fields 2 exceeded.",
        )


# -- an error in app.task_group is logged, and the server goes on -------------------------


class BackgroundFailure(Exception):
    pass


async def logged_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The error records of the background failure, once there is one."""
    with anyio.fail_after(5):
        while True:
            records = [
                r
                for r in caplog.records
                if r.levelno >= logging.ERROR
                and r.exc_info is not None
                and isinstance(r.exc_info[1], BackgroundFailure)
            ]
            if records:
                return records
            await anyio.sleep(0.01)


async def test_a_failing_background_task_is_logged_and_the_server_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fail() -> None:
        await anyio.sleep(0)
        raise BackgroundFailure("background work failed")

    async def start(request: web.Request) -> web.Response:
        request.app.task_group.start_soon(fail)
        return web.Response(text="started")

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="still serving")

    app = web.Application()
    app.router.add_get("/start", start)
    app.router.add_get("/", hello)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        assert (await client.get(str(url / "start"))).text == "started"
        [record] = await logged_errors(caplog)
        assert (await client.get(str(url))).text == "still serving"
        # A second failure is handled the same way.
        assert (await client.get(str(url / "start"))).text == "started"
        assert (await client.get(str(url))).text == "still serving"
    assert record.exc_info is not None and record.exc_info[2] is not None  # with its traceback
    assert "app.task_group" in record.getMessage()


async def test_a_background_task_started_with_start_fails_after_started(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def job(*, task_status: TaskStatus[str]) -> None:
        task_status.started("ready")
        await anyio.sleep(0)
        raise BackgroundFailure("after started")

    async def early(*, task_status: TaskStatus[str]) -> None:
        raise BackgroundFailure("before started")

    async def start(request: web.Request) -> web.Response:
        value = await request.app.task_group.start(job)
        try:
            await request.app.task_group.start(early)
        except BackgroundFailure as exc:
            return web.Response(text=f"{value}; start() raised: {exc}")
        return web.Response(text="not raised")  # pragma: no cover

    app = web.Application()
    app.router.add_get("/", start)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        resp = await client.get(str(url))
        assert resp.text == "ready; start() raised: before started"
        [record] = await logged_errors(caplog)
        assert str(record.exc_info[1]) == "after started"  # type: ignore[index]
        assert (await client.get(str(url))).status_code == 200
