"""anyiohttp.sessions: aiohttp_session's API over real sockets, on both backends."""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from typing import Any

import aiohttp.test_utils
import aiohttp.web
import aiohttp_session
import aiohttp_session.cookie_storage
import httpx
import pytest
from cryptography import fernet

from anyiohttp import DummyCookieJar, web
from anyiohttp.sessions import (
    AbstractStorage,
    Session,
    SimpleCookieStorage,
    get_session,
    new_session,
    session_middleware,
    setup,
)
from anyiohttp.sessions.cookie_storage import EncryptedCookieStorage

from ..conftest import run_app

pytestmark = pytest.mark.anyio

KEY = os.urandom(32)


def counter_app(storage: AbstractStorage) -> web.Application:
    """/count counts visits in the session; /login starts a new one and redirects."""
    app = web.Application()
    setup(app, storage)

    async def count(request: web.Request) -> web.Response:
        session = await get_session(request)
        session["visits"] = session.get("visits", 0) + 1
        return web.json_response({"visits": session["visits"], "new": session.new})

    async def peek(request: web.Request) -> web.Response:
        session = await get_session(request)
        return web.json_response({"data": dict(session), "new": session.new})

    async def login(request: web.Request) -> web.Response:
        session = await new_session(request)
        session["user"] = request.query["user"]
        raise web.HTTPFound("/peek")

    async def logout(request: web.Request) -> web.Response:
        (await get_session(request)).invalidate()
        return web.Response(text="bye")

    async def stream(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        session["streamed"] = True
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"streamed")
        return response

    app.router.add_get("/count", count)
    app.router.add_get("/peek", peek)
    app.router.add_get("/login", login)
    app.router.add_get("/logout", logout)
    app.router.add_get("/stream", stream)
    return app


@pytest.mark.parametrize(
    "storage",
    [
        SimpleCookieStorage(),
        EncryptedCookieStorage(KEY),
        EncryptedCookieStorage(base64.urlsafe_b64encode(KEY).decode()),
    ],
    ids=["simple", "encrypted", "encrypted-str"],
)
async def test_session_round_trip_with_our_client(anyiohttp_client, storage) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(counter_app(storage))
    for visits in (1, 2, 3):
        resp = await client.get("/count")
        assert await resp.json() == {"visits": visits, "new": visits == 1}
    cookie = resp.cookies["AIOHTTP_SESSION"]
    assert cookie["httponly"] is True and cookie["path"] == "/"

    resp = await client.get("/login?user=ann")  # the redirect's response carries the cookie
    assert await resp.json() == {"data": {"user": "ann"}, "new": False}
    assert resp.history[0].status == 302
    assert "AIOHTTP_SESSION" in resp.history[0].cookies

    resp = await client.get("/logout")
    deleted = resp.cookies["AIOHTTP_SESSION"]
    if isinstance(storage, SimpleCookieStorage):
        assert deleted.value == "{}"  # as aiohttp_session: an empty record, not a deletion
    else:
        assert deleted.value == "" and deleted["max-age"] == "0"
    assert await (await client.get("/peek")).json() == {"data": {}, "new": True}


async def test_encrypted_session_round_trip_with_httpx() -> None:
    storage = EncryptedCookieStorage(KEY, cookie_name="SID", max_age=3600, samesite="Lax")
    async with run_app(counter_app(storage)) as url, httpx.AsyncClient(base_url=str(url)) as http:
        for visits in (1, 2):
            resp = await http.get("/count")
            assert resp.json() == {"visits": visits, "new": visits == 1}
        set_cookie = resp.headers["set-cookie"]
        assert set_cookie.startswith("SID=")
        for attribute in ("HttpOnly", "Max-Age=3600", "Path=/", "SameSite=Lax", "expires="):
            assert attribute in set_cookie
        # '=' is not a cookie-octet: the token is sent quoted, as aiohttp sends it.
        assert http.cookies["SID"].startswith('"gAAAAA')
        token = http.cookies["SID"].strip('"')
        data = json.loads(fernet.Fernet(base64.urlsafe_b64encode(KEY)).decrypt(token.encode()))
        assert data["session"] == {"visits": 2}
        assert abs(data["created"] - time.time()) < 600

        # Read by a fresh client that only has the cookie: the session is the server's.
        async with httpx.AsyncClient(base_url=str(url), cookies={"SID": token}) as other:
            assert (await other.get("/peek")).json() == {"data": {"visits": 2}, "new": False}


async def test_unchanged_sessions_and_streams_set_no_cookie() -> None:
    async with (
        run_app(counter_app(SimpleCookieStorage())) as url,
        httpx.AsyncClient(base_url=str(url)) as http,
    ):
        resp = await http.get("/peek")
        assert resp.json() == {"data": {}, "new": True}
        assert "set-cookie" not in resp.headers
        resp = await http.get("/stream")  # as aiohttp_session: a prepared stream is left alone
        assert resp.text == "streamed" and "set-cookie" not in resp.headers


async def test_tampered_or_expired_cookies_start_a_new_session(
    anyiohttp_client,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await anyiohttp_client(
        counter_app(EncryptedCookieStorage(KEY, max_age=60)), cookie_jar=DummyCookieJar()
    )
    f = fernet.Fernet(base64.urlsafe_b64encode(KEY))
    payload = json.dumps({"created": int(time.time()), "session": {"visits": 41}}).encode()

    async def count(cookie: str) -> Any:
        resp = await client.get("/count", headers={"Cookie": f"AIOHTTP_SESSION={cookie}"})
        return await resp.json()

    assert await count(f.encrypt(payload).decode()) == {"visits": 42, "new": False}
    with caplog.at_level(logging.WARNING, logger="anyiohttp.sessions"):
        assert await count(f.encrypt(payload).decode()[:-4] + "AAAA") == {"visits": 1, "new": True}
    assert "Cannot decrypt cookie value" in caplog.text
    expired = f.encrypt_at_time(payload, int(time.time()) - 120).decode()
    assert await count(expired) == {"visits": 1, "new": True}
    other_key = fernet.Fernet(fernet.Fernet.generate_key()).encrypt(payload).decode()
    assert await count(other_key) == {"visits": 1, "new": True}


async def test_session_older_than_max_age_is_emptied(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(
        counter_app(SimpleCookieStorage(max_age=60)), cookie_jar=DummyCookieJar()
    )
    old = json.dumps({"created": int(time.time()) - 120, "session": {"visits": 9}})
    resp = await client.get("/count", headers={"Cookie": f"AIOHTTP_SESSION={json.dumps(old)}"})
    assert (await resp.json())["visits"] == 1


async def test_cookies_are_interchangeable_with_aiohttp_session() -> None:
    ours = EncryptedCookieStorage(KEY)
    theirs = aiohttp_session.cookie_storage.EncryptedCookieStorage(KEY)

    # aiohttp_session writes, we read.
    their_session = aiohttp_session.Session(None, data=None, new=True)
    their_session["cart"] = ["apple", {"n": 2}]
    their_response = aiohttp.web.Response()
    await theirs.save_session(None, their_response, their_session)  # type: ignore[arg-type]
    cookie = their_response.cookies["AIOHTTP_SESSION"].value
    async with run_app(counter_app(ours)) as url, httpx.AsyncClient(base_url=str(url)) as http:
        resp = await http.get("/peek", headers={"Cookie": f"AIOHTTP_SESSION={cookie}"})
        assert resp.json() == {"data": {"cart": ["apple", {"n": 2}]}, "new": False}
        # We write, aiohttp_session reads.
        resp = await http.get("/count", headers={"Cookie": f"AIOHTTP_SESSION={cookie}"})
        ours_cookie = resp.cookies["AIOHTTP_SESSION"].strip('"')
    request = aiohttp.test_utils.make_mocked_request(
        "GET", "/", headers={"Cookie": f"AIOHTTP_SESSION={ours_cookie}"}
    )
    loaded = await theirs.load_session(request)
    assert not loaded.new and dict(loaded) == {"cart": ["apple", {"n": 2}], "visits": 1}


async def test_key_forms_and_key_rotation() -> None:
    key = fernet.Fernet.generate_key()
    old = fernet.Fernet(fernet.Fernet.generate_key())
    token = old.encrypt(b'{"created": 1, "session": {"a": 1}}').decode()
    rotating = EncryptedCookieStorage(fernet.MultiFernet([fernet.Fernet(key), old]))
    async with run_app(counter_app(rotating)) as url, httpx.AsyncClient(base_url=str(url)) as http:
        resp = await http.get("/peek", headers={"Cookie": f"AIOHTTP_SESSION={token}"})
        assert resp.json() == {"data": {"a": 1}, "new": False}
    EncryptedCookieStorage(key.decode())  # the base64 text form
    with pytest.raises(ValueError, match="32 url-safe base64-encoded bytes"):
        EncryptedCookieStorage(b"short")


async def test_no_middleware_is_an_error(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = web.Application()
    errors: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        for call in (get_session, new_session):
            try:
                await call(request)
            except RuntimeError as exc:
                errors.append(str(exc))
        return web.Response()

    app.router.add_get("/", handler)
    client = await anyiohttp_client(app)
    await client.get("/")
    assert len(errors) == 2 and all("session middleware" in e for e in errors)
    with pytest.raises(RuntimeError, match="Expected AbstractStorage"):
        session_middleware(object())  # type: ignore[arg-type]


async def test_a_storage_must_return_a_session(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    class Broken(AbstractStorage):
        async def load_session(self, request: web.Request) -> Session:
            return {}  # type: ignore[return-value]

        async def save_session(
            self, request: web.Request, response: web.StreamResponse, session: Session
        ) -> None:
            raise AssertionError("not reached")

    app = web.Application()
    setup(app, Broken())
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        try:
            await get_session(request)
        except RuntimeError as exc:
            seen.append(str(exc))
        return web.Response()

    app.router.add_get("/", handler)
    client = await anyiohttp_client(app)
    await client.get("/")
    assert "should return session instance" in seen[0]


def test_session_object() -> None:
    session = Session("id", data={"created": 1000, "session": {"a": 1}}, new=False)
    assert (session.identity, session.created, session.new, dict(session)) == (
        "id",
        1000,
        False,
        {"a": 1},
    )
    assert not session.empty and "a" in session and len(session) == 1
    assert "changed:False" in repr(session)
    session.changed()
    assert "changed:True" in repr(session)
    session["b"] = 2
    assert session.created > 1000
    del session["a"]
    assert dict(session) == {"b": 2}
    with pytest.raises(RuntimeError, match="not new"):
        session.set_new_identity("x")
    session.invalidate()
    assert session.empty
    session.max_age = 10
    assert session.max_age == 10

    fresh = Session("x", data={}, new=False)  # an empty record is a new session
    assert fresh.new and fresh.identity is None
    fresh.set_new_identity("y")
    assert fresh.identity == "y"
    expired = Session(None, data={"created": 1, "session": {"a": 1}}, new=False, max_age=5)
    assert expired.empty


def test_encrypted_storage_is_reachable_from_the_package() -> None:
    import anyiohttp.sessions

    assert anyiohttp.sessions.EncryptedCookieStorage is EncryptedCookieStorage
    with pytest.raises(AttributeError):
        anyiohttp.sessions.nothing  # noqa: B018
