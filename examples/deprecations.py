"""Finding what an application uses that is deprecated.

Everything anyiohttp deprecates warns with ``DeprecationWarning`` (Python
hides those outside ``__main__`` by default) for at least one release
before it goes; docs/faq.rst has the policy. This program shows how to
list them: it builds and runs an application written in an older style
under ``warnings.catch_warnings``, then prints each warning and where it
came from. In a test suite, ``filterwarnings = ["error::DeprecationWarning"]``
in pytest's configuration turns each into a failing test instead, and a
type checker rejects both of the old forms used here (hence the ``Any``).

    python examples/deprecations.py --backend trio
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

import anyio

from anyiohttp import web
from anyiohttp.testing import TestClient, TestServer


async def old_style_middleware(app: web.Application, handler: Any) -> Any:
    """A middleware factory (aiohttp 1.x style): deprecated, still served."""

    async def middleware(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        response.headers["X-Old-Style"] = "yes"
        return response

    return middleware


def sync_handler(request: web.Request) -> web.Response:
    """A plain function as a handler: deprecated, still served."""
    return web.Response(text="still works")


async def main() -> None:
    """Build and run the old-style app, then list what it triggered."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        legacy_middlewares: list[Any] = [old_style_middleware]
        legacy_handler: Any = sync_handler
        app = web.Application(middlewares=legacy_middlewares)
        app.router.add_get("/", legacy_handler)
        async with TestClient(TestServer(app)) as client:
            resp = await client.get("/")
            print(resp.status, await resp.text(), resp.headers["X-Old-Style"])
    seen = set()
    for warning in caught:
        message = str(warning.message)
        if issubclass(warning.category, DeprecationWarning) and message not in seen:
            seen.add(message)
            print(f"{warning.category.__name__} ({Path(warning.filename).name}): {message}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="list the deprecations an app triggers")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    anyio.run(main, backend=args.backend)
