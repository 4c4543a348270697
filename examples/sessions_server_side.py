"""Server-side sessions: a storage of your own, the shape of a Redis one.

The cookie holds a random key; the session's data lives in a key-value
store (``get``, ``set`` with an expiry, ``delete``). ``MemoryStore`` keeps
it in the process; with ``--redis URL`` the store is Redis, through
anyiohttp's ``RedisClient`` (on asyncio and trio), which has those three
methods. For Redis itself, anyiohttp.sessions.redis_storage.RedisStorage is
this storage ready-made, with aiohttp_session's key layout
(docs/sessions.rst). What the app does:

- ``POST /login`` starts a fresh session (a new key: no session fixation);
- ``/`` counts the user's visits;
- ``POST /logout`` forgets the session in the store and in the browser.

    python examples/sessions_server_side.py --backend trio
    python examples/sessions_server_side.py --redis redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import secrets
import time
from typing import Protocol

from anyiohttp import web
from anyiohttp.sessions import AbstractStorage, Session, get_session, new_session, setup
from anyiohttp.sessions.redis_client import RedisClient


class KeyValueStore(Protocol):
    """What the storage needs of a store: Redis's get/set/delete."""

    async def get(self, key: str, /) -> str | bytes | None:
        """The value, or None if there is none (or it expired)."""

    async def set(self, key: str, value: str, /, *, ex: int | None = None) -> object:
        """Store ``value``, forgotten after ``ex`` seconds if given."""

    async def delete(self, key: str, /) -> object:
        """Forget ``key``."""


class MemoryStore:
    """A KeyValueStore in a dict, for one process."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[str, float | None]] = {}

    async def get(self, key: str) -> str | None:
        """The value, or None if there is none or it expired."""
        value, expires = self.data.get(key, (None, None))
        if expires is not None and expires < time.monotonic():
            del self.data[key]
            return None
        return value

    async def set(self, key: str, value: str, *, ex: int | None = None) -> None:
        """Store ``value`` (for ``ex`` seconds)."""
        self.data[key] = (value, None if ex is None else time.monotonic() + ex)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        self.data.pop(key, None)


class KeyValueStorage(AbstractStorage):
    """Sessions in a KeyValueStore; the cookie holds only a random key."""

    def __init__(
        self, store: KeyValueStore, *, key_prefix: str = "session:", max_age: int | None = None
    ) -> None:
        super().__init__(max_age=max_age, samesite="Lax")
        self.store = store
        self.key_prefix = key_prefix

    async def load_session(self, request: web.Request) -> Session:
        """The session the cookie's key names, or a new one."""
        key = self.load_cookie(request)
        raw = None if key is None else await self.store.get(self.key_prefix + key)
        if raw is None:  # no cookie, expired, or a key we never gave out
            return Session(None, data=None, new=True, max_age=self.max_age)
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw  # Redis gives bytes
        return Session(key, data=self._decoder(text), new=False, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        """Store the session under its key (a new one for a new session)."""
        key = session.identity
        if session.empty:
            if key is not None:
                await self.store.delete(self.key_prefix + key)
            self.save_cookie(response, "", max_age=session.max_age)
            return
        if key is None:
            key = secrets.token_urlsafe(32)
        data = self._encoder(self._get_session_data(session))
        await self.store.set(self.key_prefix + key, data, ex=session.max_age)
        self.save_cookie(response, key, max_age=session.max_age)


store_key = web.AppKey("store", KeyValueStore)


async def home(request: web.Request) -> web.Response:
    """Count the visits of a logged-in user."""
    session = await get_session(request)
    if "user" not in session:
        raise web.HTTPUnauthorized(text="log in first")
    session["visits"] = session.get("visits", 0) + 1
    return web.json_response({"user": session["user"], "visits": session["visits"]})


async def login(request: web.Request) -> web.Response:
    """A fresh session for the user."""
    form = await request.post()
    session = await new_session(request)
    session["user"] = str(form["user"])
    raise web.HTTPSeeOther("/")


async def logout(request: web.Request) -> web.Response:
    """Forget the session."""
    (await get_session(request)).invalidate()
    return web.Response(text="logged out")


def make_app(max_age: int | None = 3600, *, redis_url: str | None = None) -> web.Application:
    """The application, its sessions in a MemoryStore, or in Redis (``app[store_key]``)."""
    app = web.Application()
    if redis_url is None:
        store: KeyValueStore = MemoryStore()
    else:
        client = RedisClient.from_url(redis_url)  # connects on first use
        store = client

        async def close_redis(app: web.Application) -> None:
            await client.aclose()

        app.on_cleanup.append(close_redis)
    app[store_key] = store
    setup(app, KeyValueStorage(store, max_age=max_age))
    app.router.add_get("/", home)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="server-side sessions")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--redis", metavar="URL", help="keep sessions in Redis (redis://...)")
    args = parser.parse_args()
    app = make_app(redis_url=args.redis)
    web.run_app(app, host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
