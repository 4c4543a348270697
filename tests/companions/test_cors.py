"""anyiohttp.cors: aiohttp_cors's API, preflights per the Fetch standard, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from yarl import URL

import anyiohttp.cors as aiohttp_cors
from anyiohttp import web
from anyiohttp.cors import ResourceOptions

from ..conftest import run_app

pytestmark = pytest.mark.anyio

APP_ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example.net"


async def curl(*args: str) -> tuple[int, dict[str, str], str]:
    """Run curl; the status, the headers (lower-case names) and the body."""
    result = await anyio.run_process(["curl", "-s", "-i", "--max-time", "10", *args])
    head, _, body = result.stdout.decode().partition("\r\n\r\n")
    status_line, *lines = head.split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


async def preflight(url: URL, origin: str, method: str, headers: str | None = None) -> Any:
    args = [
        "-X",
        "OPTIONS",
        "-H",
        f"Origin: {origin}",
        "-H",
        f"Access-Control-Request-Method: {method}",
    ]
    if headers is not None:
        args += ["-H", f"Access-Control-Request-Headers: {headers}"]
    return await curl(*args, str(url))


def api_app() -> web.Application:
    """/items: GET for anyone, PUT with credentials for APP_ORIGIN; /private: no CORS."""
    app = web.Application()
    cors = aiohttp_cors.setup(
        app,
        defaults={
            "*": ResourceOptions(expose_headers="*", allow_headers=("X-Token",)),
            APP_ORIGIN: ResourceOptions(
                allow_credentials=True,
                expose_headers=("X-Total",),
                allow_headers="*",
                max_age=600,
            ),
        },
    )

    async def items(request: web.Request) -> web.Response:
        if request.query.get("missing"):
            raise web.HTTPNotFound(text="no such item", headers={"X-Why": "missing"})
        return web.json_response([1, 2], headers={"X-Total": "2", "X-Secret": "s"})

    async def put_item(request: web.Request) -> web.Response:
        return web.Response(text="stored", headers={"Set-Cookie": "a=b"})

    async def private(request: web.Request) -> web.Response:
        return web.Response(text="private")

    cors.add(app.router.add_get("/items", items))
    cors.add(app.router.add_put("/items", put_item))
    app.router.add_get("/private", private)
    return app


async def test_preflight_with_curl() -> None:
    async with run_app(api_app()) as url:
        status, headers, _ = await preflight(
            url / "items", APP_ORIGIN, "PUT", "content-type,x-token"
        )
        assert status == 200
        assert headers["access-control-allow-origin"] == APP_ORIGIN
        assert headers["access-control-allow-credentials"] == "true"
        assert headers["access-control-allow-methods"] == "PUT"
        assert headers["access-control-allow-headers"] == "content-type,x-token"
        assert headers["access-control-max-age"] == "600"
        assert headers["vary"] == "Origin"

        # Any origin: no credentials, only X-Token may be sent.
        status, headers, _ = await preflight(url / "items", OTHER_ORIGIN, "GET", "X-Token")
        assert status == 200
        assert headers["access-control-allow-origin"] == OTHER_ORIGIN
        assert "access-control-allow-credentials" not in headers
        assert "access-control-max-age" not in headers
        assert headers["access-control-allow-headers"] == "x-token"

        status, _, body = await preflight(url / "items", OTHER_ORIGIN, "GET", "X-Token, X-Other")
        assert status == 403 and "headers are not allowed: x-other" in body
        status, _, body = await preflight(url / "items", APP_ORIGIN, "DELETE")
        assert status == 403 and "'DELETE' is not allowed" in body
        status, _, body = await preflight(url / "items", APP_ORIGIN, "GET", "bad header")
        assert status == 403 and "is not a header name" in body
        status, _, body = await curl(
            "-X", "OPTIONS", "-H", f"Origin: {APP_ORIGIN}", str(url / "items")
        )
        assert status == 403 and "'Access-Control-Request-Method' header is not specified" in body
        status, _, body = await curl("-X", "OPTIONS", str(url / "items"))
        assert status == 403 and "origin header is not specified" in body
        status, _, _ = await preflight(url / "private", APP_ORIGIN, "GET")
        assert status == 405  # not CORS-enabled: no OPTIONS route


async def test_actual_requests_get_the_headers() -> None:
    async with run_app(api_app()) as url, httpx.AsyncClient(base_url=str(url)) as http:
        resp = await http.get("/items", headers={"Origin": APP_ORIGIN})
        assert resp.headers["access-control-allow-origin"] == APP_ORIGIN
        assert resp.headers["access-control-allow-credentials"] == "true"
        assert resp.headers["access-control-expose-headers"] == "X-Total"
        assert resp.headers["vary"] == "Origin"

        resp = await http.get("/items", headers={"Origin": OTHER_ORIGIN})
        assert resp.headers["access-control-allow-origin"] == OTHER_ORIGIN
        assert "access-control-allow-credentials" not in resp.headers
        exposed = resp.headers["access-control-expose-headers"].split(",")
        assert {"X-Total", "X-Secret"} <= set(exposed)
        assert "Content-Type" not in exposed  # safelisted, never listed

        resp = await http.put("/items", headers={"Origin": OTHER_ORIGIN})
        assert "Set-Cookie" not in resp.headers["access-control-expose-headers"]

        # Errors raised by a CORS-enabled handler are readable by the page too.
        resp = await http.get("/items?missing=1", headers={"Origin": OTHER_ORIGIN})
        assert resp.status_code == 404
        assert resp.headers["access-control-allow-origin"] == OTHER_ORIGIN
        assert "X-Why" in resp.headers["access-control-expose-headers"]

        resp = await http.get("/items")  # no Origin: not a CORS request
        assert "access-control-allow-origin" not in resp.headers
        resp = await http.get("/private", headers={"Origin": APP_ORIGIN})
        assert "access-control-allow-origin" not in resp.headers


async def test_only_listed_origins() -> None:
    app = web.Application()
    cors = aiohttp_cors.setup(app, defaults={APP_ORIGIN: ResourceOptions(allow_methods="*")})

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok", headers={"Vary": "Accept"})

    resource = app.router.add_resource("/r")
    resource.add_route("GET", handler)
    resource.add_route("DELETE", handler)
    cors.add(resource)
    async with run_app(app) as url:
        status, headers, _ = await preflight(url / "r", APP_ORIGIN, "DELETE")
        assert status == 200 and headers["access-control-allow-methods"] == "DELETE"
        status, _, body = await preflight(url / "r", OTHER_ORIGIN, "GET")
        assert status == 403 and "origin 'https://evil.example.net' is not allowed" in body
        status, headers, _ = await curl("-H", f"Origin: {APP_ORIGIN}", str(url / "r"))
        assert headers["access-control-allow-origin"] == APP_ORIGIN
        assert headers["vary"] == "Accept, Origin"
        status, headers, _ = await curl("-H", f"Origin: {OTHER_ORIGIN}", str(url / "r"))
        assert status == 200 and "access-control-allow-origin" not in headers


async def test_route_config_overrides_the_defaults() -> None:
    app = web.Application()
    cors = aiohttp_cors.setup(app, defaults={"*": ResourceOptions()})

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    cors.add(app.router.add_post("/upload", handler), {"*": ResourceOptions(allow_headers="*")})
    async with run_app(app) as url:
        status, headers, _ = await preflight(url / "upload", OTHER_ORIGIN, "POST", "x-anything")
        assert status == 200 and headers["access-control-allow-headers"] == "x-anything"
        status, _, _ = await preflight(url / "upload", OTHER_ORIGIN, "PATCH")
        assert status == 403


async def test_class_based_view(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    class Items(aiohttp_cors.CorsViewMixin, web.View):
        cors_config = {APP_ORIGIN: ResourceOptions(allow_credentials=True, allow_headers="*")}

        async def get(self) -> web.Response:
            return web.Response(text="get")

        @aiohttp_cors.custom_cors({OTHER_ORIGIN: ResourceOptions(allow_headers=("X-Custom",))})
        async def post(self) -> web.Response:
            return web.Response(text="post")

    app = web.Application()
    cors = aiohttp_cors.setup(app)
    cors.add(app.router.add_view("/items", Items))
    client = await anyiohttp_client(app)

    resp = await client.options(
        "/items",
        headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert resp.status == 200
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    resp = await client.options(
        "/items",
        headers={
            "Origin": OTHER_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-Custom",
        },
    )
    assert resp.status == 200 and resp.headers["Access-Control-Allow-Headers"] == "x-custom"
    resp = await client.options(
        "/items", headers={"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert resp.status == 403
    resp = await client.options(
        "/items", headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert resp.status == 403  # the view has no put()

    resp = await client.get("/items", headers={"Origin": APP_ORIGIN})
    assert await resp.text() == "get"
    assert resp.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    resp = await client.post("/items", headers={"Origin": OTHER_ORIGIN})
    assert resp.headers["Access-Control-Allow-Origin"] == OTHER_ORIGIN
    resp = await client.get("/items", headers={"Origin": OTHER_ORIGIN})
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_static_files(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text("console.log(1)")
    app = web.Application()
    cors = aiohttp_cors.setup(app, defaults={"*": ResourceOptions()})
    # As aiohttp_cors: a resource's routes are preflighted by its allow_methods.
    cors.add(app.router.add_static("/static", tmp_path), {"*": {"allow_methods": ["GET"]}})
    async with run_app(app) as url:
        status, headers, body = await curl(
            "-H", f"Origin: {OTHER_ORIGIN}", str(url / "static/app.js")
        )
        assert (status, body) == (200, "console.log(1)")
        assert headers["access-control-allow-origin"] == OTHER_ORIGIN
        status, headers, _ = await preflight(url / "static/app.js", OTHER_ORIGIN, "GET")
        assert status == 200 and headers["access-control-allow-methods"] == "GET"
        status, _, _ = await preflight(url / "static/app.js", OTHER_ORIGIN, "PUT")
        assert status == 403


async def test_handler_set_cors_headers_are_kept(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = web.Application()
    cors = aiohttp_cors.setup(app, defaults={"*": ResourceOptions()})

    async def handler(request: web.Request) -> web.Response:
        return web.Response(headers={"Access-Control-Allow-Origin": "https://mine.example"})

    cors.add(app.router.add_get("/", handler))
    client = await anyiohttp_client(app)
    resp = await client.get("/", headers={"Origin": OTHER_ORIGIN})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://mine.example"
    assert "Vary" not in resp.headers


def test_forbidden_configurations_are_refused() -> None:
    app = web.Application()
    with pytest.raises(ValueError, match="wildcard origin"):
        aiohttp_cors.setup(app, defaults={"*": ResourceOptions(allow_credentials=True)})
    cors = aiohttp_cors.setup(app)

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    route = app.router.add_get("/", handler)
    with pytest.raises(ValueError, match="wildcard origin"):
        cors.add(route, {"*": {"allow_credentials": True}})
    with pytest.raises(ValueError, match="wildcard origin"):
        aiohttp_cors.custom_cors({"*": ResourceOptions(allow_credentials=True)})
    with pytest.raises(ValueError, match="wildcard origin"):

        class View(aiohttp_cors.CorsViewMixin, web.View):
            cors_config = {"*": ResourceOptions(allow_credentials=True)}

    for origin in ("https://app.example.com/", "app.example.com", "https://a.example/path"):
        with pytest.raises(ValueError, match="is not an origin"):
            cors.add(route, {origin: ResourceOptions()})
    with pytest.raises(ValueError, match="not a valid name"):
        ResourceOptions(allow_headers=("X Bad",))
    with pytest.raises(ValueError, match="not a valid name"):
        ResourceOptions(allow_methods=("GE T",))
    with pytest.raises(ValueError, match="sequence of strings"):
        ResourceOptions(expose_headers="X-One")
    with pytest.raises(ValueError, match="non-negative"):
        ResourceOptions(max_age=-1)
    with pytest.raises(ValueError, match="boolean"):
        ResourceOptions(allow_credentials=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unexpected keywords"):
        cors.add(route, {APP_ORIGIN: {"allow_everything": True}})
    with pytest.raises(ValueError, match="must be mapping"):
        cors.add(route, [APP_ORIGIN])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Origin options must be"):
        cors.add(route, {APP_ORIGIN: True})  # type: ignore[dict-item]
    # Still usable: the refused calls changed nothing.
    cors.add(route, {APP_ORIGIN: ResourceOptions(allow_credentials=True)})


def test_conflicting_routes_are_refused() -> None:
    app = web.Application()
    cors = aiohttp_cors.setup(app)

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app.router.add_options("/opt", handler)
    with pytest.raises(ValueError, match="already has OPTIONS handler"):
        cors.add(app.router.add_get("/opt", handler))
    with pytest.raises(ValueError, match="'\\*' handler for all methods"):
        cors.add(app.router.add_route("*", "/any", handler))

    class Plain(web.View):
        async def get(self) -> web.Response:
            return web.Response()

    with pytest.raises(ValueError, match="CorsViewMixin"):
        cors.add(app.router.add_view("/view", Plain))
    route = app.router.add_get("/twice", handler)
    cors.add(route)
    with pytest.raises(ValueError, match="already configured"):
        cors.add(route)
    resource = app.router.add_resource("/res")
    cors.add(resource)
    with pytest.raises(ValueError, match="already configured"):
        cors.add(resource)
    with pytest.raises(ValueError, match="Resource or ResourceRoute expected"):
        cors.add("/path")  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match="webview"):
        cors.add(app.router.add_get("/w", handler), webview=True)
    assert app[aiohttp_cors.APP_CONFIG_KEY] is cors


def test_resource_options() -> None:
    options = ResourceOptions(allow_headers=["x-a"], allow_methods=["get"])
    assert options.allow_headers == frozenset({"X-A"})
    assert options.is_method_allowed("GET") and not options.is_method_allowed("PUT")
    assert not ResourceOptions().is_method_allowed("GET")
    assert ResourceOptions(allow_methods="*").is_method_allowed("PATCH")
    assert options == ResourceOptions(allow_headers=("X-A",), allow_methods=("GET",))


async def test_cors_in_a_sub_application() -> None:
    api = web.Application()
    cors = aiohttp_cors.setup(api, defaults={APP_ORIGIN: ResourceOptions(allow_credentials=True)})

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="api")

    cors.add(api.router.add_get("/items", handler))
    app = web.Application()
    app.add_subapp("/api", api)
    async with run_app(app) as url:
        status, headers, _ = await preflight(url / "api/items", APP_ORIGIN, "GET")
        assert status == 200 and headers["access-control-allow-credentials"] == "true"
        status, headers, body = await curl("-H", f"Origin: {APP_ORIGIN}", str(url / "api/items"))
        assert (status, body) == (200, "api")
        assert headers["access-control-allow-origin"] == APP_ORIGIN
