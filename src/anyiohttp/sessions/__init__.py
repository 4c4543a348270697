"""User sessions for anyiohttp.web, with aiohttp_session's API.

A port changes the imports only::

    from anyiohttp.sessions import get_session, setup
    from anyiohttp.sessions.cookie_storage import EncryptedCookieStorage

    setup(app, EncryptedCookieStorage(secret_key))

    async def handler(request: web.Request) -> web.Response:
        session = await get_session(request)
        session["visits"] = session.get("visits", 0) + 1
        ...

The middleware loads nothing until a handler asks for the session, and saves
it into the response (a cookie, and whatever the storage keeps) only when it
changed. ``EncryptedCookieStorage`` makes the same Fernet cookies as
aiohttp_session's, so a session survives the move between the two, and so
does ``redis_storage.RedisStorage`` (aiohttp_session's Redis layout, with
``redis_client.RedisClient`` on either backend). Storages of your own (a
database) subclass :class:`AbstractStorage`; see docs/sessions.rst. Needs
the ``sessions`` extra for the encrypted storage.
"""

from __future__ import annotations

import abc
import json
import time
from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, Final, TypedDict

from .. import web
from ..typedefs import Handler, Middleware

if TYPE_CHECKING:
    from .cookie_storage import EncryptedCookieStorage

__all__ = (
    "SESSION_KEY",
    "STORAGE_KEY",
    "AbstractStorage",
    "EncryptedCookieStorage",
    "Session",
    "SessionData",
    "SimpleCookieStorage",
    "StorageOptions",
    "get_session",
    "new_session",
    "session_middleware",
    "setup",
)

#: The request key of the loaded session (aiohttp_session's string).
SESSION_KEY: Final = "aiohttp_session"
#: The request key of the storage the middleware serves (aiohttp_session's string).
STORAGE_KEY: Final = "aiohttp_session_storage"


class _CookieAttributes(TypedDict, total=False):
    domain: str | None
    max_age: int | None
    path: str
    secure: bool | None
    httponly: bool
    samesite: str | None


class _CookieParams(_CookieAttributes, total=False):
    expires: str


class StorageOptions(_CookieAttributes, total=False):
    """The keyword arguments every storage takes: the cookie's attributes, the codec.

    ``cookie_name``, ``domain``, ``max_age``, ``path``, ``secure``,
    ``httponly``, ``samesite``, ``encoder`` and ``decoder``, as
    :class:`AbstractStorage` takes them.
    """

    cookie_name: str
    encoder: Callable[[object], str]
    decoder: Callable[[str], Any]


class SessionData(TypedDict, total=False):
    """What a storage keeps of a session: its creation time and its contents."""

    created: int
    session: dict[str, Any]


class Session(MutableMapping[str, Any]):
    """A user's session: a dict of JSON-serialisable values, plus its bookkeeping.

    Setting or deleting a key marks it changed (and renews ``created``);
    a change made inside a mutable value is not seen: call ``changed()``.
    """

    def __init__(
        self,
        identity: Any | None,
        *,
        data: SessionData | None,
        new: bool,
        max_age: int | None = None,
    ) -> None:
        self._changed = False
        self._mapping: dict[str, Any] = {}
        # An empty dict from the storage means "nothing there": a new session.
        self._identity = identity if data != {} else None
        self._new = new if data != {} else True
        self._max_age = max_age
        created = data.get("created") if data else None
        session_data = data.get("session") if data else None
        now = int(time.time())
        age = now - created if created else now
        if max_age is not None and age > max_age:
            session_data = None  # expired: start over empty
        self._created = now if self._new or created is None else created
        if session_data is not None:
            self._mapping.update(session_data)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} [new:{self._new}, changed:{self._changed}, "
            f"created:{self._created}] {self._mapping!r}>"
        )

    @property
    def new(self) -> bool:
        """True when the request brought no (valid) session."""
        return self._new

    @property
    def identity(self) -> Any | None:
        """The storage's key for the session (None for cookie storages and new sessions)."""
        return self._identity

    @property
    def created(self) -> int:
        """When the session was created or last changed, in seconds since the epoch."""
        return self._created

    @property
    def empty(self) -> bool:
        """True when the session holds nothing."""
        return not self._mapping

    @property
    def max_age(self) -> int | None:
        """The session's lifetime in seconds (None: until the browser closes)."""
        return self._max_age

    @max_age.setter
    def max_age(self, value: int | None) -> None:
        self._max_age = value

    def changed(self) -> None:
        """Mark the session changed, so that it is saved with the response."""
        self._changed = True

    def invalidate(self) -> None:
        """Empty the session; the response then tells the client to drop it."""
        self._changed = True
        self._mapping = {}

    def set_new_identity(self, identity: Any | None) -> None:
        """Give a new session its storage key; RuntimeError for an existing one."""
        if not self._new:
            raise RuntimeError("Can't change identity for a session which is not new")
        self._identity = identity

    def __len__(self) -> int:
        return len(self._mapping)

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping)

    def __contains__(self, key: object) -> bool:
        return key in self._mapping

    def __getitem__(self, key: str) -> Any:
        return self._mapping[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._mapping[key] = value
        self._changed = True
        self._created = int(time.time())

    def __delitem__(self, key: str) -> None:
        del self._mapping[key]
        self._changed = True
        self._created = int(time.time())


def _storage(request: web.Request) -> AbstractStorage:
    storage = request.get(STORAGE_KEY)
    if storage is None:
        raise RuntimeError(
            "Install the session middleware in your anyiohttp.web.Application: "
            "anyiohttp.sessions.setup(app, storage)"
        )
    return storage  # type: ignore[no-any-return]  # the middleware put it there


def _checked(storage: AbstractStorage, session: object) -> Session:
    if not isinstance(session, Session):
        raise RuntimeError(
            f"Installed {storage!r} storage should return session instance "
            f"on .load_session() call, got {session!r}."
        )
    return session


async def get_session(request: web.Request) -> Session:
    """The request's session, loaded from the storage on the first call."""
    session = request.get(SESSION_KEY)
    if session is None:
        storage = _storage(request)
        session = _checked(storage, await storage.load_session(request))
        request[SESSION_KEY] = session
    return session


async def new_session(request: web.Request) -> Session:
    """Replace the request's session with a new, empty one (e.g. at login)."""
    storage = _storage(request)
    session = _checked(storage, await storage.new_session())
    request[SESSION_KEY] = session
    return session


def session_middleware(storage: AbstractStorage) -> Middleware:
    """The middleware that serves ``storage`` and saves changed sessions.

    A session changed by a handler that raised an HTTPException (a redirect
    after login) is saved into that exception's response too. Streamed
    responses and WebSockets are passed through unsaved, as aiohttp_session.
    """
    if not isinstance(storage, AbstractStorage):
        raise RuntimeError(f"Expected AbstractStorage got {storage}")

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[STORAGE_KEY] = storage
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            await _save(request, exc, storage)
            raise
        if not isinstance(response, web.StreamResponse):
            raise RuntimeError(f"Expect response, not {type(response)!r}")
        if isinstance(response, web.Response):
            await _save(request, response, storage)
        return response

    return middleware


async def _save(request: web.Request, response: web.Response, storage: AbstractStorage) -> None:
    if response.prepared:
        raise RuntimeError("Cannot save session data into prepared response")
    session = request.get(SESSION_KEY)
    if session is not None and session._changed:
        await storage.save_session(request, response, session)


def setup(app: web.Application, storage: AbstractStorage) -> None:
    """Install the session middleware serving ``storage`` on ``app``."""
    app.middlewares.append(session_middleware(storage))


class AbstractStorage(abc.ABC):
    """Where sessions live. Subclasses write ``load_session`` and ``save_session``.

    The cookie's attributes are the keyword arguments; ``encoder``/``decoder``
    turn :class:`SessionData` into text and back (JSON by default).
    """

    def __init__(
        self,
        *,
        cookie_name: str = "AIOHTTP_SESSION",
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = None,
        encoder: Callable[[object], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
    ) -> None:
        self._cookie_name = cookie_name
        self._cookie_params = _CookieParams(
            domain=domain,
            max_age=max_age,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
        self._max_age = max_age
        self._encoder = encoder
        self._decoder = decoder

    @property
    def cookie_name(self) -> str:
        """The session cookie's name."""
        return self._cookie_name

    @property
    def max_age(self) -> int | None:
        """The lifetime given to new sessions, in seconds."""
        return self._max_age

    @property
    def cookie_params(self) -> _CookieParams:
        """The attributes the session cookie is set with."""
        return self._cookie_params

    def _get_session_data(self, session: Session) -> SessionData:
        if session.empty:
            return {}
        return {"created": session.created, "session": session._mapping}

    async def new_session(self) -> Session:
        """A new, empty session."""
        return Session(None, data=None, new=True, max_age=self.max_age)

    @abc.abstractmethod
    async def load_session(self, request: web.Request) -> Session:
        """The request's session: the stored one its cookie names, or a new one."""

    @abc.abstractmethod
    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        """Store ``session`` and set (or delete, if it is empty) the cookie on ``response``."""

    def load_cookie(self, request: web.Request) -> str | None:
        """The session cookie's value, if the request has one."""
        return request.cookies.get(self._cookie_name)

    def save_cookie(
        self, response: web.StreamResponse, cookie_data: str, *, max_age: int | None = None
    ) -> None:
        """Set the session cookie to ``cookie_data``, or delete it when that is empty."""
        params = self._cookie_params.copy()
        if max_age is not None:
            params["max_age"] = max_age
            expires = time.gmtime(time.time() + max_age)
            params["expires"] = time.strftime("%a, %d-%b-%Y %T GMT", expires)
        if not cookie_data:
            response.del_cookie(
                self._cookie_name, domain=params.get("domain"), path=params.get("path", "/")
            )
        else:
            response.set_cookie(self._cookie_name, cookie_data, **params)


class SimpleCookieStorage(AbstractStorage):
    """The session as plain JSON in the cookie: readable and forgeable, for tests only."""

    async def load_session(self, request: web.Request) -> Session:
        """The session the cookie holds, or a new one."""
        cookie = self.load_cookie(request)
        if cookie is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        data = self._decoder(cookie)
        return Session(None, data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        """Write the session into the cookie."""
        cookie_data = self._encoder(self._get_session_data(session))
        self.save_cookie(response, cookie_data, max_age=session.max_age)


def __getattr__(name: str) -> Any:
    # anyiohttp.sessions.EncryptedCookieStorage without importing cryptography
    # for those who do not use it.
    if name == "EncryptedCookieStorage":
        from .cookie_storage import EncryptedCookieStorage

        return EncryptedCookieStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
