"""The companions' examples: aiohttp_port.py (also run on aiohttp), sessions_server_side.py."""

from __future__ import annotations

import difflib
import os
import sys
import types
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ..conftest import run_app

EXAMPLES = Path(__file__).parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import aiohttp_port  # noqa: E402
import sessions_server_side  # noqa: E402

pytestmark = pytest.mark.anyio

KEY = os.urandom(32)
FRONTEND = aiohttp_port.FRONTEND
EVIL = "https://evil.example.net"

# What a port changes, undone: anyiohttp's modules back to aiohttp's.
BACK_TO_AIOHTTP = [
    ("import anyiohttp.cors as aiohttp_cors", "import aiohttp_cors"),
    ("import anyiohttp.templating as aiohttp_jinja2", "import aiohttp_jinja2"),
    ("from anyiohttp import web", "from aiohttp import web"),
    ("from anyiohttp.sessions", "from aiohttp_session"),
]


def aiohttp_original() -> types.ModuleType:
    """examples/aiohttp_port.py with aiohttp's imports: the app before the port."""
    source = (EXAMPLES / "aiohttp_port.py").read_text()
    original = source
    for ours, theirs in BACK_TO_AIOHTTP:
        original = original.replace(ours, theirs)
    changed = [
        line
        for line in difflib.unified_diff(source.splitlines(), original.splitlines(), n=0)
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert changed and all(" import " in line or line[1:].startswith("import ") for line in changed)
    module = types.ModuleType("aiohttp_original")
    exec(compile(original, "aiohttp_original.py", "exec"), module.__dict__)
    assert "anyiohttp" not in {m.split(".")[0] for m in _imported(module)}
    return module


def _imported(module: types.ModuleType) -> set[str]:
    return {
        getattr(value, "__module__", None) or getattr(value, "__name__", "")
        for value in vars(module).values()
        if isinstance(value, types.ModuleType | type) or callable(value)
    } - {""}


def _names(value: str | None) -> list[str] | None:
    return None if value is None else sorted(v.strip().lower() for v in value.split(","))


def summary(resp: httpx.Response) -> dict[str, Any]:
    """What a response says, as the two servers must both say it."""
    headers = resp.headers
    body = resp.json() if "json" in headers.get("content-type", "") else resp.text
    if isinstance(body, str) and body.startswith("CORS preflight request failed"):
        body = body.lower()  # aiohttp_cors names refused headers in upper case, we as sent
    return {
        "status": resp.status_code,
        "body": body,
        "content-type": headers.get("content-type"),
        "redirects": [r.status_code for r in resp.history],
        "allow-origin": headers.get("access-control-allow-origin"),
        "allow-credentials": headers.get("access-control-allow-credentials"),
        "allow-methods": headers.get("access-control-allow-methods"),
        "allow-headers": _names(headers.get("access-control-allow-headers")),
        "expose-headers": _names(headers.get("access-control-expose-headers")),
        "max-age": headers.get("access-control-max-age"),
        "sets-session": "AIOHTTP_SESSION" in headers.get("set-cookie", ""),
    }


def preflight_headers(origin: str, method: str, headers: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


async def scenario(base_url: str) -> tuple[list[dict[str, Any]], str]:
    """A visitor, a login, the front end's API calls and a stranger's; and the session."""
    out = []
    async with httpx.AsyncClient(base_url=base_url) as browser:
        out.append(summary(await browser.get("/")))
        out.append(summary(await browser.get("/")))
        out.append(
            summary(await browser.post("/login", data={"user": "ann"}, follow_redirects=True))
        )
        out.append(
            summary(
                await browser.options(
                    "/api/items/1",
                    headers=preflight_headers(FRONTEND, "PUT", "x-token,content-type"),
                )
            )
        )
        out.append(
            summary(
                await browser.put(
                    "/api/items/1",
                    json={"name": "Big teapot"},
                    headers={"Origin": FRONTEND, "X-Token": "secret"},
                )
            )
        )
        out.append(summary(await browser.get("/api/items/1", headers={"Origin": EVIL})))
        out.append(summary(await browser.get("/api/items/9", headers={"Origin": FRONTEND})))
        out.append(
            summary(
                await browser.options(
                    "/api/items/1", headers=preflight_headers(EVIL, "PUT", "x-token")
                )
            )
        )
        session_cookie = browser.cookies["AIOHTTP_SESSION"]
    async with httpx.AsyncClient(base_url=base_url) as stranger:
        out.append(
            summary(
                await stranger.put(
                    "/api/items/2", json={"name": "x"}, headers={"X-Token": "secret"}
                )
            )
        )
    return out, session_cookie


def check(transcript: list[dict[str, Any]]) -> None:
    """What the app must answer, step by step."""
    home1, home2, login, pre, put, evil_get, missing, evil_pre, stranger = transcript
    assert home1["status"] == 200 and home1["content-type"] == "text/html; charset=utf-8"
    body = home1["body"]
    assert "<p>Hello, stranger! Visit 1 (/).</p>" in body
    assert '<a href="/api/items/1">Teapot &lt;large&gt;</a>' in body
    assert '<link rel="stylesheet" href="/static/app.css">' in body
    assert home1["sets-session"]
    assert "Visit 2 (/)" in home2["body"]
    assert login["redirects"] == [302] and "Hello, ann! Visit 1 (/)" in login["body"]
    assert pre["status"] == 200
    assert (pre["allow-origin"], pre["allow-credentials"], pre["allow-methods"]) == (
        FRONTEND,
        "true",
        "PUT",
    )
    assert pre["allow-headers"] == ["content-type", "x-token"] and pre["max-age"] == "3600"
    assert put["body"] == {"renamed": "Big teapot", "by": "ann"}
    assert (put["allow-origin"], put["allow-credentials"]) == (FRONTEND, "true")
    assert evil_get["body"] == {"id": 1, "name": "Big teapot"}
    assert evil_get["allow-origin"] == EVIL and evil_get["allow-credentials"] is None
    assert evil_get["expose-headers"] == ["x-stock"]
    assert missing["status"] == 404 and missing["allow-origin"] == FRONTEND
    assert evil_pre["status"] == 403
    assert stranger["status"] == 403 and stranger["body"] == "log in first"


async def test_the_port_runs_on_both_backends() -> None:
    async with run_app(aiohttp_port.make_app(KEY)) as url:
        transcript, _ = await scenario(str(url))
        result = await anyio.run_process(
            [
                "curl", "-s", "-o", "/dev/null",
                "-w", "%{http_code} %header{access-control-allow-origin}",
                "-X", "OPTIONS", "-H", f"Origin: {FRONTEND}",
                "-H", "Access-Control-Request-Method: PUT", str(url / "api/items/1"),
            ]
        )  # fmt: skip
    check(transcript)
    assert result.stdout.decode() == f"200 {FRONTEND}"


@asynccontextmanager
async def serve_on_aiohttp(app: Any) -> AsyncIterator[str]:
    import aiohttp.web

    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    try:
        site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # aiohttp runs on asyncio only
# aiohttp 3.14 warns about aiohttp_session's and aiohttp_jinja2's string request keys.
@pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
async def test_the_original_on_aiohttp_answers_the_same(anyio_backend: str) -> None:
    original = aiohttp_original()
    async with serve_on_aiohttp(original.make_app(KEY)) as theirs:
        their_transcript, their_cookie = await scenario(theirs)
    async with run_app(aiohttp_port.make_app(KEY)) as url:
        our_transcript, _ = await scenario(str(url))
        # The session aiohttp_session made is ann's on our server too.
        async with httpx.AsyncClient(
            base_url=str(url), headers={"Cookie": f"AIOHTTP_SESSION={their_cookie}"}
        ) as http:
            assert "Hello, ann! Visit 2" in (await http.get("/")).text
    check(their_transcript)
    assert our_transcript == their_transcript


# -- examples/sessions_server_side.py -------------------------------------------------


async def test_server_side_sessions_with_our_client(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = sessions_server_side.make_app()
    store = app[sessions_server_side.store_key]
    client = await anyiohttp_client(app)
    assert (await client.get("/")).status == 401

    resp = await client.post("/login", data={"user": "ann"})
    assert resp.history[0].status == 303
    assert await resp.json() == {"user": "ann", "visits": 1}
    assert await (await client.get("/")).json() == {"user": "ann", "visits": 2}
    key = resp.history[0].cookies["AIOHTTP_SESSION"].value
    assert list(store.data) == [f"session:{key}"]  # the cookie holds the key only
    assert "ann" not in key

    resp = await client.post("/logout")
    assert resp.cookies["AIOHTTP_SESSION"].value == ""
    assert store.data == {}
    assert (await client.get("/")).status == 401


async def test_server_side_sessions_with_httpx() -> None:
    app = sessions_server_side.make_app()
    store = app[sessions_server_side.store_key]
    async with run_app(app) as url:
        # A key the server never gave out is not adopted: login makes a new one.
        async with httpx.AsyncClient(
            base_url=str(url), headers={"Cookie": "AIOHTTP_SESSION=chosen-by-attacker"}
        ) as http:
            assert (await http.get("/")).status_code == 401
            resp = await http.post("/login", data={"user": "bob"}, follow_redirects=True)
            assert resp.json() == {"user": "bob", "visits": 1}
            key = resp.history[0].cookies["AIOHTTP_SESSION"]
            assert key != "chosen-by-attacker" and f"session:{key}" in store.data
        async with httpx.AsyncClient(
            base_url=str(url), headers={"Cookie": f"AIOHTTP_SESSION={key}"}
        ) as other_device:
            assert (await other_device.get("/")).json() == {"user": "bob", "visits": 2}


async def test_server_side_sessions_expire() -> None:
    app = sessions_server_side.make_app(max_age=0)  # expired as soon as stored
    async with run_app(app) as url, httpx.AsyncClient(base_url=str(url)) as http:
        resp = await http.post("/login", data={"user": "cy"}, follow_redirects=True)
        assert resp.status_code == 401


async def test_server_side_sessions_in_a_real_redis(redis_port: int) -> None:
    """The example's storage over RedisClient: the same app, its sessions in redis-server."""
    from anyiohttp.sessions.redis_client import RedisClient

    app = sessions_server_side.make_app(max_age=600, redis_url=f"redis://127.0.0.1:{redis_port}/0")
    async with run_app(app) as url, httpx.AsyncClient(base_url=str(url)) as http:
        resp = await http.post("/login", data={"user": "di"}, follow_redirects=True)
        assert resp.json() == {"user": "di", "visits": 1}
        assert (await http.get("/")).json() == {"user": "di", "visits": 2}
        key = http.cookies["AIOHTTP_SESSION"]
        async with RedisClient("127.0.0.1", redis_port) as redis:
            stored = await redis.get(f"session:{key}")
            assert stored is not None and b'"user": "di"' in stored
            ttl = await redis.execute_command("TTL", f"session:{key}")
            assert isinstance(ttl, int) and 0 < ttl <= 600
            assert (await http.post("/logout")).text == "logged out"
            assert await redis.get(f"session:{key}") is None
