"""Health endpoints for an orchestrator: liveness and readiness.

- ``/healthz`` (liveness) answers as long as the event loop does: it
  checks nothing else, so a slow database never gets a healthy process
  restarted;
- ``/readyz`` (readiness) runs the application's checks (here a database
  ping and a flag file), all at once in a task group, each bounded by
  ``CHECK_TIMEOUT``: ``200`` when all pass, ``503`` naming the ones that
  failed. A pod that is not ready gets no traffic, and is not restarted.

The listening socket opens only after startup (cleanup contexts and
``on_startup``) is done, so a probe never reaches a half-started app. At
shutdown it closes first; requests in flight get ``shutdown_timeout``.
docs/deployment.rst has the Dockerfile and Kubernetes manifest that use it:

    python -m anyiohttp.web health:make_app --port 8080 --backend trio
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel

from anyiohttp import web

CHECK_TIMEOUT = 2.0  # seconds, per check

Check = Callable[[web.Application], Awaitable[None]]  # raises when unhealthy
checks_key = web.AppKey("checks", dict[str, Check])


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the event loop answers."""
    return web.Response(text="ok")


async def readyz(request: web.Request) -> web.Response:
    """Readiness: every check passes within CHECK_TIMEOUT."""
    failed: dict[str, str] = {}

    async def run(name: str, check: Check) -> None:
        try:
            with anyio.fail_after(CHECK_TIMEOUT):
                await check(request.app)
        except Exception as exc:  # a failed check is an answer, not an error
            failed[name] = repr(exc)

    async with anyio.create_task_group() as tg:
        for name, check in request.app[checks_key].items():
            tg.start_soon(run, name, check)
    if failed:
        return web.json_response({"ready": False, "failed": failed}, status=503)
    return web.json_response({"ready": True})


async def database_ping(app: web.Application) -> None:
    """Stands for ``SELECT 1`` on the app's database."""
    await anyio.lowlevel.checkpoint()


async def not_drained(app: web.Application) -> None:
    """An operator takes the instance out of rotation with a file ($DRAIN_FILE)."""
    if await anyio.Path(os.environ.get("DRAIN_FILE", "/tmp/drain")).exists():
        raise RuntimeError("draining")


def add_health_routes(app: web.Application, checks: dict[str, Check]) -> None:
    """Give ``app`` its probes."""
    app[checks_key] = checks
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


async def hello(request: web.Request) -> web.Response:
    """The application's real work."""
    return web.Response(text="Hello, World!")


def make_app() -> web.Application:
    """The application, with its probes."""
    app = web.Application()
    app.router.add_get("/", hello)
    add_health_routes(app, {"database": database_ping, "drain": not_drained})
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="health endpoints example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, backend=args.backend)
