"""The test tools in any anyio program: no event loop to pass around.

aiohttp's FAQ asks how to use its test tools with code that finds its
event loop implicitly, and answers: pass the loop explicitly everywhere.
Here nothing takes a loop. ``TestServer``, ``TestClient`` and the code
under test run in whatever event loop runs them, asyncio or trio, and
each tool owns its tasks inside its ``async with`` block: when the block
ends, the server has shut down gracefully and the client's pool is
closed, even if a check failed.

The pytest fixtures (``anyiohttp_client`` and friends, see the tutorial)
do the same per test, on both backends. This program checks an app and a
client function without pytest::

    python examples/testing_tools.py --backend trio
"""

from __future__ import annotations

import argparse

import anyio

import anyiohttp
from anyiohttp import web
from anyiohttp.testing import TestClient, TestServer, make_mocked_request


async def greet(request: web.Request) -> web.Response:
    """The handler under test."""
    return web.json_response({"hello": request.match_info.get("name", "world")})


def make_app() -> web.Application:
    """The application under test."""
    app = web.Application()
    app.router.add_get("/", greet)
    app.router.add_get("/{name}", greet)
    return app


async def fetch_greeting(session: anyiohttp.ClientSession, url: str) -> str:
    """Client code under test: it uses the session it is given."""
    async with session.get(url) as resp:
        resp.raise_for_status()
        return str((await resp.json())["hello"])


async def main() -> None:
    """Three ways to test, all in one event loop of either kind."""
    # 1. The handler alone, no socket.
    resp = await greet(make_mocked_request("GET", "/ann", match_info={"name": "ann"}))
    print("mocked request:", resp.status, resp.text)

    # 2. The whole app, over a real socket on 127.0.0.1.
    async with TestClient(TestServer(make_app())) as client:
        got = await client.get("/bob")
        print("test client:", got.status, await got.json())

    # 3. Client code against a test server.
    async with TestServer(make_app()) as server, anyiohttp.ClientSession() as session:
        print("client code:", await fetch_greeting(session, str(server.make_url("/eve"))))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the test tools without pytest")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    anyio.run(main, backend=args.backend)
