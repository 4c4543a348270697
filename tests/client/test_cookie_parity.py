"""Cookies as aiohttp keeps and sends them: our jar and server beside aiohttp's.

The client's jar is fed the same Set-Cookie fields as aiohttp's and must
store the same cookies (names with braces, JSON values, attributes) and
send the same Cookie header; the server's ``request.cookies`` must read a
Cookie header as aiohttp's does (octal escapes in quoted values included).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterator
from http.cookies import CookieError
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp.test_utils import make_mocked_request
from yarl import URL

import anyiohttp
from anyiohttp import web
from anyiohttp.client.cookies import parse_set_cookie_headers

from ..conftest import run_app

SET_COOKIES = [
    "a=1",
    'quoted="x"',
    'spaced="with space"',
    'json={"k":"v"}',
    'octal="\\054x"',
    "braces{}=1",
    "list=[1,2]",
    "full=1; Path=/p; Domain=example.com; Secure; HttpOnly; SameSite=Lax; Max-Age=100",
    "dated=2; expires=Wed, 09 Jun 2100 10:18:14 GMT; comment=hello; version=1",
    'semi="a;b"; Path=/',
    "bad name=1",
    "sp=x y",
    "empty=",
    "=novalue",
    "noequal",
    "attrs=v; unknown=5; Secure=ignored",
    'open="unterminated',
    "ctl=a\x01b",
    'qpath=ok; Path="/q"',
    "paren(x)=1",
    "colon:r=2",
    'obj={"a": 1, "b": [2, 3]}',
    "lower=val; samesite=Strict; httponly",
    "dot=1; Domain=.example.com",
    "trailing=1; Domain=example.com.",
    "pct=%7Bpct%7D",
    "badage=1; Max-Age=soon; Expires=Wed, 09 Jun 2100 10:18:14 GMT",
    "baddate=1; Expires=not a date",
    "nosemi=1; Path=/p HttpOnly",
    "asctime=1; Expires=Sun Nov  6 08:49:37 2094",
]
ORIGIN = URL("http://example.com/p/x")
PROBES = [
    URL("http://example.com/p/x"),
    URL("https://example.com/p/x"),
    URL("http://example.com/"),
    URL("https://www.example.com/q"),
    URL("http://other.org/"),
]


@pytest.fixture
def aiohttp_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """aiohttp's jar wants an event loop at construction (it never runs one here)."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def aiohttp_jar(loop: asyncio.AbstractEventLoop, **kwargs: Any) -> aiohttp.CookieJar:
    return aiohttp.CookieJar(loop=loop, **kwargs)


def stored(jar: Any) -> dict[tuple[str, str, str], tuple[str, str, dict[str, Any]]]:
    """Every cookie with its key, value, coded value and attributes, by where it is kept."""
    return {
        (domain, path, name): (m.value, m.coded_value, {k: v for k, v in m.items() if v})
        for (domain, path), cookie in jar.cookies.items()
        for name, m in cookie.items()
    }


def header(jar: Any, url: URL) -> str:
    """The Cookie header a request to ``url`` carries, as the session writes it."""
    return "; ".join(f"{m.key}={m.coded_value}" for m in jar.filter_cookies(url).values())


@pytest.mark.parametrize("quote_cookie", [True, False], ids=["quoted", "unquoted"])
@pytest.mark.parametrize("field", SET_COOKIES)
def test_a_set_cookie_field_is_kept_and_sent_back_as_aiohttp_does(
    aiohttp_loop: asyncio.AbstractEventLoop, field: str, quote_cookie: bool
) -> None:
    theirs = aiohttp_jar(aiohttp_loop, quote_cookie=quote_cookie)
    ours = anyiohttp.CookieJar(quote_cookie=quote_cookie)
    theirs.update_cookies_from_headers([field], ORIGIN)
    ours.update_cookies_from_headers([field], ORIGIN)
    assert stored(ours) == stored(theirs)
    assert ours.host_only_cookies == theirs.host_only_cookies
    for url in PROBES:
        assert header(ours, url) == header(theirs, url), url


@pytest.mark.parametrize("quote_cookie", [True, False], ids=["quoted", "unquoted"])
def test_many_cookies_are_sent_in_aiohttps_order_with_the_most_specific_winning(
    aiohttp_loop: asyncio.AbstractEventLoop, quote_cookie: bool
) -> None:
    fields = [
        "z=root; Path=/",
        "a=deep; Path=/p/x",
        "dup=root; Path=/",
        "dup=deeper; Path=/p",
        "dom=parent; Domain=example.com; Path=/",
        "dom=host; Path=/",
        'q="x y"; Path=/p',
        'j={"a":[1,2]}; Path=/',
    ]
    theirs = aiohttp_jar(aiohttp_loop, quote_cookie=quote_cookie)
    ours = anyiohttp.CookieJar(quote_cookie=quote_cookie)
    for jar in (theirs, ours):
        jar.update_cookies_from_headers(fields, URL("http://www.example.com/p/x/y"))
        jar.update_cookies({"shared": "s"})  # no URL: sent everywhere
        with pytest.raises(CookieError):
            jar.update_cookies({"bad name": "t"})
    assert stored(ours) == stored(theirs)
    for url in [
        URL("http://www.example.com/p/x/y"),
        URL("http://www.example.com/p"),
        URL("http://example.com/"),
        URL("http://sub.www.example.com/p/x"),
    ]:
        assert header(ours, url) == header(theirs, url), url


def test_random_set_cookie_fields_parse_as_aiohttps(
    aiohttp_loop: asyncio.AbstractEventLoop,
) -> None:
    from aiohttp._cookie_helpers import parse_set_cookie_headers as aiohttp_parse

    pieces = [
        *"ab=; \"\\05,{}[é\t(:",
        "Path", "path=/x", "Secure", "HttpOnly", "Max-Age=5", "Domain=ex.com",
        "expires=Wed, 09 Jun 2100 10:18:14 GMT", "SameSite=Lax", "\\054", '"a;b"',
        'comment="c d"', "Expires=Sun Nov  6 08:49:37 1994",
    ]  # fmt: skip
    rnd = random.Random(2024)

    def summary(cookies: Any) -> list[Any]:
        return [
            (name, m.key, m.value, m.coded_value, {k: v for k, v in m.items() if v})
            for name, m in cookies
        ]

    logging.disable(logging.WARNING)  # illegal names are logged, by both
    try:
        for _ in range(3000):
            field = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 10)))
            assert summary(parse_set_cookie_headers([field])) == summary(aiohttp_parse([field]))
    finally:
        logging.disable(logging.NOTSET)


def test_an_illegal_cookie_name_is_logged_as_aiohttp_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jar = anyiohttp.CookieJar()
    with caplog.at_level(logging.WARNING, logger="anyiohttp.client"):
        jar.update_cookies_from_headers(["bad name=1", "good{}=2"], ORIGIN)
    assert [m.key for m in jar] == ["good{}"]
    assert [r.getMessage() for r in caplog.records] == [
        "Can not load cookies: Illegal cookie name 'bad name'"
    ]


def test_cookies_host_only_cookies_and_unsafe_as_aiohttp(
    aiohttp_loop: asyncio.AbstractEventLoop,
) -> None:
    theirs = aiohttp_jar(aiohttp_loop, unsafe=True)
    ours = anyiohttp.CookieJar(unsafe=True)
    fields = ["host=1; Path=/docs/", "dom=2; Domain=example.com", "ip=3"]
    for jar in (theirs, ours):
        jar.update_cookies_from_headers(fields[:2], URL("https://www.example.com/a/b"))
        jar.update_cookies_from_headers(fields[2:], URL("http://127.0.0.1/"))
    assert ours.unsafe is theirs.unsafe is True
    assert anyiohttp.CookieJar().unsafe is aiohttp_jar(aiohttp_loop).unsafe is False
    assert (
        set(ours.cookies)
        == set(theirs.cookies)
        == {
            ("www.example.com", "/docs"),
            ("example.com", "/a"),
            ("127.0.0.1", ""),
        }
    )
    assert (
        ours.host_only_cookies
        == theirs.host_only_cookies
        == {
            ("www.example.com", "/docs", "host"),
            ("127.0.0.1", "", "ip"),
        }
    )
    view = ours.cookies
    ours.clear_domain("example.com")
    assert set(view) == {("127.0.0.1", "")}  # a live view, as aiohttp's
    with pytest.raises(TypeError):
        view[("x", "")] = None  # type: ignore[index]

    dummy, their_dummy = anyiohttp.DummyCookieJar(), aiohttp.DummyCookieJar(loop=aiohttp_loop)
    for jar in (dummy, their_dummy):
        jar.update_cookies_from_headers(fields, URL("https://www.example.com/"))
    assert dict(dummy.cookies) == dict(their_dummy.cookies) == {}
    assert dummy.host_only_cookies == their_dummy.host_only_cookies == frozenset()
    assert dummy.unsafe is their_dummy.unsafe is False


def test_expired_cookies_are_purged_by_clear_len_and_filter_cookies(
    aiohttp_loop: asyncio.AbstractEventLoop,
) -> None:
    fields = ["short=1; Max-Age=1", "long=2; Max-Age=100"]
    cleared, counted, filtered = (anyiohttp.CookieJar() for _ in range(3))
    their_cleared = aiohttp_jar(aiohttp_loop)
    for jar in (cleared, counted, filtered, their_cleared):
        jar.update_cookies_from_headers(fields, ORIGIN)
        assert {name for _, _, name in stored(jar)} == {"short", "long"}
    time.sleep(1.1)  # "short" expires

    for jar in (cleared, their_cleared):
        jar.clear(lambda morsel: False)  # removes nothing but the expired
        assert {name for _, _, name in stored(jar)} == {"long"}
    assert len(counted) == 1
    assert {name for _, _, name in stored(counted)} == {"long"}
    assert header(filtered, ORIGIN) == "long=2"
    assert {name for _, _, name in stored(filtered)} == {"long"}


@pytest.mark.anyio
async def test_the_cookie_header_on_the_wire_is_aiohttps() -> None:
    """Cookies set by our server come back from our client as from aiohttp's."""
    set_cookie = [
        'json={"a":1,"b":[2,3]}; Path=/',
        'quoted="abc"; Path=/',
        'spaced="x y"; Path=/',
        "braces{}=v; Path=/",
        'octal="a\\054b"; Path=/',
    ]

    async def set_them(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        for value in set_cookie:
            resp.headers.add("Set-Cookie", value)
        return resp

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"raw": request.headers.get("Cookie", ""), "parsed": dict(request.cookies)}
        )

    app = web.Application()
    app.router.add_get("/set", set_them)
    app.router.add_get("/echo", echo)

    async def with_aiohttp(base: str, quote_cookie: bool) -> Any:
        jar = aiohttp.CookieJar(unsafe=True, quote_cookie=quote_cookie)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            await (await session.get(base + "/set")).read()
            return await (await session.get(base + "/echo")).json()

    async with run_app(app) as url:
        for quote_cookie in (True, False):
            jar = anyiohttp.CookieJar(unsafe=True, quote_cookie=quote_cookie)
            async with anyiohttp.ClientSession(cookie_jar=jar) as session:
                await (await session.get(url / "set")).read()
                ours = await (await session.get(url / "echo")).json()
            theirs = await anyio.to_thread.run_sync(
                asyncio.run, with_aiohttp(str(url), quote_cookie)
            )
            # The same pairs, written the same way (aiohttp's session sorts
            # them by name; ours keeps the jar's order).
            assert sorted(ours["raw"].split("; ")) == sorted(theirs["raw"].split("; "))
            assert ours["parsed"] == theirs["parsed"]
            if quote_cookie:
                assert ours["parsed"] == {
                    "json": '{"a":1,"b":[2,3]}',
                    "quoted": "abc",
                    "spaced": "x y",
                    "braces{}": "v",
                    "octal": "a,b",
                }


COOKIE_HEADERS = [
    'a=1; b="x\\054y"',
    'j="{\\"k\\"\\0541}"',
    "a=1;b=2",
    "bad name=1; c=3",
    "=x; d=4",
    "e",
    "f=; g=h",
    "path=/; secure=1",
    'x="unterminated; y=2',
    "z=a b; w=1",
    'k={"j":1}',
    "dup=1; dup=2",
    "sp = 3",
    "c,d=1; e=2",
    'o="\\101\\102"',
    "br[x]=1",
    'mix="a;b"; after=1',
    "e1=Wed, 09 Jun 2021 10:18:14 GMT; n=1",
    "ü=1; a=2",
    'x="a" y; z=1',
]


def test_request_cookies_read_a_cookie_header_as_aiohttp() -> None:
    from anyiohttp.testing import make_mocked_request as our_request

    def ours(value: str) -> dict[str, str]:
        return dict(our_request("GET", "/", headers={"Cookie": value}).cookies)

    def theirs(value: str) -> dict[str, str]:
        return dict(make_mocked_request("GET", "/", headers={"Cookie": value}).cookies)

    for value in COOKIE_HEADERS:
        assert ours(value) == theirs(value), value
    assert ours('json="{\\"a\\"\\054\\"b\\"}"') == {"json": '{"a","b"}'}
    rnd = random.Random(7)
    alphabet = [*'ab=; "\\054,{}[é\t(:']
    for _ in range(3000):
        value = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14)))
        assert ours(value) == theirs(value), value


@pytest.mark.anyio
async def test_a_json_cookie_reaches_the_handler_whole() -> None:
    """A value SimpleCookie quoted (its commas as \\054) arrives as the JSON it was."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.cookies["state"])

    app = web.Application()
    app.router.add_get("/", handler)
    async with run_app(app) as url:
        assert url.port is not None
        async with await anyio.connect_tcp("127.0.0.1", url.port) as stream:
            await stream.send(
                b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b'Cookie: state="{\\"a\\": 1\\054 \\"b\\": [2\\054 3]}"\r\n\r\n'
            )
            data = b""
            with anyio.fail_after(10):
                while True:
                    try:
                        data += await stream.receive()
                    except anyio.EndOfStream:
                        break
    assert data.endswith(b'\r\n\r\n{"a": 1, "b": [2, 3]}')
