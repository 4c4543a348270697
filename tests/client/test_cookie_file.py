"""CookieJar.save()/load(): aiohttp 3.14's JSON format both ways, and no unpickling of code."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import stat
from collections.abc import Iterator
from http.cookies import BaseCookie, SimpleCookie
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

SET_COOKIES = [
    "host=1; Path=/",
    "dom=2; Domain=example.com; Path=/docs; Secure; HttpOnly; SameSite=Lax",
    "aged=3; Max-Age=3600",
    'quoted="x y"; Path=/',
    "dated=5; Expires=Wed, 01 Jan 2070 00:00:00 GMT; Path=/",
    "gone=6; Max-Age=0; Path=/",
]
ORIGIN = URL("https://www.example.com/dir/page")
# Where each cookie should (or should not) go: host-only vs domain, path, Secure.
PROBES = [
    URL("https://www.example.com/"),
    URL("https://www.example.com/dir/x"),
    URL("https://www.example.com/docs/a"),
    URL("http://www.example.com/docs/a"),
    URL("https://sub.www.example.com/dir/x"),
    URL("https://other.example.com/docs"),
]


@pytest.fixture
def aiohttp_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """aiohttp's jar wants an event loop at construction (it never runs one here)."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def sent(jar: Any, url: URL) -> dict[str, str]:
    cookies: BaseCookie[str] = jar.filter_cookies(url)
    return {name: morsel.value for name, morsel in cookies.items()}


def without_relative_deadline(data: dict[str, Any]) -> dict[str, Any]:
    """The saved data with Max-Age's deadline (which depends on when it was set) taken out."""
    for records in data.values():
        for record in records.values():
            if record["key"] == "aged":
                assert record.pop("expires_timestamp") > 0
    return data


def test_saved_file_is_aiohttp_json(
    tmp_path: Path, aiohttp_loop: asyncio.AbstractEventLoop
) -> None:
    ours = anyiohttp.CookieJar()
    ours.update_cookies_from_headers(SET_COOKIES, ORIGIN)
    theirs = aiohttp.CookieJar(loop=aiohttp_loop)
    theirs.update_cookies_from_headers(SET_COOKIES, ORIGIN)
    ours.save(tmp_path / "ours.json")
    theirs.save(tmp_path / "theirs.json")
    saved = json.loads((tmp_path / "ours.json").read_text("utf-8"))
    expected = json.loads((tmp_path / "theirs.json").read_text("utf-8"))
    assert without_relative_deadline(saved) == without_relative_deadline(expected)
    # Cookies are often credentials: only the owner may read the file.
    assert stat.S_IMODE(os.stat(tmp_path / "ours.json").st_mode) == 0o600


def test_file_saved_here_loads_in_aiohttp(
    tmp_path: Path, aiohttp_loop: asyncio.AbstractEventLoop
) -> None:
    ours = anyiohttp.CookieJar()
    ours.update_cookies_from_headers(SET_COOKIES, ORIGIN)
    ours.save(tmp_path / "cookies")
    theirs = aiohttp.CookieJar(loop=aiohttp_loop)
    theirs.load(tmp_path / "cookies")
    assert len(theirs) == 5
    for url in PROBES:
        assert sent(theirs, url) == sent(ours, url), url
    assert sent(theirs, URL("https://www.example.com/docs/a")) == {
        "host": "1",
        "dom": "2",
        "quoted": "x y",
        "dated": "5",
    }
    assert sent(theirs, URL("https://sub.www.example.com/dir/x")) == {}  # host-only stayed


def test_file_saved_by_aiohttp_loads_here(
    tmp_path: Path, aiohttp_loop: asyncio.AbstractEventLoop
) -> None:
    theirs = aiohttp.CookieJar(loop=aiohttp_loop)
    theirs.update_cookies_from_headers(SET_COOKIES, ORIGIN)
    theirs.save(tmp_path / "cookies")
    ours = anyiohttp.CookieJar()
    ours.update_cookies_from_headers(["stale=1; Path=/"], ORIGIN)
    ours.load(tmp_path / "cookies")
    assert len(ours) == 5  # replaced, not merged
    for url in PROBES:
        assert sent(ours, url) == sent(theirs, url), url
    # The deadlines came along: saving again writes what aiohttp wrote.
    ours.save(tmp_path / "again")
    assert json.loads((tmp_path / "again").read_text("utf-8")) == json.loads(
        (tmp_path / "cookies").read_text("utf-8")
    )


def test_expired_deadline_in_a_file_is_not_loaded(tmp_path: Path) -> None:
    record = {"key": "old", "value": "1", "coded_value": "1", "path": "/", "domain": "a.test"}
    data = {"a.test|": {"old": {**record, "expires_timestamp": 1.0}}}
    (tmp_path / "cookies").write_text(json.dumps(data), "utf-8")
    jar = anyiohttp.CookieJar()
    jar.load(tmp_path / "cookies")
    assert len(jar) == 0


class RunsCode:
    """Unpickling this calls os.mkdir: what an attacker's cookie file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("nested", [False, True])
def test_load_never_runs_code_from_a_pickle(tmp_path: Path, nested: bool) -> None:
    marker = tmp_path / "pwned"
    evil: Any = RunsCode(marker)
    if nested:  # hidden inside what an old cookie file holds
        cookie: SimpleCookie = SimpleCookie("a=1")
        evil = {("example.com", "/"): cookie, ("x", "/"): {"b": evil}}
    (tmp_path / "cookies").write_bytes(pickle.dumps(evil, protocol=pickle.HIGHEST_PROTOCOL))
    jar = anyiohttp.CookieJar()
    jar.update_cookies_from_headers(["kept=1"], ORIGIN)
    with pytest.raises(pickle.UnpicklingError, match="Forbidden"):
        jar.load(tmp_path / "cookies")
    assert not marker.exists()
    assert sent(jar, ORIGIN) == {"kept": "1"}  # left as it was


def test_load_reads_a_pickle_an_older_version_saved(tmp_path: Path) -> None:
    old: dict[tuple[str, str], SimpleCookie] = {
        ("example.com", "/"): SimpleCookie("a=1; Domain=example.com; Path=/")
    }
    (tmp_path / "cookies").write_bytes(pickle.dumps(old, protocol=pickle.HIGHEST_PROTOCOL))
    jar = anyiohttp.CookieJar()
    jar.load(tmp_path / "cookies")
    assert sent(jar, URL("https://www.example.com/")) == {"a": "1"}


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"nobar": {}},
        {"a.test|": {"x": {"key": "x", "value": 1, "coded_value": "1"}}},
        {"a.test|": {"x": {"key": "x", "value": "1"}}},
        {
            "a.test|": {
                "x": {"key": "x", "value": "1", "coded_value": "1", "expires_timestamp": "nan"}
            }
        },
    ],
)
def test_malformed_file_raises_and_leaves_the_jar(tmp_path: Path, data: Any) -> None:
    (tmp_path / "cookies").write_text(json.dumps(data), "utf-8")
    jar = anyiohttp.CookieJar()
    jar.update_cookies_from_headers(["kept=1"], ORIGIN)
    with pytest.raises(ValueError, match="ookie"):
        jar.load(tmp_path / "cookies")
    assert sent(jar, ORIGIN) == {"kept": "1"}


@pytest.mark.anyio
async def test_cookies_saved_from_a_session_are_sent_by_the_next(tmp_path: Path) -> None:
    async def set_cookies(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        resp.set_cookie("session", "abc", httponly=True)
        resp.set_cookie("lang", "en", max_age=3600)
        return resp

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Cookie", ""))

    app = web.Application()
    app.router.add_get("/set", set_cookies)
    app.router.add_get("/echo", echo)
    async with run_app(app) as url:
        async with anyiohttp.ClientSession(cookie_jar=anyiohttp.CookieJar(unsafe=True)) as s:
            async with s.get(url / "set") as resp:
                assert resp.status == 200
            s.cookie_jar.save(tmp_path / "cookies")  # type: ignore[attr-defined]
        jar = anyiohttp.CookieJar(unsafe=True)
        jar.load(tmp_path / "cookies")
        async with anyiohttp.ClientSession(cookie_jar=jar) as s:
            async with s.get(url / "echo") as resp:
                assert sorted((await resp.text()).split("; ")) == ["lang=en", "session=abc"]
