"""Choosing a handler by more than method and path: a second routing layer.

The router matches a method and a path, nothing else. To pick a handler
by another part of the request (here the ``Accept`` header; a header
carrying an API version works the same way) route the path to one
function that dispatches again, by hand. aiohttp's server guide shows
this as "custom conditions for routes lookup".

The chooser owns no task: it calls the chosen handler inline, in the
request's task, so the handler is cancelled and shut down like any
other.

    python examples/accept_routing.py --backend trio
    # curl -H 'Accept: application/xml' http://127.0.0.1:8080/user/ann
"""

from __future__ import annotations

import argparse
from xml.sax.saxutils import escape

from anyiohttp import hdrs, web
from anyiohttp.typedefs import Handler


def accepted(header: str) -> list[str]:
    """The media types of an Accept header, most preferred first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        media_type, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_type and quality > 0:
            ranked.append((-quality, index, media_type.lower()))
    return [media_type for _, _, media_type in sorted(ranked)]


class AcceptChooser:
    """One route's handlers, one per media type; the first registered is the default."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, media_type: str, handler: Handler) -> None:
        """Answer requests that accept ``media_type`` with ``handler``."""
        self._handlers[media_type] = handler

    def choose(self, accept: str) -> Handler | None:
        """The handler for an Accept header (``*/*`` and ``type/*`` allowed)."""
        if not accept:
            return next(iter(self._handlers.values()), None)
        for wanted in accepted(accept):
            for media_type, handler in self._handlers.items():
                major = media_type.split("/")[0]
                if wanted in (media_type, "*/*", f"{major}/*"):
                    return handler
        return None

    async def do_route(self, request: web.Request) -> web.StreamResponse:
        """The handler the router calls: dispatch again, on Accept."""
        handler = self.choose(request.headers.get(hdrs.ACCEPT, ""))
        if handler is None:
            offered = ", ".join(self._handlers)
            raise web.HTTPNotAcceptable(text=f"this resource is available as: {offered}")
        response = await handler(request)
        response.headers[hdrs.VARY] = hdrs.ACCEPT  # caches must key on Accept too
        return response


async def user_json(request: web.Request) -> web.Response:
    """The user, as JSON."""
    return web.json_response({"name": request.match_info["name"]})


async def user_xml(request: web.Request) -> web.Response:
    """The user, as XML."""
    name = escape(request.match_info["name"])
    return web.Response(text=f"<user><name>{name}</name></user>", content_type="application/xml")


def make_app() -> web.Application:
    """The application: one path, two representations."""
    chooser = AcceptChooser()
    chooser.register("application/json", user_json)
    chooser.register("application/xml", user_xml)
    app = web.Application()
    app.router.add_get("/user/{name}", chooser.do_route)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="routing on the Accept header")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
