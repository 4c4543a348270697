"""An aiohttp application with aiohttp_jinja2, aiohttp_session and aiohttp_cors, ported.

The port changed the import lines between the two markers below and
nothing else: tests/companions/test_examples.py puts aiohttp's back, runs
this very file on aiohttp too and checks that both answer the same. What
the app does:

- ``/`` renders a template with the visitor's session (visits, user name)
  and links made by the ``url`` and ``static`` template globals;
- ``POST /login`` starts a new session for a user and redirects home;
- ``/api/items/{id}`` is a JSON API for a front end served from another
  origin, which may call it with cookies (CORS with credentials for that
  origin, and without for anyone else).

    python examples/aiohttp_port.py --backend trio
    curl -i -X OPTIONS -H 'Origin: http://localhost:3000' \\
         -H 'Access-Control-Request-Method: PUT' http://127.0.0.1:8080/api/items/1
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import jinja2

# -- the imports a port changes --
# (on aiohttp: import aiohttp_cors, import aiohttp_jinja2, from aiohttp import web,
# from aiohttp_session import ..., from aiohttp_session.cookie_storage import ...)
import anyiohttp.cors as aiohttp_cors
import anyiohttp.templating as aiohttp_jinja2
from anyiohttp import web
from anyiohttp.sessions import get_session, new_session
from anyiohttp.sessions import setup as setup_session
from anyiohttp.sessions.cookie_storage import EncryptedCookieStorage

# -- end of the imports a port changes --

FRONTEND = "http://localhost:3000"

TEMPLATES = {
    "base.html": (
        "<!doctype html><title>{% block title %}{% endblock %}</title>"
        '<link rel="stylesheet" href="{{ static(\'app.css\') }}">'
        "<body>{% block body %}{% endblock %}</body>"
    ),
    "index.html": (
        '{% extends "base.html" %}{% block title %}Shop{% endblock %}{% block body %}'
        "<p>Hello, {{ user or 'stranger' }}! Visit {{ visits }} ({{ request.path }}).</p>"
        "<ul>{% for item in items %}"
        "<li><a href=\"{{ url('item', id=item.id) }}\">{{ item.name }}</a></li>"
        "{% endfor %}</ul>{% endblock %}"
    ),
}

ITEMS = {1: "Teapot <large>", 2: "Cups & saucers"}

items_key = web.AppKey("items", dict)


async def user_processor(request: web.Request) -> dict[str, Any]:
    """Every template sees the logged-in user."""
    session = await get_session(request)
    return {"user": session.get("user")}


@aiohttp_jinja2.template("index.html")
async def index(request: web.Request) -> dict[str, Any]:
    """The home page: counts the visits in the session."""
    session = await get_session(request)
    session["visits"] = session.get("visits", 0) + 1
    items = [{"id": i, "name": name} for i, name in sorted(request.app[items_key].items())]
    return {"visits": session["visits"], "items": items}


async def login(request: web.Request) -> web.Response:
    """Start a fresh session for the user (no session fixation), then go home."""
    form = await request.post()
    session = await new_session(request)
    session["user"] = str(form["user"])
    raise web.HTTPFound(request.app.router["index"].url_for())


async def get_item(request: web.Request) -> web.Response:
    """One item, as JSON."""
    item_id = int(request.match_info["id"])
    try:
        name = request.app[items_key][item_id]
    except KeyError:
        raise web.HTTPNotFound(text="no such item") from None
    return web.json_response({"id": item_id, "name": name}, headers={"X-Stock": "3"})


async def put_item(request: web.Request) -> web.Response:
    """Rename an item: only a logged-in user with the X-Token header."""
    session = await get_session(request)
    if "user" not in session or request.headers.get("X-Token") != "secret":
        raise web.HTTPForbidden(text="log in first")
    data = await request.json()
    request.app[items_key][int(request.match_info["id"])] = data["name"]
    return web.json_response({"renamed": data["name"], "by": session["user"]})


def make_app(secret_key: bytes | None = None) -> web.Application:
    """The application (``secret_key``: 32 bytes; a random one when not given)."""
    app = web.Application()
    app[items_key] = dict(ITEMS)
    setup_session(app, EncryptedCookieStorage(secret_key or os.urandom(32), samesite="Lax"))
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.DictLoader(TEMPLATES),
        context_processors=[aiohttp_jinja2.request_processor, user_processor],
    )
    app[aiohttp_jinja2.static_root_key] = "/static"
    app.router.add_get("/", index, name="index")
    app.router.add_post("/login", login)
    cors = aiohttp_cors.setup(
        app,
        defaults={
            # The front end may send cookies; anyone else may read the items.
            FRONTEND: aiohttp_cors.ResourceOptions(
                allow_credentials=True,
                expose_headers=("X-Stock",),
                allow_headers=("X-Token", "Content-Type"),
                max_age=3600,
            ),
            "*": aiohttp_cors.ResourceOptions(expose_headers=("X-Stock",)),
        },
    )
    item = app.router.add_resource("/api/items/{id}", name="item")
    cors.add(item.add_route("GET", get_item))
    cors.add(item.add_route("PUT", put_item))
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="an aiohttp app ported by its imports")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
