"""Routes declared with decorators, and a route that matches a whole prefix.

Two of aiohttp's FAQ answers:

- Flask's ``@app.route`` is ``web.RouteTableDef``: the decorators fill a
  table that belongs to no application, so a module of handlers needs no
  ``app`` at import time (and no circular import); ``app.add_routes()``
  attaches it where the app is built;
- a route that catches everything under a prefix is a variable part with
  its own pattern, ``{tail:.+}``, on the method ``*`` (every method).

    python examples/route_table.py --backend trio
    # curl http://127.0.0.1:8080/users/ann
    # curl -X DELETE http://127.0.0.1:8080/files/a/b/c.txt
"""

from __future__ import annotations

import argparse

from anyiohttp import web

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    """A fixed path."""
    return web.Response(text="index")


@routes.get("/users/{name}", name="user")
async def user(request: web.Request) -> web.Response:
    """A variable part, and the URL of this route built back from its name."""
    name = request.match_info["name"]
    url = request.app.router["user"].url_for(name=name)
    return web.json_response({"name": name, "url": str(url)})


@routes.view("/notes/{id:\\d+}")
class Note(web.View):
    """A class-based view: one method per HTTP verb, on one path."""

    async def get(self) -> web.Response:
        return web.json_response({"id": int(self.request.match_info["id"])})

    async def delete(self) -> web.Response:
        return web.Response(status=204)


@routes.route("*", "/files/{tail:.+}")
async def files(request: web.Request) -> web.Response:
    """Every method, every path under /files/ (but not /files/ itself)."""
    return web.json_response({"method": request.method, "tail": request.match_info["tail"]})


def make_app() -> web.Application:
    """Attach the route table to an application."""
    app = web.Application()
    app.add_routes(routes)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="route table example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
