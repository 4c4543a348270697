"""The router picks the route aiohttp's picks, for overlapping routes in any order."""

from __future__ import annotations

import asyncio
import random

import aiohttp.web as aiohttp_web
from aiohttp.test_utils import make_mocked_request

from anyiohttp import web

POOL = [
    "/{a}",
    "/{a}/b",
    "/x/{c}",
    "/x/y",
    r"/x/{c:\d+}",
    "/{a:[a-z]+}",
    "/x{s}",
    "/x/{tail:.+}",
    "/{a}/{b}",
    "/x/",
    "/x/y{z}",
    "/{a}/y",
    "/",
    "/x",
]
PATHS = ["/x/y", "/x/1", "/x", "/abc", "/x/y/z", "/xa", "/x/", "/x/yz", "/1/y", "/"]


async def _ok(request: web.Request) -> web.Response:
    return web.Response()


async def _aiohttp_ok(request: aiohttp_web.Request) -> aiohttp_web.Response:
    return aiohttp_web.Response()


def chosen_by_aiohttp(routes: list[str], path: str) -> str | None:
    app = aiohttp_web.Application()
    for route in routes:
        app.router.add_get(route, _aiohttp_ok)
    match = asyncio.run(app.router.resolve(make_mocked_request("GET", path)))
    if getattr(match, "http_exception", None) is not None:
        return None
    return str(match.route.resource.canonical)  # type: ignore[union-attr]  # matched: has one


def chosen_by_us(routes: list[str], path: str) -> str | None:
    app = web.Application()
    for route in routes:
        app.router.add_get(route, _ok)
    match = app.router.resolve_path("GET", path)
    if getattr(match, "http_exception", None) is not None:
        return None
    return str(match.route.resource.canonical)  # type: ignore[union-attr]  # matched: has one


def test_overlapping_routes_resolve_as_aiohttp() -> None:
    rng = random.Random(1)
    for _ in range(120):
        routes = rng.sample(POOL, 4)
        for path in PATHS:
            assert chosen_by_us(routes, path) == chosen_by_aiohttp(routes, path), (routes, path)
