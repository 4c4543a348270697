"""Client middlewares (aiohttp 3.12+) and DigestAuthMiddleware against our own server."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

import anyiohttp
from anyiohttp import ClientHandlerType, ClientRequest, ClientResponse, hdrs, web

from ..conftest import run_app

pytestmark = pytest.mark.anyio


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "headers": dict(request.headers),
            "body": body.decode("latin-1"),
        }
    )


def echo_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def test_session_middlewares_wrap_each_request_first_one_outermost() -> None:
    calls: list[str] = []

    async def logging_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        calls.append(f"log {req.method} {req.url.path}")
        resp = await handler(req)
        calls.append(f"log {resp.status}")
        return resp

    async def auth_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        calls.append("auth")
        req.headers[hdrs.AUTHORIZATION] = "Bearer token"
        return await handler(req)

    async with (
        run_app(echo_app()) as url,
        anyiohttp.ClientSession(middlewares=(logging_mw, auth_mw)) as session,
    ):
        assert session.middlewares == (logging_mw, auth_mw)
        async with session.get(url / "a") as resp:
            data = await resp.json()
        assert data["headers"]["Authorization"] == "Bearer token"
        assert calls == ["log GET /a", "auth", "log 200"]
        # The response's request_info shows what was sent, the middleware's header too.
        assert resp.request_info.headers["Authorization"] == "Bearer token"

        calls.clear()
        async with session.get(url / "b", middlewares=(auth_mw,)) as resp:
            assert resp.status == 200
        assert calls == ["auth"]  # a request's own middlewares replace the session's
        calls.clear()
        async with session.get(url / "c", middlewares=()) as resp:
            assert "Authorization" not in (await resp.json())["headers"]
        assert calls == []


async def test_retry_middleware_sends_the_body_again() -> None:
    seen: list[bytes] = []

    async def flaky(request: web.Request) -> web.Response:
        seen.append(await request.read())
        return web.Response(status=503 if len(seen) < 3 else 200, text=f"try {len(seen)}")

    async def retry(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        for _attempt in range(5):  # bounded, as aiohttp's cookbook advises
            resp = await handler(req)
            if resp.status != 503:
                return resp
            resp.release()
        return resp

    app = web.Application()
    app.router.add_post("/", flaky)
    async with run_app(app) as url, anyiohttp.ClientSession(middlewares=(retry,)) as session:
        async with session.post(url, data=b"payload") as resp:
            assert resp.status == 200
            assert await resp.text() == "try 3"
        assert seen == [b"payload"] * 3
        # A seekable file is sent again from where it started.
        seen.clear()
        path = os.path.join(os.path.dirname(__file__), "test_middlewares.py")
        with open(path, "rb") as f:
            expected = f.read()
        with open(path, "rb") as f:
            async with session.post(url, data=f) as resp:
                assert resp.status == 200
        assert seen == [expected] * 3
        assert "in_use=0 " in repr(session.connector)  # nothing left checked out


async def test_a_body_that_cannot_be_replayed_is_a_clear_error() -> None:
    async def always_503(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=503)

    async def retry_once(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        resp = await handler(req)
        resp.release()
        return await handler(req)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"once"

    app = web.Application()
    app.router.add_post("/", always_503)
    async with run_app(app) as url, anyiohttp.ClientSession(middlewares=(retry_once,)) as session:
        with pytest.raises(anyiohttp.ClientPayloadError, match="consumed request body"):
            await session.post(url, data=chunks())


async def test_token_refresh_with_a_request_of_the_middleware_own() -> None:
    tokens = iter(["t1", "t2"])

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"token": next(tokens)})

    async def api(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer t2":
            return web.Response(status=401)
        return web.Response(text="secret")

    class TokenRefresh:
        def __init__(self, token_url: URL) -> None:
            self.token_url = token_url
            self.token: str | None = None

        async def refresh(self, session: anyiohttp.ClientSession) -> None:
            # middlewares=(): the middleware's own request does not come back here.
            async with session.post(self.token_url, middlewares=()) as resp:
                self.token = (await resp.json())["token"]

        async def __call__(self, req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
            if self.token is None:
                await self.refresh(req.session)
            req.headers[hdrs.AUTHORIZATION] = f"Bearer {self.token}"
            resp = await handler(req)
            if resp.status == 401:
                resp.release()
                await self.refresh(req.session)
                req.headers[hdrs.AUTHORIZATION] = f"Bearer {self.token}"
                resp = await handler(req)
            return resp

    app = web.Application()
    app.router.add_post("/token", token)
    app.router.add_get("/api", api)
    async with run_app(app) as url:
        mw = TokenRefresh(url / "token")
        async with anyiohttp.ClientSession(middlewares=(mw,)) as session:
            async with session.get(url / "api") as resp:
                assert resp.status == 200 and await resp.text() == "secret"
            assert mw.token == "t2"


async def test_every_hop_of_a_redirect_goes_through_the_middlewares() -> None:
    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/final")

    seen: list[str] = []

    async def record(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        seen.append(f"{req.method} {req.url.path}")
        return await handler(req)

    app = echo_app()
    app.router.add_get("/start", hop)
    async with run_app(app) as url, anyiohttp.ClientSession(middlewares=(record,)) as session:
        async with session.get(url / "start") as resp:
            assert (await resp.json())["path"] == "/final"
            assert [r.status for r in resp.history] == [302]
    assert seen == ["GET /start", "GET /final"]


async def test_update_body_reframes_the_request() -> None:
    async def replace(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        assert req.body is not None and req.headers["Content-Length"] == "5"
        await req.update_body(b"a longer body")
        return await handler(req)

    async def no_body_seen(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        assert req.body == b""  # as aiohttp: no body reads as empty bytes
        return await handler(req)

    async with run_app(echo_app()) as url, anyiohttp.ClientSession() as session:
        async with session.put(url, data=b"short", middlewares=(replace,)) as resp:
            data = await resp.json()
        assert data["body"] == "a longer body"
        assert data["headers"]["Content-Length"] == "13"
        async with session.get(url, middlewares=(no_body_seen,)) as resp:
            assert resp.status == 200


async def test_a_middleware_may_answer_without_sending() -> None:
    sent = []

    async def short_circuit(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        if req.url.path == "/blocked":
            raise anyiohttp.ClientConnectionError("blocked by policy")
        sent.append(req.url.path)
        return await handler(req)

    async with (
        run_app(echo_app()) as url,
        anyiohttp.ClientSession(middlewares=(short_circuit,)) as session,
    ):
        with pytest.raises(anyiohttp.ClientConnectionError, match="blocked by policy"):
            await session.get(url / "blocked")
        async with session.get(url / "open") as resp:
            assert resp.status == 200
    assert sent == ["/open"]


async def test_a_middleware_calling_asyncio_sleep(anyio_backend_name: str) -> None:
    # aiohttp's retry_middleware.py example waits with asyncio.sleep between tries.
    async def backoff(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        await asyncio.sleep(0.01)
        return await handler(req)

    async with (
        run_app(echo_app()) as url,
        anyiohttp.ClientSession(middlewares=(backoff,)) as session,
    ):
        if anyio_backend_name == "asyncio":
            async with session.get(url / "x") as resp:
                assert resp.status == 200
            return
        with pytest.raises(RuntimeError, match="no running event loop") as info:
            await session.get(url / "x")
        assert "asyncio code running under trio" in "".join(info.value.__notes__)
        async with session.get(url / "x", middlewares=()) as resp:  # the session goes on
            assert resp.status == 200


# -- Digest authentication ------------------------------------------------------------

_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256, "SHA-512-SESS": hashlib.sha512}
_AUTH_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _h(hash_name: str, *parts: str | bytes) -> str:
    fn = _HASHES[hash_name]
    return fn(b":".join(p if isinstance(p, bytes) else p.encode() for p in parts)).hexdigest()


def digest_app(
    users: dict[str, str], *, algorithm: str = "MD5", qop: str = "auth", realm: str = "test@x"
) -> tuple[web.Application, dict[str, Any]]:
    """A server that protects everything with Digest auth (RFC 7616), checking each answer."""
    state: dict[str, Any] = {"challenges": 0, "nonces": set(), "nc": {}, "authorized": []}

    def challenge() -> web.Response:
        nonce = os.urandom(12).hex()
        state["nonces"].add(nonce)
        state["challenges"] += 1
        header = (
            f'Digest realm="{realm}", nonce="{nonce}", opaque="op\\"aque", '
            f'algorithm={algorithm}, qop="{qop}"'
        )
        return web.Response(status=401, headers={"WWW-Authenticate": header}, text="no")

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        value = request.headers.get("Authorization", "")
        if not value.startswith("Digest "):
            return challenge()
        params = {
            m.group(1): re.sub(r"\\(.)", r"\1", m.group(2))
            if m.group(2) is not None
            else m.group(3)
            for m in _AUTH_PARAM.finditer(value[7:])
        }
        nonce, user = params.get("nonce", ""), params.get("username", "")
        if nonce not in state["nonces"] or user not in users or params.get("realm") != realm:
            return challenge()
        assert params["uri"] == request.raw_path
        assert params["opaque"] == 'op"aque' and params["algorithm"] == algorithm
        nc = int(params["nc"], 16)
        assert nc > state["nc"].get(nonce, 0)  # the nonce count only goes up
        state["nc"][nonce] = nc
        ha1 = _h(algorithm, user, realm, users[user])
        if algorithm.endswith("-SESS"):
            ha1 = _h(algorithm, ha1, nonce, params["cnonce"])
        a2: list[str | bytes] = [request.method, params["uri"]]
        if params["qop"] == "auth-int":
            a2.append(_h(algorithm, body))
        expected = _h(
            algorithm, ha1, nonce, params["nc"], params["cnonce"], params["qop"],
            _h(algorithm, *a2),
        )  # fmt: skip
        if params["response"] != expected:
            return challenge()
        state["authorized"].append((request.method, request.raw_path, params["qop"], body))
        return web.Response(text=f"hello {user}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app, state


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "SHA-512-SESS"])
async def test_digest_auth_answers_the_challenge_then_preempts(algorithm: str) -> None:
    app, state = digest_app({"alice": "wonder land"}, algorithm=algorithm)
    digest = anyiohttp.DigestAuthMiddleware("alice", "wonder land")
    async with run_app(app) as url, anyiohttp.ClientSession(middlewares=(digest,)) as session:
        async with session.get(f"{url}/a/b%2Fc?x=1&y=%20") as resp:
            assert resp.status == 200 and await resp.text() == "hello alice"
        assert state["challenges"] == 1
        # The next requests answer at once: no new challenge, the nonce count goes up.
        for path in ("p1", "p2"):
            async with session.post(url / path, data=b"form") as resp:
                assert resp.status == 200
        assert state["challenges"] == 1
        assert [a[:2] for a in state["authorized"]] == [
            ("GET", "/a/b%2Fc?x=1&y=%20"),
            ("POST", "/p1"),
            ("POST", "/p2"),
        ]
        assert "in_use=0 " in repr(session.connector)  # nothing left checked out


async def test_digest_auth_int_hashes_the_body() -> None:
    app, state = digest_app({"bob": "pw"}, qop="auth,auth-int")
    digest = anyiohttp.DigestAuthMiddleware("bob", "pw", preemptive=False)
    async with run_app(app) as url, anyiohttp.ClientSession(middlewares=(digest,)) as session:
        async with session.put(url / "doc", data=b"the document") as resp:
            assert resp.status == 200
        # Not preemptive: every request meets the challenge first.
        async with session.put(url / "doc", json={"k": "v"}) as resp:
            assert resp.status == 200
    assert state["challenges"] == 2
    assert [(a[2], a[3]) for a in state["authorized"]] == [
        ("auth-int", b"the document"),
        ("auth-int", b'{"k": "v"}'),
    ]


async def test_digest_auth_wrong_password_returns_the_401() -> None:
    app, state = digest_app({"alice": "right"})
    digest = anyiohttp.DigestAuthMiddleware("alice", "wrong")
    async with run_app(app) as url, anyiohttp.ClientSession(middlewares=(digest,)) as session:
        async with session.get(url) as resp:
            assert resp.status == 401 and await resp.text() == "no"
    assert state["challenges"] == 2 and state["authorized"] == []  # answered once, no loop


async def test_digest_credentials_stay_with_their_origin() -> None:
    app, _state = digest_app({"alice": "pw"})
    digest = anyiohttp.DigestAuthMiddleware("alice", "pw")
    async with (
        run_app(app) as url,
        run_app(echo_app()) as other,
        anyiohttp.ClientSession(middlewares=(digest,)) as session,
    ):
        async with session.get(url) as resp:
            assert resp.status == 200
        async with session.get(other) as resp:
            assert "Authorization" not in (await resp.json())["headers"]


def test_digest_middleware_imports_from_aiohttp_module_path() -> None:
    # aiohttp's digest example imports it from here; only "aiohttp" is renamed.
    from anyiohttp.client_middleware_digest_auth import DigestAuthMiddleware

    assert DigestAuthMiddleware is anyiohttp.DigestAuthMiddleware


def test_digest_middleware_refuses_bad_credentials() -> None:
    with pytest.raises(ValueError, match="not allowed in username"):
        anyiohttp.DigestAuthMiddleware("a:b", "pw")
    with pytest.raises(ValueError, match="None is not allowed"):
        anyiohttp.DigestAuthMiddleware("a", None)  # type: ignore[arg-type]


async def test_digest_challenge_errors_are_client_errors() -> None:
    async def bad(request: web.Request) -> web.Response:
        return web.Response(
            status=401, headers={"WWW-Authenticate": 'Digest realm="r", nonce="n", algorithm=FOO'}
        )

    app = web.Application()
    app.router.add_get("/", bad)
    digest = anyiohttp.DigestAuthMiddleware("a", "b")
    async with run_app(app) as url, anyiohttp.ClientSession(middlewares=(digest,)) as session:
        with pytest.raises(anyiohttp.ClientError, match="Unsupported hash algorithm: FOO"):
            await session.get(url)
        assert "in_use=0 " in repr(session.connector)  # nothing left checked out


def test_parse_challenge_reads_the_first_challenge_only() -> None:
    from anyiohttp.client.digest_auth import parse_challenge

    assert parse_challenge('realm="a, b", nonce=xyz, qop="auth,auth-int"') == {
        "realm": "a, b",
        "nonce": "xyz",
        "qop": "auth,auth-int",
    }
    assert parse_challenge('realm="q\\"uote", nonce="1", Basic realm="other"') == {
        "realm": 'q"uote',
        "nonce": "1",
    }


async def test_our_digest_server_accepts_aiohttp_middleware(anyio_backend_name: str) -> None:
    """The server the tests above trust answers aiohttp's own DigestAuthMiddleware too."""
    if anyio_backend_name != "asyncio":
        pytest.skip("aiohttp runs on asyncio only")
    aiohttp = pytest.importorskip("aiohttp")
    app, state = digest_app({"alice": "pw"}, algorithm="SHA-256", qop="auth-int")
    async with run_app(app) as url:
        middleware = aiohttp.DigestAuthMiddleware("alice", "pw")
        async with aiohttp.ClientSession(middlewares=(middleware,)) as session:
            async with session.post(str(url / "x"), data=b"body") as resp:
                assert resp.status == 200
    assert state["authorized"] == [("POST", "/x", "auth-int", b"body")]


async def test_digest_with_a_body_sent_by_the_upload_task() -> None:
    """A body too big to go out with the head is uploaded, challenged, and sent again whole."""
    app, state = digest_app({"alice": "pw"})
    big = b"b" * (512 * 1024)
    digest = anyiohttp.DigestAuthMiddleware("alice", "pw", preemptive=False)
    async with run_app(app) as url, anyiohttp.ClientSession(middlewares=(digest,)) as session:
        async with session.put(url / "big", data=big) as resp:
            assert resp.status == 200
    assert [(a[0], len(a[3])) for a in state["authorized"]] == [("PUT", len(big))]
