"""Sub-applications: aiohttp's answer to Flask's blueprints and Django's apps.

Each part of a larger site is an application of its own, built by a
function (in a real project, one module or package per part): its routes,
its middlewares, its state and its signals. The main application mounts
them under a prefix with ``add_subapp``:

- a sub-application's middlewares wrap its own routes only (here the admin
  part checks a token, the public API does not);
- its routes' URLs, built with ``url_for``, include the prefix it was
  mounted on;
- its cleanup contexts and signals run inside the main application's life,
  so everything a part opens is closed when the whole app stops.

    python examples/blueprints.py --backend trio
    # curl http://127.0.0.1:8080/api/status
    # curl -H 'Authorization: Bearer s3cret' http://127.0.0.1:8080/admin/
"""

from __future__ import annotations

import argparse

from anyiohttp import web
from anyiohttp.typedefs import Handler

ADMIN_TOKEN = "s3cret"

# -- the API part ---------------------------------------------------------------------

api_routes = web.RouteTableDef()


@api_routes.get("/status", name="status")
async def status(request: web.Request) -> web.Response:
    """Public."""
    return web.json_response({"status": "ok"})


def make_api() -> web.Application:
    """The public API, meant for ``/api/``."""
    api = web.Application()
    api.add_routes(api_routes)
    return api


# -- the admin part -------------------------------------------------------------------

admin_routes = web.RouteTableDef()


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only the admin part's routes go through this."""
    if request.headers.get("Authorization") != f"Bearer {ADMIN_TOKEN}":
        raise web.HTTPUnauthorized(text="admin only")
    return await handler(request)


@admin_routes.get("/", name="dashboard")
async def dashboard(request: web.Request) -> web.Response:
    """Behind the token."""
    return web.Response(text="admin dashboard")


def make_admin() -> web.Application:
    """The admin part, meant for ``/admin/``."""
    admin = web.Application(middlewares=[require_token])
    admin.add_routes(admin_routes)
    return admin


# -- the site ---------------------------------------------------------------------------

api_key = web.AppKey("api", web.Application)
admin_key = web.AppKey("admin", web.Application)


async def index(request: web.Request) -> web.Response:
    """Link to the parts: their URLs carry the prefix they were mounted on."""
    api, admin = request.app[api_key], request.app[admin_key]
    return web.json_response(
        {
            "status": str(api.router["status"].url_for()),
            "dashboard": str(admin.router["dashboard"].url_for()),
        }
    )


def make_app() -> web.Application:
    """The main application, with both parts mounted."""
    app = web.Application()
    app.router.add_get("/", index)
    app[api_key] = make_api()
    app[admin_key] = make_admin()
    app.add_subapp("/api/", app[api_key])
    app.add_subapp("/admin/", app[admin_key])
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="sub-applications example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
