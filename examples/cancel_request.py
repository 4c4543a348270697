"""Cancelling a running handler from another request.

Each handler runs in its own cancel scope, ``request.cancel_scope``. A
long job registers its scope under an id; ``/cancel/{id}`` cancels it from
another request's task. The cancelled handler unwinds like any cancelled
anyio code (its ``finally`` blocks run, its task groups are cancelled),
and the connection is closed without a response: there is no half-sent
answer to finish.

    python examples/cancel_request.py --backend trio
    # curl http://127.0.0.1:8080/jobs/7 &   then   curl -X POST http://127.0.0.1:8080/cancel/7
"""

from __future__ import annotations

import argparse

import anyio

from anyiohttp import web

running_key = web.AppKey("running", dict)
finished_key = web.AppKey("finished", list)


async def job(request: web.Request) -> web.Response:
    """A long job that can be cancelled by id."""
    job_id = request.match_info["id"]
    running: dict[str, anyio.CancelScope] = request.app[running_key]
    running[job_id] = request.cancel_scope
    try:
        await anyio.sleep(3600)  # stands for real work
        return web.Response(text="done")
    finally:
        del running[job_id]
        request.app[finished_key].append(job_id)  # runs on cancellation too


async def cancel(request: web.Request) -> web.Response:
    """Cancel a running job."""
    scope = request.app[running_key].get(request.match_info["id"])
    if scope is None:
        raise web.HTTPNotFound(text="no such job")
    scope.cancel()
    return web.Response(text="cancelled")


def make_app() -> web.Application:
    """The application."""
    app = web.Application()
    app[running_key] = {}
    app[finished_key] = []
    app.router.add_get("/jobs/{id}", job)
    app.router.add_post("/cancel/{id}", cancel)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="cancelling a handler")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
