"""Server hardening: injection fallbacks, form field limits, startup errors, background work."""

from __future__ import annotations

import pytest

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
