"""Where the database connection lives, and how a sub-application reaches it.

Two of aiohttp's FAQ answers, with an owner for the connection:

- the connection is opened by a cleanup context and stored under a typed
  ``AppKey``: it exists from before the first request until after the last
  one, and it is closed however the app stops (a failed startup included);
- a sub-application is a unit of its own and does not see its parent's
  keys through ``request.app``; the parent hands the connection over
  explicitly (``subapp[db_key] = db``), or a handler looks it up through
  ``request.config_dict``, which reads the app that owns the route, then
  its parents.

The "database" is SQLite from the standard library. Its calls block, so
they run in a worker thread (``anyio.to_thread.run_sync``), one at a time.

    python examples/database.py --backend trio --db /tmp/visits.sqlite
    # curl -X POST http://127.0.0.1:8080/visits/home
    # curl http://127.0.0.1:8080/stats/visits/home
"""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio

from anyiohttp import web


class Database:
    """One SQLite connection, used from worker threads one call at a time."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._lock = anyio.Lock()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (committed) and return its rows."""
        async with self._lock:
            return await anyio.to_thread.run_sync(self._execute, sql, params)

    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._connection:  # a transaction: committed, or rolled back on error
            return self._connection.execute(sql, params).fetchall()


@asynccontextmanager
async def open_database(path: str) -> AsyncIterator[Database]:
    """The connection, for the length of the block."""
    connect = partial(sqlite3.connect, path, check_same_thread=False)
    connection = await anyio.to_thread.run_sync(connect)
    try:
        db = Database(connection)
        await db.execute("CREATE TABLE IF NOT EXISTS visits (page TEXT PRIMARY KEY, n INTEGER)")
        yield db
    finally:
        with anyio.CancelScope(shield=True):  # closed even when cancelled
            await anyio.to_thread.run_sync(connection.close)


db_key = web.AppKey("db", Database)
db_path_key = web.AppKey("db_path", str)
stats_key = web.AppKey("stats", web.Application)


async def database(app: web.Application) -> AsyncIterator[None]:
    """The cleanup context: open before serving, close after."""
    async with open_database(app[db_path_key]) as db:
        app[db_key] = db
        app[stats_key][db_key] = db  # shared with the sub-application, explicitly
        yield


async def visit(request: web.Request) -> web.Response:
    """Count a visit of a page."""
    page = request.match_info["page"]
    db = request.app[db_key]
    await db.execute(
        "INSERT INTO visits VALUES (?, 1) ON CONFLICT(page) DO UPDATE SET n = n + 1", (page,)
    )
    (count,) = (await db.execute("SELECT n FROM visits WHERE page = ?", (page,)))[0]
    return web.json_response({"page": page, "visits": count})


# -- the sub-application --------------------------------------------------------------


async def page_stats(request: web.Request) -> web.Response:
    """The sub-application's own key, handed over by the parent."""
    rows = await request.app[db_key].execute(
        "SELECT n FROM visits WHERE page = ?", (request.match_info["page"],)
    )
    return web.json_response({"visits": rows[0][0] if rows else 0})


async def total(request: web.Request) -> web.Response:
    """The same connection found through ``config_dict`` (this app, then its parents)."""
    db: Database = request.config_dict[db_key]
    ((count,),) = await db.execute("SELECT COALESCE(SUM(n), 0) FROM visits")
    return web.json_response({"visits": count})


def make_stats() -> web.Application:
    """A part of the site that reads the parent's database."""
    stats = web.Application()
    stats.router.add_get("/visits/{page}", page_stats)
    stats.router.add_get("/total", total)
    return stats


def make_app(db_path: str = ":memory:") -> web.Application:
    """The application; ``db_path`` is SQLite's (``:memory:`` for a fresh one)."""
    app = web.Application()
    app[db_path_key] = db_path
    app[stats_key] = make_stats()
    app.cleanup_ctx.append(database)
    app.router.add_post("/visits/{page}", visit)
    app.add_subapp("/stats/", app[stats_key])
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="database example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--db", default=":memory:", help="SQLite database file")
    args = parser.parse_args()
    web.run_app(make_app(args.db), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
