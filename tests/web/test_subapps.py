"""Sub-applications: prefixes, domains, middlewares, state, signals, url_for."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from anyiohttp import web

pytestmark = pytest.mark.anyio

db_key = web.AppKey("db", str)


async def where(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "app": request.app.get("name"),
            "path": request.path,
            "db": request.config_dict.get(db_key),
        }
    )


def make_apps(events: list[str]) -> tuple[web.Application, web.Application]:
    @web.middleware
    async def main_mw(request: web.Request, handler: web.app.Handler) -> web.StreamResponse:
        events.append("main mw")
        return await handler(request)

    @web.middleware
    async def admin_mw(request: web.Request, handler: web.app.Handler) -> web.StreamResponse:
        events.append("admin mw")
        return await handler(request)

    import warnings

    main = web.Application(middlewares=[main_mw])
    admin = web.Application(middlewares=[admin_mw])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        main["name"] = "main"
        admin["name"] = "admin"
    main[db_key] = "main-db"
    main.router.add_get("/", where)
    admin.router.add_get("/", where, name="admin-index")
    admin.router.add_get("/users/{id}", where, name="user")
    return main, admin


async def test_prefix_routing_middlewares_and_isolation(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []
    main, admin = make_apps(events)
    resource = main.add_subapp("/admin/", admin)
    assert resource.canonical == "/admin"
    client = await anyiohttp_client(main)
    root = await (await client.get("/")).json()
    assert root == {"app": "main", "path": "/", "db": "main-db"}
    assert events == ["main mw"]
    events.clear()
    user = await (await client.get("/admin/users/7")).json()
    assert user == {"app": "admin", "path": "/admin/users/7", "db": "main-db"}  # via config_dict
    assert events == ["main mw", "admin mw"]
    assert db_key not in admin  # state is the sub-app's own
    assert str(admin.router["user"].url_for(id="7")) == "/admin/users/7"
    assert str(admin.router["admin-index"].url_for()) == "/admin/"
    missing = await client.get("/admin/nothing")
    assert missing.status == 404
    wrong = await client.post("/admin/users/7")
    assert wrong.status == 405


async def test_explicit_sharing_between_apps(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []
    main, admin = make_apps(events)
    admin[db_key] = main[db_key]  # the FAQ's explicit sharing
    main.add_subapp("/admin", admin)
    client = await anyiohttp_client(main)
    assert (await (await client.get("/admin/")).json())["db"] == "main-db"


async def test_subapp_frozen_after_adding_and_frozen_parent_refuses() -> None:
    main, admin = make_apps([])
    main.add_subapp("/admin", admin)
    with pytest.raises(RuntimeError, match="frozen"):
        admin.router.add_get("/late", where)
    main.freeze()
    with pytest.raises(RuntimeError, match="frozen application"):
        main.add_subapp("/other", web.Application())
    with pytest.raises(ValueError, match="empty"):
        web.Application().add_subapp("/", web.Application())


async def test_domains_and_masks(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    import warnings

    main = web.Application()
    api = web.Application()
    shop = web.Application()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        main["name"], api["name"], shop["name"] = "main", "api", "shop"
    # Domain sub-apps are tried first, as aiohttp (3.10+): for a host they
    # match they answer every path, their own 404 included.
    main.router.add_get("/home", where)
    api.router.add_get("/", where)
    shop.router.add_get("/", where)
    main.add_domain("api.example.com", api)
    main.add_domain("*.shop.example.com", shop)
    client = await anyiohttp_client(main)

    async def app_for(host: str, path: str = "/") -> str | None:
        resp = await client.get(path, headers={"Host": host})
        return (await resp.json())["app"] if resp.status == 200 else None

    assert await app_for("api.example.com") == "api"
    assert await app_for("api.example.com:8080") == "api"
    assert await app_for("eu.shop.example.com") == "shop"
    assert await app_for("example.com") is None
    assert await app_for("api.example.com", "/home") is None  # api's 404, not main's route
    assert await app_for("example.com", "/home") == "main"
    with pytest.raises(ValueError, match="not valid"):
        web.Application().add_domain("bad_domain!", web.Application())


async def test_subapp_signals_and_contexts_run_with_the_parent(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []

    def ctx(name: str):  # type: ignore[no-untyped-def]
        async def context(app: web.Application) -> AsyncIterator[None]:
            events.append(f"{name} enter")
            yield
            events.append(f"{name} exit")

        return context

    def signal(name: str):  # type: ignore[no-untyped-def]
        async def callback(app: web.Application) -> None:
            events.append(name)

        return callback

    main, admin = make_apps([])
    for app, name in ((main, "main"), (admin, "admin")):
        app.cleanup_ctx.append(ctx(name))
        app.on_startup.append(signal(f"{name} startup"))
        app.on_shutdown.append(signal(f"{name} shutdown"))
        app.on_cleanup.append(signal(f"{name} cleanup"))
    main.add_subapp("/admin", admin)
    async with web.AppRunner(main):
        assert admin.task_group is main.task_group
        events.append("serving")
    assert events == [
        "main enter", "admin enter", "main startup", "admin startup", "serving",
        "main shutdown", "admin shutdown",
        "admin exit", "admin cleanup", "main exit", "main cleanup",
    ]  # fmt: skip
