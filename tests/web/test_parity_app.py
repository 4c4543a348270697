"""aiohttp parity of the Application: lifecycle by hand, cleanup_ctx forms,
routes added at startup, old-style middlewares, request.app in middlewares,
domain sub-applications."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

import anyiohttp
from anyiohttp import web
from anyiohttp.typedefs import Handler

from ..conftest import run_app

pytestmark = pytest.mark.anyio


def hello_app(text: str) -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=text)

    app = web.Application()
    app.router.add_get("/", hello)
    return app


# -- app.startup(), app.shutdown(), app.cleanup() -------------------------------------


async def test_startup_shutdown_cleanup_by_hand_in_aiohttps_order() -> None:
    events: list[str] = []
    session_key = web.AppKey("session", anyiohttp.ClientSession)

    async def with_session(app: web.Application) -> AsyncIterator[None]:
        # The FAQ's pattern: the session's task group is entered by startup()
        # and exited by cleanup(), both from this task.
        async with anyiohttp.ClientSession() as session:
            app[session_key] = session
            events.append("ctx enter")
            yield
            events.append("ctx exit")

    def signal(name: str) -> Callable[[web.Application], Awaitable[None]]:
        async def callback(app: web.Application) -> None:
            events.append(name)

        return callback

    app = web.Application()
    admin = web.Application()
    app.cleanup_ctx.append(with_session)
    for one, name in ((app, "main"), (admin, "admin")):
        one.on_startup.append(signal(f"{name} startup"))
        one.on_shutdown.append(signal(f"{name} shutdown"))
        one.on_cleanup.append(signal(f"{name} cleanup"))
    app.add_subapp("/admin", admin)

    async with run_app(hello_app("upstream")) as upstream:
        await app.startup()
        assert app.frozen and admin.frozen
        with pytest.raises(RuntimeError, match="under a runner"):
            app.task_group  # noqa: B018 - none without a runner to own it
        async with app[session_key].get(str(upstream)) as resp:
            events.append(await resp.text())
        await app.shutdown()
        await app.cleanup()
    await app.cleanup()  # the contexts are exited once; on_cleanup is sent again
    assert events == [
        "ctx enter", "main startup", "admin startup", "upstream",
        "main shutdown", "admin shutdown",
        "admin cleanup", "ctx exit", "main cleanup",
        "admin cleanup", "main cleanup",
    ]  # fmt: skip
    assert app[session_key].closed


@pytest.mark.parametrize("frozen_first", [False, True])
async def test_a_failed_startup_leaves_the_entered_contexts_to_cleanup(frozen_first: bool) -> None:
    events: list[str] = []

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        events.append("enter")
        yield
        events.append("exit")

    async def failing(app: web.Application) -> None:
        raise LookupError("no database")

    async def on_cleanup(app: web.Application) -> None:
        events.append("on_cleanup")

    app = web.Application()
    app.cleanup_ctx.append(ctx)
    app.on_startup.append(failing)
    app.on_cleanup.append(on_cleanup)
    if frozen_first:
        app.freeze()
    with pytest.raises(LookupError):
        await app.startup()
    assert events == ["enter"]  # as aiohttp: nothing unwound yet
    await app.cleanup()
    # As aiohttp: on_cleanup can be sent only once the app was frozen.
    assert events == ["enter", "exit", *(["on_cleanup"] if frozen_first else [])]


async def test_shutdown_of_an_app_never_started_is_refused_as_in_aiohttp() -> None:
    with pytest.raises(RuntimeError, match="non-frozen signal"):
        await web.Application().shutdown()


# -- cleanup_ctx forms and startup-time routes ----------------------------------------


async def test_cleanup_ctx_takes_asynccontextmanager_functions() -> None:
    events: list[str] = []
    key = web.AppKey("resource", str)

    @asynccontextmanager
    async def resource(app: web.Application) -> AsyncIterator[None]:
        events.append("enter")
        app[key] = "ready"
        yield
        events.append("exit")

    async def generator(app: web.Application) -> AsyncIterator[None]:
        events.append("gen enter")
        yield
        events.append("gen exit")

    async def show(request: web.Request) -> web.Response:
        return web.Response(text=request.app[key])

    app = web.Application()
    app.cleanup_ctx.extend([resource, generator])
    app.router.add_get("/", show)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        assert (await client.get(str(url))).text == "ready"
        assert events == ["enter", "gen enter"]
    assert events == ["enter", "gen enter", "gen exit", "exit"]


async def test_a_cleanup_ctx_item_that_is_neither_is_a_clear_type_error() -> None:
    app = web.Application()
    app.cleanup_ctx.append(lambda app: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"async generator .* or an async context manager"):
        async with web.AppRunner(app):
            pass


async def test_routes_added_in_on_startup_are_served() -> None:
    async def late(request: web.Request) -> web.Response:
        return web.Response(text="added at startup")

    refused: list[BaseException] = []

    async def add_routes(app: web.Application) -> None:
        app.router.add_get("/late", late)
        try:  # as aiohttp: too late for a sub-application
            app.add_subapp("/sub", web.Application())
        except RuntimeError as exc:
            refused.append(exc)

    app = web.Application()
    app.on_startup.append(add_routes)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        assert (await client.get(str(url / "late"))).text == "added at startup"
        with pytest.raises(RuntimeError, match="frozen router"):
            app.router.add_get("/later", late)
    assert len(refused) == 1


# -- middlewares ------------------------------------------------------------------------


async def test_old_style_middleware_factories_are_served_with_a_deprecation_warning() -> None:
    calls: list[str] = []

    async def factory(app: web.Application, handler: Handler) -> Handler:
        calls.append("factory(main)" if app is main else f"factory({app!r})")

        async def wrapped(request: web.Request) -> web.StreamResponse:
            resp = await handler(request)
            resp.headers["X-Old-Style"] = "1"
            return resp

        return wrapped

    @web.middleware
    async def new_style(request: web.Request, handler: Handler) -> web.StreamResponse:
        calls.append("new")
        return await handler(request)

    async def three_requests(app: web.Application) -> list[httpx.Response]:
        async with run_app(app) as url, httpx.AsyncClient() as client:
            return [
                await client.get(str(url)),
                await client.get(str(url)),
                await client.get(str(url / "missing")),
            ]

    main = hello_app("hello")
    main.middlewares.extend([factory, new_style])
    with pytest.warns(DeprecationWarning, match="old-style middleware") as record:
        first, second, missing = await three_requests(main)
    assert len(record) == 1  # once, when the app freezes
    assert first.text == second.text == "hello"
    assert first.headers["X-Old-Style"] == second.headers["X-Old-Style"] == "1"
    assert missing.status_code == 404
    # As aiohttp: the factory is called for every request, 404s included.
    assert calls == ["factory(main)", "new"] * 3


async def test_request_app_in_middlewares_is_the_app_they_belong_to() -> None:
    seen: list[tuple[str, str]] = []
    root = web.Application()
    sub = web.Application()
    bare = web.Application()
    names = {id(root): "root", id(sub): "sub", id(bare): "bare"}

    def recorder(where: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
        @web.middleware
        async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
            seen.append((where, names[id(request.app)]))
            resp = await handler(request)
            seen.append((where + " after", names[id(request.app)]))
            return resp

        return mw

    async def handler(request: web.Request) -> web.Response:
        seen.append(("handler", names[id(request.app)]))
        return web.Response(text="ok")

    root.middlewares.append(recorder("root mw"))
    sub.middlewares.append(recorder("sub mw"))
    sub.router.add_get("/x", handler)
    bare.router.add_get("/x", handler)  # a sub-app without middlewares of its own
    root.add_subapp("/sub", sub)
    root.add_subapp("/bare", bare)
    async with run_app(root) as url, httpx.AsyncClient() as client:
        assert (await client.get(str(url / "sub/x"))).text == "ok"
        assert seen == [
            ("root mw", "root"), ("sub mw", "sub"), ("handler", "sub"),
            ("sub mw after", "sub"), ("root mw after", "root"),
        ]  # fmt: skip
        seen.clear()
        assert (await client.get(str(url / "bare/x"))).text == "ok"
        assert seen == [("root mw", "root"), ("handler", "bare"), ("root mw after", "root")]


async def test_404s_with_middlewares_do_not_grow_the_handler_cache() -> None:
    @web.middleware
    async def passthrough(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request)

    app = hello_app("hello")
    app.middlewares.append(passthrough)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        for i in range(20):
            assert (await client.get(str(url / f"missing{i}"))).status_code == 404
        assert (await client.get(str(url))).text == "hello"
        assert len(app._handler_cache) <= 2  # the routes, not one entry per 404


# -- domains ------------------------------------------------------------------------------


async def test_a_domain_sub_app_takes_precedence_over_the_root_for_its_host() -> None:
    async def root_only(request: web.Request) -> web.Response:
        return web.Response(text="root only")

    root = hello_app("root")
    root.router.add_get("/only-root", root_only)
    shop = hello_app("shop")
    root.add_domain("shop.example", shop)
    async with run_app(root) as url, httpx.AsyncClient() as client:
        shop_host = {"Host": "shop.example"}
        assert (await client.get(str(url), headers=shop_host)).text == "shop"
        assert (await client.get(str(url))).text == "root"
        # As aiohttp: once the host matches, the sub-app answers, 404/405 included.
        assert (await client.get(str(url / "only-root"), headers=shop_host)).status_code == 404
        wrong = await client.post(str(url), headers=shop_host)
        assert wrong.status_code == 405
        assert set(wrong.headers["Allow"].split(",")) == {"GET", "HEAD"}
        assert (await client.get(str(url / "only-root"))).text == "root only"
