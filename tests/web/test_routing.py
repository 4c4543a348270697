"""The router, sans-I/O: matching, 404/405, names and url_for, tables, views."""

from __future__ import annotations

import httpx
import pytest

from anyiohttp import web
from anyiohttp.web.routing import MatchInfoError

from ..conftest import run_app


async def handler(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def other(request: web.Request) -> web.Response:
    return web.Response(text="other")


def test_plain_route_matches_exactly() -> None:
    router = web.UrlDispatcher()
    router.add_get("/a/b", handler)
    match = router.resolve_path("GET", "/a/b")
    assert match.http_exception is None
    assert match.handler is handler
    assert dict(match) == {}
    assert isinstance(router.resolve_path("GET", "/a/b/"), MatchInfoError)
    assert isinstance(router.resolve_path("GET", "/a"), MatchInfoError)


def test_add_get_also_answers_head_unless_disabled() -> None:
    router = web.UrlDispatcher()
    router.add_get("/", handler)
    router.add_get("/nohead", handler, allow_head=False)
    assert router.resolve_path("HEAD", "/").handler is handler
    error = router.resolve_path("HEAD", "/nohead").http_exception
    assert isinstance(error, web.HTTPMethodNotAllowed)
    assert error.allowed_methods == {"GET"}


def test_variable_and_regex_segments() -> None:
    router = web.UrlDispatcher()
    router.add_get("/users/{id:\\d+}", handler)
    router.add_get("/users/{name}", other)
    router.add_get("/files/{path:.+}", handler)
    router.add_get("/code/{code:[a-z]{3}}", handler)
    assert dict(router.resolve_path("GET", "/users/42")) == {"id": "42"}
    match = router.resolve_path("GET", "/users/bob")
    assert match.handler is other and dict(match) == {"name": "bob"}
    assert dict(router.resolve_path("GET", "/files/a/b/c.txt")) == {"path": "a/b/c.txt"}
    assert dict(router.resolve_path("GET", "/code/abc")) == {"code": "abc"}
    assert isinstance(router.resolve_path("GET", "/code/abcd"), MatchInfoError)
    # a plain variable never spans segments
    assert isinstance(router.resolve_path("GET", "/users/a/b"), MatchInfoError)


def test_encoded_slash_stays_inside_a_variable() -> None:
    router = web.UrlDispatcher()
    router.add_get("/item/{name}", handler)
    # rel_url.path_safe keeps %2F encoded; the value decodes it
    assert dict(router.resolve_path("GET", "/item/a%2Fb")) == {"name": "a/b"}


def test_404_and_405_with_allow() -> None:
    router = web.UrlDispatcher()
    router.add_post("/x", handler)
    router.add_put("/x", handler)
    not_found = router.resolve_path("GET", "/nothing").http_exception
    assert isinstance(not_found, web.HTTPNotFound)
    not_allowed = router.resolve_path("GET", "/x").http_exception
    assert isinstance(not_allowed, web.HTTPMethodNotAllowed)
    assert not_allowed.headers["Allow"] == "POST,PUT"
    assert not_allowed.method == "GET"


def test_wrong_method_on_one_resource_falls_through_to_the_next() -> None:
    router = web.UrlDispatcher()
    router.add_post("/{name}", handler)
    router.add_get("/{name}", other)  # a second resource (same path, new add_resource)
    assert router.resolve_path("GET", "/z").handler is other


def test_star_route_takes_any_method() -> None:
    router = web.UrlDispatcher()
    router.add_route("*", "/any", handler)
    for method in ("GET", "POST", "PROPFIND"):
        assert router.resolve_path(method, "/any").handler is handler


def test_duplicate_method_on_a_resource_is_an_error() -> None:
    router = web.UrlDispatcher()
    router.add_post("/p", handler)
    with pytest.raises(RuntimeError, match="already registered"):
        router.add_post("/p", other)


def test_named_routes_and_url_for() -> None:
    router = web.UrlDispatcher()
    router.add_get("/users/{user}/posts/{post_id}", handler, name="post")
    router.add_get("/about", handler, name="about")
    url = router["post"].url_for(user="a b", post_id="7").with_query({"x": "1"})
    assert str(url) == "/users/a%20b/posts/7?x=1"
    assert str(router["post"].url_for(user="a/b", post_id="1")) == "/users/a%2Fb/posts/1"
    assert str(router["about"].url_for()) == "/about"
    # A part whose pattern spans segments keeps its slashes (as aiohttp).
    router.add_get("/files/{tail:.*}", handler, name="files")
    assert str(router["files"].url_for(tail="css/site main.css")) == "/files/css/site%20main.css"
    assert "about" in router and len(router) == 3
    with pytest.raises(ValueError, match="Duplicate"):
        router.add_get("/other", handler, name="about")
    with pytest.raises(ValueError, match="Incorrect route name"):
        router.add_get("/bad", handler, name="not valid")


def test_bad_paths_are_refused() -> None:
    router = web.UrlDispatcher()
    with pytest.raises(ValueError, match="started with /"):
        router.add_get("no-slash", handler)
    with pytest.raises(ValueError, match="Invalid path"):
        router.add_get("/{1bad}", handler)
    with pytest.raises(ValueError, match="Bad pattern"):
        router.add_get("/{x:(}", handler)


def test_plain_route_wins_over_an_earlier_catch_all() -> None:
    router = web.UrlDispatcher()
    router.add_get("/{name}", other)
    router.add_get("/about", handler)
    assert router.resolve_path("GET", "/about").handler is handler
    assert router.resolve_path("GET", "/contact").handler is other


def test_thousands_of_routes_resolve_through_the_index() -> None:
    router = web.UrlDispatcher()
    for i in range(5000):
        router.add_get(f"/api/v1/items{i}/{{id}}", handler)
    router.add_get("/api/v1/items4999/{id}/detail", other)
    # only the bucket of the path's prefix is tried
    assert len(router._index["/api/v1/items4321"]) == 1
    assert dict(router.resolve_path("GET", "/api/v1/items4321/9")) == {"id": "9"}
    assert router.resolve_path("GET", "/api/v1/items4999/9/detail").handler is other


def test_route_table_def_and_add_routes() -> None:
    routes = web.RouteTableDef()

    @routes.get("/t", name="t")
    async def t_handler(request: web.Request) -> web.Response:
        return web.Response()

    @routes.post("/t")
    async def t_post(request: web.Request) -> web.Response:
        return web.Response()

    @routes.view("/v")
    class V(web.View):
        async def get(self) -> web.Response:
            return web.Response()

    app = web.Application()
    app.add_routes(routes)
    app.add_routes([web.get("/g", handler), web.delete("/d", handler)])
    router = app.router
    assert router.resolve_path("GET", "/t").handler is t_handler
    assert router.resolve_path("POST", "/t").handler is t_post
    assert router.resolve_path("HEAD", "/t").handler is t_handler
    assert router.resolve_path("GET", "/v").handler is V
    assert router.resolve_path("DELETE", "/d").handler is handler
    assert len(routes) == 3


def test_sync_handlers_are_deprecated() -> None:
    router = web.UrlDispatcher()

    def sync(request: web.Request) -> web.Response:
        return web.Response()

    with pytest.warns(DeprecationWarning, match="Bare functions"):
        router.add_get("/s", sync)


@pytest.mark.anyio
async def test_class_based_view_and_bound_method_handlers() -> None:
    class Items(web.View):
        async def get(self) -> web.Response:
            return web.Response(text="list " + self.request.match_info["kind"])

        async def post(self) -> web.Response:
            return web.Response(text="created", status=201)

    class Controller:
        def __init__(self, greeting: str) -> None:
            self.greeting = greeting

        async def hello(self, request: web.Request) -> web.Response:
            return web.Response(text=self.greeting)

    app = web.Application()
    app.router.add_view("/items/{kind}", Items)
    app.router.add_get("/hello", Controller("hi").hello)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        listed = await client.get(str(url / "items" / "books"))
        created = await client.post(str(url / "items" / "books"))
        deleted = await client.delete(str(url / "items" / "books"))
        hello = await client.get(str(url / "hello"))
    assert listed.text == "list books"
    assert created.status_code == 201
    assert deleted.status_code == 405
    assert set(deleted.headers["allow"].split(",")) == {"GET", "POST"}
    assert hello.text == "hi"
