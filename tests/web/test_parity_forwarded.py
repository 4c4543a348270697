"""aiohttp parity of the Forwarded header (RFC 7239): request.forwarded and
forwarded_middleware read quoted values, quoted-pairs and extension
parameters as aiohttp does."""

from __future__ import annotations

import json
import random

import httpx
import pytest

from anyiohttp import web
from anyiohttp.web.middlewares import parse_forwarded

from ..conftest import raw_exchange, run_app

# (Forwarded header values, what aiohttp 3.14's request.forwarded gives)
CASES: list[tuple[list[str], list[dict[str, str]]]] = [
    (
        ["for=192.0.2.60;proto=http;by=203.0.113.43"],
        [{"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"}],
    ),
    (['For="[2001:db8:cafe::17]:4711"'], [{"for": "[2001:db8:cafe::17]:4711"}]),
    (
        ["for=192.0.2.43", "for=198.51.100.17;proto=https"],
        [{"for": "192.0.2.43"}, {"for": "198.51.100.17", "proto": "https"}],
    ),
    # quoted-pairs are unescaped
    (['for="a\\"b";host="x\\\\y"'], [{"for": 'a"b', "host": "x\\y"}]),
    (['host="ex\\ample.com"'], [{"host": "example.com"}]),
    # a quoted "," or ";" splits nothing
    (
        ['for="quoted, with comma";proto=https, for=second'],
        [{"for": "quoted, with comma", "proto": "https"}, {"for": "second"}],
    ),
    (['for="semi;colon";by=x'], [{"for": "semi;colon", "by": "x"}]),
    # extension parameters are kept; the last of a name wins
    (["ext-param=some_value;for=1.2.3.4"], [{"ext-param": "some_value", "for": "1.2.3.4"}]),
    (["for=a;for=b"], [{"for": "b"}]),
    (["for=1.2.3.4:8080"], [{"for": "1.2.3.4:8080"}]),
    # broken syntax: the rest of the element is skipped, up to the next comma
    (["for=a by=b, for=c"], [{"for": "a"}, {"for": "c"}]),
    (["for=ok;bad@param=1;proto=http"], [{"for": "ok"}]),
    (['for="unterminated, for=z'], [{}, {"for": "z"}]),
    (['for="a\\"'], [{}]),
    (["host=x;  proto = https"], [{"host": "x"}]),
    (["  ,  "], [{}, {}]),
]


@pytest.mark.anyio
@pytest.mark.usefixtures("each_parser")
async def test_request_forwarded_reads_the_header_as_aiohttp() -> None:
    async def show(request: web.Request) -> web.Response:
        return web.json_response([dict(element) for element in request.forwarded])

    app = web.Application()
    app.router.add_get("/", show)
    async with run_app(app) as url:
        for values, expected in CASES:
            head = b"".join(b"Forwarded: %s\r\n" % v.encode() for v in values)
            raw = await raw_exchange(
                url, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + head + b"\r\n"
            )
            assert json.loads(raw.partition(b"\r\n\r\n")[2]) == expected, values


@pytest.mark.anyio
async def test_forwarded_middleware_is_not_misled_by_a_quoted_comma() -> None:
    async def who(request: web.Request) -> web.Response:
        return web.json_response({"remote": request.remote, "scheme": request.scheme})

    app = web.Application(middlewares=[web.forwarded_middleware(["127.0.0.1"])])
    app.router.add_get("/", who)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        resp = await client.get(
            str(url),
            headers={"Forwarded": 'for=203.0.113.9;proto=https;note="a, b", for=127.0.0.1'},
        )
    assert resp.json() == {"remote": "203.0.113.9", "scheme": "https"}


def test_parse_forwarded_agrees_with_aiohttp_on_random_input() -> None:
    test_utils = pytest.importorskip("aiohttp.test_utils")
    from multidict import CIMultiDict

    alphabet = 'for=by;,"\\ \t:1a.-[]x\xe9'
    rnd = random.Random(7239)
    for _ in range(3000):
        values = [
            "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24)))
            for _ in range(rnd.randint(1, 2))
        ]
        request = test_utils.make_mocked_request(
            "GET", "/", headers=CIMultiDict(("Forwarded", v) for v in values)
        )
        assert parse_forwarded(values) == [dict(e) for e in request.forwarded], values
