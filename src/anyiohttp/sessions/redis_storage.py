"""Sessions in Redis: aiohttp_session.redis_storage's ``RedisStorage``.

The cookie holds a random key; the session's JSON lives in Redis under
``<cookie_name>_<key>`` (``AIOHTTP_SESSION_<key>``), with the session's
``max_age`` as its expiry: aiohttp_session's layout, so a session written by
either library is read by the other.

The client is any object with the async ``get(name)``, ``set(name, value,
ex=...)`` and ``delete(name)`` of ``redis.asyncio.Redis``. That one runs on
asyncio only; :class:`~anyiohttp.sessions.redis_client.RedisClient`, which
ships here, runs on asyncio and trio. A ``redis.asyncio`` client used on
trio is refused with a RuntimeError saying so.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, Unpack

from .. import web
from .._backend import on_asyncio
from . import AbstractStorage, Session, StorageOptions

__all__ = ("RedisStorage", "SessionStore")


class SessionStore(Protocol):
    """What RedisStorage needs of a client: redis.asyncio.Redis's get, set and delete.

    Written as methods returning awaitables, which ``async def`` methods
    (RedisClient's) and redis-py's annotations both are.
    """

    def get(self, name: str, /) -> Awaitable[Any]:
        """The value stored under ``name`` (bytes or str), or None."""

    def set(self, name: str, value: str, /, *, ex: int | None = None) -> Awaitable[Any]:
        """Store ``value`` under ``name``, forgotten after ``ex`` seconds if given."""

    def delete(self, name: str, /) -> Awaitable[Any]:
        """Forget ``name``."""


def _asyncio_only(client: object) -> bool:
    # redis-py's asyncio client (and anything else built on asyncio streams)
    # fails deep inside asyncio on trio: tell the user instead.
    return type(client).__module__.split(".")[:2] == ["redis", "asyncio"]


class RedisStorage(AbstractStorage):
    """Sessions in Redis; the cookie holds only a random key.

    ``redis_pool`` is the client (the name is aiohttp_session's):
    ``RedisClient`` on either backend, ``redis.asyncio.Redis`` on asyncio,
    or any :class:`SessionStore`. ``key_factory`` makes the keys of new
    sessions (``uuid4().hex``, as aiohttp_session); the other keyword
    arguments are :class:`StorageOptions` (``cookie_name``, ``max_age``...).
    A key the store does not know (expired, or made up by the client) starts
    a new session under a new key, never under the one the client sent. An
    emptied session (``invalidate()``) is deleted from Redis with its cookie.
    """

    def __init__(
        self,
        redis_pool: SessionStore,
        *,
        key_factory: Callable[[], str] = lambda: uuid.uuid4().hex,
        **options: Unpack[StorageOptions],
    ) -> None:
        super().__init__(**options)
        if not all(callable(getattr(redis_pool, name, None)) for name in ("get", "set", "delete")):
            raise TypeError(
                f"Expected a Redis client with async get/set/delete "
                f"(anyiohttp.sessions.redis_client.RedisClient, redis.asyncio.Redis), "
                f"got {type(redis_pool)!r}"
            )
        self._redis = redis_pool
        self._key_factory = key_factory
        self._asyncio_only = _asyncio_only(redis_pool)

    def _client(self) -> SessionStore:
        if self._asyncio_only and not on_asyncio():
            raise RuntimeError(
                "redis.asyncio runs on asyncio only: on trio, give RedisStorage an "
                "anyiohttp.sessions.redis_client.RedisClient (the same get/set/delete)"
            )
        return self._redis

    def _redis_key(self, key: str) -> str:
        return f"{self.cookie_name}_{key}"

    async def load_session(self, request: web.Request) -> Session:
        """The session the cookie's key names in Redis, or a new one."""
        key = self.load_cookie(request)
        if key is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        stored = await self._client().get(self._redis_key(key))
        if stored is None:  # expired, deleted, or a key we never gave out
            return Session(None, data=None, new=True, max_age=self.max_age)
        text = stored.decode("utf-8") if isinstance(stored, bytes) else stored
        try:
            data = self._decoder(text)
        except ValueError:  # not JSON: as aiohttp_session, the key with no data
            data = None
        return Session(key, data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        """Store the session under its key (a new key for a new session) and set the cookie."""
        client = self._client()
        key = session.identity
        if session.empty:
            if key is not None:
                await client.delete(self._redis_key(str(key)))
            self.save_cookie(response, "", max_age=session.max_age)
            return
        if key is None:
            key = self._key_factory()
        key = str(key)
        data = self._encoder(self._get_session_data(session))
        await client.set(self._redis_key(key), data, ex=session.max_age)
        self.save_cookie(response, key, max_age=session.max_age)
