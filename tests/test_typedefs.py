"""anyiohttp.typedefs: aiohttp's type aliases, so ported annotations keep working."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import httpx
import pytest

from anyiohttp import typedefs, web
from anyiohttp.typedefs import Handler, LooseHeaders, Middleware

from .conftest import run_app


def test_every_alias_of_aiohttp_typedefs_exists() -> None:
    aiohttp_typedefs = pytest.importorskip("aiohttp.typedefs")
    theirs = {name for name in vars(aiohttp_typedefs) if not name.startswith("_")}
    # What aiohttp.typedefs imports for itself is not part of what it offers.
    theirs -= {"json", "os", "TYPE_CHECKING", "Any", "Protocol", "Union", "URL", "istr"}
    theirs -= {"Awaitable", "Callable", "Iterable", "Mapping"}
    theirs -= {"CIMultiDict", "CIMultiDictProxy", "MultiDict", "MultiDictProxy"}
    assert theirs <= set(typedefs.__all__)
    assert theirs <= set(dir(typedefs))
    assert typedefs.DEFAULT_JSON_ENCODER is json.dumps
    assert typedefs.DEFAULT_JSON_DECODER is json.loads


def test_code_annotated_with_the_aliases_type_checks(tmp_path: Path) -> None:
    mypy_api = pytest.importorskip("mypy.api")
    source = tmp_path / "ported.py"
    source.write_text(
        textwrap.dedent(
            """
            from anyiohttp import web
            from anyiohttp.typedefs import (
                Handler, JSONEncoder, LooseHeaders, Middleware, PathLike, StrOrURL,
            )

            def with_headers(headers: LooseHeaders) -> web.Response:
                return web.Response(headers=headers)

            @web.middleware
            async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
                return await handler(request)

            middlewares: list[Middleware] = [mw]
            encoder: JSONEncoder = str
            where: StrOrURL = "http://localhost/"
            static_root: PathLike = "/srv"
            app = web.Application(middlewares=middlewares)
            """
        )
    )
    out, err, status = mypy_api.run(
        [str(source), "--strict", "--no-incremental", "--follow-imports=silent"]
    )
    assert status == 0, out + err


@pytest.mark.anyio
async def test_a_middleware_annotated_with_the_aliases_serves() -> None:
    headers: LooseHeaders = {"X-Typed": "yes"}

    @web.middleware
    async def typed(request: web.Request, handler: Handler) -> web.StreamResponse:
        resp = await handler(request)
        resp.headers.update(headers)
        return resp

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    middlewares: list[Middleware] = [typed]
    app = web.Application(middlewares=middlewares)
    app.router.add_get("/", hello)
    async with run_app(app) as url, httpx.AsyncClient() as client:
        resp = await client.get(str(url))
    assert resp.text == "hello" and resp.headers["X-Typed"] == "yes"
