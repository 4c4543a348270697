"""anyiohttp.templating: aiohttp_jinja2's API over real sockets, on both backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import jinja2
import pytest

import anyiohttp.templating as aiohttp_jinja2
from anyiohttp import web

pytestmark = pytest.mark.anyio

TEMPLATES = {
    "hello.html": "<h1>Hello, {{ name }}!</h1>",
    "utf.html": "caf\u00e9 {{ name }}",
    "links.html": "{{ url('item', id=7, query_={'q': 'x y'}) }} {{ static('css/app.css') }}",
    "ctx.html": "{{ request.path }} {{ user }} {{ name }}",
    "async.html": "{{ fetch() }}",
}


def make_app(**setup_kwargs: Any) -> web.Application:
    app = web.Application()
    setup_kwargs.setdefault("loader", jinja2.DictLoader(TEMPLATES))
    aiohttp_jinja2.setup(app, **setup_kwargs)
    return app


async def test_template_decorator_renders_html(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = make_app()

    @aiohttp_jinja2.template("hello.html")
    async def hello(request: web.Request) -> dict[str, str]:
        return {"name": request.query.get("name", "<world>")}

    @aiohttp_jinja2.template("utf.html", status=201, encoding="latin-1")
    async def latin(request: web.Request) -> dict[str, str]:
        return {"name": "x"}

    @aiohttp_jinja2.template("hello.html")
    async def passthrough(request: web.Request) -> web.Response:
        return web.Response(text="as is")

    app.router.add_get("/", hello)
    app.router.add_get("/latin", latin)
    app.router.add_get("/raw", passthrough)
    client = await anyiohttp_client(app)

    resp = await client.get("/")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert await resp.text() == "<h1>Hello, &lt;world&gt;!</h1>"  # autoescape by default

    resp = await client.get("/latin")
    assert resp.status == 201
    assert resp.headers["Content-Type"] == "text/html; charset=latin-1"
    assert await resp.read() == "caf\u00e9 x".encode("latin-1")

    resp = await client.get("/raw")
    assert await resp.text() == "as is"


async def test_template_on_class_based_view_and_method(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    class Page(web.View):
        @aiohttp_jinja2.template("hello.html")
        async def get(self) -> dict[str, str]:
            return {"name": "view"}

    class Handlers:
        @aiohttp_jinja2.template("hello.html", status=202)
        async def page(self, request: web.Request) -> dict[str, str]:
            return {"name": "method"}

    app = make_app()
    app.router.add_view("/view", Page)
    app.router.add_get("/method", Handlers().page)
    client = await anyiohttp_client(app)
    assert await (await client.get("/view")).text() == "<h1>Hello, view!</h1>"
    resp = await client.get("/method")
    assert resp.status == 202
    assert await resp.text() == "<h1>Hello, method!</h1>"


async def test_url_and_static_globals(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    app[aiohttp_jinja2.static_root_key] = "/static/"

    async def item(request: web.Request) -> web.Response:
        return web.Response(text=request.match_info["id"])

    @aiohttp_jinja2.template("links.html")
    async def links(request: web.Request) -> dict[str, str]:
        return {}

    app.router.add_get("/items/{id}", item, name="item")
    app.router.add_get("/links", links)
    client = await anyiohttp_client(app)
    text = await (await client.get("/links")).text()
    assert text == "/items/7?q=x+y /static/css/app.css"


async def test_static_global_needs_a_root(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = make_app(loader=jinja2.DictLoader({"s.html": "{{ static('a.css') }}"}))

    @aiohttp_jinja2.template("s.html")
    async def page(request: web.Request) -> dict[str, str]:
        return {}

    app.router.add_get("/", page)
    client = await anyiohttp_client(app)
    assert (await client.get("/")).status == 500


async def test_url_global_refuses_other_types() -> None:
    env = jinja2.Environment()
    env.globals.update(aiohttp_jinja2.GLOBAL_HELPERS)
    env.globals["app"] = web.Application()
    with pytest.raises(TypeError, match="argument value should be str or int"):
        env.from_string("{{ url('x', id=True) }}").render()


async def test_context_processors_and_request_processor(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    async def user_processor(request: web.Request) -> dict[str, Any]:
        return {"user": "ann", "name": "from processor"}

    app = make_app(context_processors=[aiohttp_jinja2.request_processor, user_processor])

    @aiohttp_jinja2.template("ctx.html")
    async def page(request: web.Request) -> dict[str, str]:
        return {"name": "from handler"}  # the handler's context wins

    app.router.add_get("/ctx", page)
    client = await anyiohttp_client(app)
    assert await (await client.get("/ctx")).text() == "/ctx ann from handler"


async def test_render_functions(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = make_app()

    async def sync_template(request: web.Request) -> web.Response:
        return aiohttp_jinja2.render_template("hello.html", request, {"name": "sync"}, status=203)

    async def async_template(request: web.Request) -> web.Response:
        return await aiohttp_jinja2.render_template_async("hello.html", request, None)

    async def string(request: web.Request) -> web.Response:
        a = aiohttp_jinja2.render_string("hello.html", request, {"name": "a"})
        b = await aiohttp_jinja2.render_string_async("hello.html", request, {"name": "b"})
        return web.Response(text=a + b)

    app.router.add_get("/sync", sync_template)
    app.router.add_get("/async", async_template)
    app.router.add_get("/string", string)
    client = await anyiohttp_client(app)
    resp = await client.get("/sync")
    assert resp.status == 203 and await resp.text() == "<h1>Hello, sync!</h1>"
    assert resp.content_type == "text/html"
    assert await (await client.get("/async")).text() == "<h1>Hello, !</h1>"
    assert await (await client.get("/string")).text() == "<h1>Hello, a!</h1><h1>Hello, b!</h1>"


async def test_errors_are_500_with_the_reason(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = make_app()

    @aiohttp_jinja2.template("missing.html")
    async def missing(request: web.Request) -> dict[str, str]:
        return {}

    @aiohttp_jinja2.template("hello.html")
    async def not_a_mapping(request: web.Request) -> Any:
        return ["x"]

    app.router.add_get("/missing", missing)
    app.router.add_get("/list", not_a_mapping)
    bare = web.Application()

    @aiohttp_jinja2.template("hello.html")
    async def no_setup(request: web.Request) -> dict[str, str]:
        return {}

    bare.router.add_get("/", no_setup)
    app.add_subapp("/bare", bare)  # the sub-app sees its parent's environment
    client = await anyiohttp_client(app)
    resp = await client.get("/missing")
    assert resp.status == 500 and resp.reason == "Template 'missing.html' not found"
    resp = await client.get("/list")
    assert resp.status == 500 and "context should be mapping" in await resp.text()
    assert (await client.get("/bare/")).status == 200

    lone = web.Application()
    lone.router.add_get("/", no_setup)
    other = await anyiohttp_client(lone)
    resp = await other.get("/")
    assert resp.status == 500 and "call anyiohttp.templating.setup() first" in await resp.text()
    with pytest.raises(RuntimeError, match="must be called first"):
        aiohttp_jinja2.get_env(lone)
    assert aiohttp_jinja2.get_env(app) is app[aiohttp_jinja2.APP_KEY]


async def test_async_environment_awaits_in_templates(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = make_app(enable_async=True)

    async def fetch() -> str:
        await anyio.sleep(0)
        return "fetched"

    aiohttp_jinja2.get_env(app).globals["fetch"] = fetch

    @aiohttp_jinja2.template("async.html")
    async def page(request: web.Request) -> dict[str, str]:
        return {}

    async def sync_call(request: web.Request) -> web.Response:
        return await aiohttp_jinja2.render_template_async("hello.html", request, {"name": "a"})

    app.router.add_get("/", page)
    app.router.add_get("/a", sync_call)
    client = await anyiohttp_client(app)
    assert await (await client.get("/")).text() == "fetched"
    assert await (await client.get("/a")).text() == "<h1>Hello, a!</h1>"


async def test_setup_checks_the_budget() -> None:
    with pytest.raises(ValueError, match="inline_render_budget"):
        aiohttp_jinja2.setup(web.Application(), inline_render_budget=-1)
    env = aiohttp_jinja2.setup(web.Application(), default_helpers=False, filters={"up": str.upper})
    assert "url" not in env.globals and env.filters["up"] is str.upper


# -- a huge template does not hold the event loop -------------------------------------

CHUNK = "x" * 65536
BIG = "{% for chunk in chunks() %}{{ chunk }}{% endfor %}"


class Gate:
    """Chunks for a huge template that stop once a cheap request was answered.

    The template is rendered while the test sends a cheap request; the chunks
    go on until that request's handler ran (``served``) or ``limit`` chunks
    were rendered. The last chunk says which: a render that held the event
    loop cannot see the cheap request answered before it ends.
    """

    def __init__(self, *, block: bool, limit: int) -> None:
        self.served = threading.Event()
        self.started = threading.Event()
        self.block = block  # wait a little per chunk (in a worker thread that is harmless)
        self.limit = limit

    def chunks(self) -> Iterator[str]:
        self.started.set()
        for _ in range(self.limit):
            yield CHUNK
            if self.served.wait(0.01) if self.block else self.served.is_set():
                yield "|served while rendering"
                return
        yield "|gave up"


def gated_app(gate: Gate, **setup_kwargs: Any) -> web.Application:
    app = make_app(loader=jinja2.DictLoader({"big.html": BIG}), **setup_kwargs)
    aiohttp_jinja2.get_env(app).globals["chunks"] = gate.chunks

    @aiohttp_jinja2.template("big.html")
    async def big(request: web.Request) -> dict[str, str]:
        return {}

    async def cheap(request: web.Request) -> web.Response:
        gate.served.set()
        return web.Response(text="cheap")

    app.router.add_get("/big", big)
    app.router.add_get("/cheap", cheap)
    return app


async def render_alongside_cheap(client: Any, gate: Gate, renders: int) -> list[str]:
    """Start ``renders`` huge renders, then a cheap request; the renders' endings."""
    endings: list[str] = []

    async def fetch_big() -> None:
        resp = await client.get("/big")
        assert resp.status == 200
        body = await resp.text()
        assert body.startswith(CHUNK)
        endings.append(body.rsplit("|", 1)[1])

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for _ in range(renders):
                tg.start_soon(fetch_big)
            while not gate.started.is_set():
                await anyio.sleep(0.01)
            resp = await client.get("/cheap")
            assert await resp.text() == "cheap"
    return endings


@pytest.mark.parametrize("budget", [aiohttp_jinja2.DEFAULT_INLINE_RENDER_BUDGET, 0])
async def test_sync_template_renders_in_a_thread_while_others_are_served(
    anyiohttp_client,  # type: ignore[no-untyped-def]
    budget: float,
) -> None:
    gate = Gate(block=True, limit=500)
    client = await anyiohttp_client(gated_app(gate, inline_render_budget=budget))
    endings = await render_alongside_cheap(client, gate, renders=4)
    assert endings == ["served while rendering"] * 4


async def test_inline_rendering_holds_the_loop(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    # The control: with inline_render_budget=None (aiohttp_jinja2's way) the
    # cheap request waits for the render, which the test above would catch.
    gate = Gate(block=True, limit=100)
    client = await anyiohttp_client(gated_app(gate, inline_render_budget=None))
    assert await render_alongside_cheap(client, gate, renders=1) == ["gave up"]


async def test_async_template_lets_others_run_between_chunks(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    gate = Gate(block=False, limit=500)
    client = await anyiohttp_client(gated_app(gate, enable_async=True))
    endings = await render_alongside_cheap(client, gate, renders=2)
    assert endings == ["served while rendering"] * 2


async def test_static_root_url_string_key_still_works(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = make_app(loader=jinja2.DictLoader({"s.html": "{{ static('a.css') }}"}))
    with pytest.warns(web.NotAppKeyWarning):
        app["static_root_url"] = "https://cdn.example"

    async def page(request: web.Request) -> web.Response:
        with pytest.warns(DeprecationWarning, match="static_root_key"):
            return await aiohttp_jinja2.render_template_async("s.html", request, {})

    app.router.add_get("/", page)
    client = await anyiohttp_client(app)
    assert await (await client.get("/")).text() == "https://cdn.example/a.css"
