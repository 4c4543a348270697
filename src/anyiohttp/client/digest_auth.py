"""HTTP Digest authentication (RFC 7616) as a client middleware, as aiohttp's.

``ClientSession(middlewares=(DigestAuthMiddleware(login, password),))``:
a ``401`` whose ``WWW-Authenticate`` is a Digest challenge is answered once
with the credentials hashed by the challenge's algorithm (MD5, SHA, SHA-256,
SHA-512, each with its ``-sess`` variant) and quality of protection
(``auth``, ``auth-int`` which also hashes the body). Later requests in the
protection space carry the answer at once (``preemptive=True``) with the
nonce count going up.

The credentials stay with the origin of the first request the middleware
sees: a request elsewhere passes untouched, unless that origin's challenge
named it in its ``domain`` (RFC 7616 3.3).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import Final

from yarl import URL

from .. import hdrs
from .exceptions import ClientError
from .middlewares import ClientHandlerType
from .request import ClientRequest
from .response import ClientResponse

__all__ = ("DigestAuthMiddleware", "parse_challenge")

_HASHES: Final[dict[str, Callable[[bytes], hashlib._Hash]]] = {
    "MD5": hashlib.md5,
    "SHA": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA-256": hashlib.sha256,
    "SHA512": hashlib.sha512,
    "SHA-512": hashlib.sha512,
}
#: The algorithms understood (each also as ``<name>-SESS``).
SUPPORTED_ALGORITHMS: Final = tuple(sorted([*_HASHES, *(f"{a}-SESS" for a in _HASHES)]))
# One auth-param (token = token / quoted-string), or a lone token: the next scheme.
_PARAM: Final = re.compile(
    r'\s*,?\s*([!#$%&\'*+.^_`|~\w-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?'
)
_QUOTED_PAIR: Final = re.compile(r"\\(.)")
_CHALLENGE_FIELDS: Final[tuple[str, ...]] = (
    "realm",
    "nonce",
    "qop",
    "algorithm",
    "opaque",
    "domain",
    "stale",
)
# What the Authorization answer writes as quoted-strings (algorithm, qop, nc are tokens).
_QUOTED: Final = frozenset({"username", "realm", "nonce", "uri", "response", "opaque", "cnonce"})


def parse_challenge(value: str) -> dict[str, str]:
    """The parameters of the first challenge in ``value`` (after its scheme).

    Quoted-strings are unescaped; parsing stops at the next challenge's
    scheme, so a second challenge cannot override the first's parameters.
    """
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PARAM.match(value, position)
        if match is None or match.end() == position:
            break
        position = match.end()
        name, quoted, token = match.groups()
        if quoted is None and token is None:
            if params:
                break  # the scheme of the next challenge
            continue  # the scheme of this one
        params[name.lower()] = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else token
    return params


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class DigestAuthMiddleware:
    """Answer Digest challenges (RFC 7616) with ``login`` and ``password``."""

    def __init__(self, login: str, password: str, preemptive: bool = True) -> None:
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError('A ":" is not allowed in username (RFC 1945#section-11.1)')
        self._login = login
        self._password = password
        self._preemptive = preemptive
        self._challenge: dict[str, str] = {}
        self._last_nonce = ""
        self._nonce_count = 0
        #: URL prefixes the credentials are sent to unasked.
        self._protection_space: list[str] = []
        self._origin: URL | None = None

    # -- the answer -----------------------------------------------------------------

    async def _authorization(self, request: ClientRequest) -> str:
        """The Authorization value for ``request`` under the current challenge."""
        challenge = self._challenge
        for required in ("realm", "nonce"):
            if required not in challenge:
                raise ClientError(
                    f"Malformed Digest auth challenge: Missing '{required}' parameter"
                )
        realm, nonce = challenge["realm"], challenge["nonce"]
        if not nonce:
            raise ClientError("Security issue: Digest auth challenge contains empty 'nonce' value")
        algorithm = challenge.get("algorithm", "MD5")
        name = algorithm.upper()
        session = name.endswith("-SESS")
        hash_fn = _HASHES.get(name.removesuffix("-SESS"))
        if hash_fn is None:
            raise ClientError(
                f"Digest auth error: Unsupported hash algorithm: {name}. "
                f"Supported algorithms: {', '.join(SUPPORTED_ALGORITHMS)}"
            )
        qop = self._choose_qop(challenge.get("qop", ""))

        def digest(*parts: str | bytes) -> str:
            data = b":".join(p.encode() if isinstance(p, str) else p for p in parts)
            return hash_fn(data).hexdigest()

        # The request-target as sent: what the server hashes too.
        uri = request.url.raw_path_qs
        ha2_parts: list[str | bytes] = [request.method.upper(), uri]
        if qop == "auth-int":
            ha2_parts.append(digest(await _body_bytes(request)))
        ha2 = digest(*ha2_parts)
        self._nonce_count = self._nonce_count + 1 if nonce == self._last_nonce else 1
        self._last_nonce = nonce
        nc = f"{self._nonce_count:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = digest(self._login, realm, self._password)
        if session:
            ha1 = digest(ha1, nonce, cnonce)
        if qop:
            response = digest(ha1, nonce, nc, cnonce, qop, ha2)
        else:
            response = digest(ha1, nonce, ha2)
        fields = {
            "username": self._login,
            "realm": realm,
            "nonce": nonce,
            "uri": uri,
            "response": response,
            "algorithm": algorithm,
        }
        if challenge.get("opaque"):
            fields["opaque"] = challenge["opaque"]
        if qop:
            fields.update(qop=qop, nc=nc, cnonce=cnonce)
        return "Digest " + ", ".join(
            f'{key}="{_quote(value)}"' if key in _QUOTED else f"{key}={value}"
            for key, value in fields.items()
        )

    @staticmethod
    def _choose_qop(offered: str) -> str:
        """``auth-int`` when offered, else ``auth``; "" when the challenge names none."""
        if not offered:
            return ""
        qops = {q.strip() for q in offered.split(",")} & {"auth", "auth-int"}
        if not qops:
            raise ClientError(
                f"Digest auth error: Unsupported Quality of Protection (qop) value(s): {offered}"
            )
        return "auth-int" if "auth-int" in qops else "auth"

    # -- the challenge --------------------------------------------------------------

    def _take_challenge(self, response: ClientResponse) -> bool:
        """Keep a 401's Digest challenge; True when the request should be sent again."""
        if response.status != 401:
            return False
        scheme, _, rest = response.headers.get(hdrs.WWW_AUTHENTICATE, "").partition(" ")
        if scheme.lower() != "digest":
            return False
        params = parse_challenge(rest)
        challenge = {k: params[k] for k in _CHALLENGE_FIELDS if k in params}
        if not challenge:
            return False
        self._challenge = challenge
        origin = response.url.origin()
        space = []
        for uri in challenge.get("domain", "").split():
            uri = uri.strip('"')
            if uri:
                space.append(str(origin.join(URL(uri))) if uri.startswith("/") else uri)
        self._protection_space = space or [str(origin)]
        return True

    def _in_protection_space(self, url: URL) -> bool:
        target = str(url)
        for prefix in self._protection_space:
            if target == prefix or (
                target.startswith(prefix) and (prefix.endswith("/") or target[len(prefix)] == "/")
            ):
                return True
        return False

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        """Send ``request`` with the answer when one is known; answer a challenge once."""
        origin = request.url.origin()
        if self._origin is None:
            self._origin = origin
        elif origin != self._origin and not self._in_protection_space(request.url):
            return await handler(request)  # not where the credentials belong
        if self._preemptive and self._challenge and self._in_protection_space(request.url):
            request.headers[hdrs.AUTHORIZATION] = await self._authorization(request)
        response = await handler(request)
        if not self._take_challenge(response):
            return response
        # The 401 is done with: its (small) body read so the connection is
        # reused, then the request again with the answer.
        await _finish(response)
        request.headers[hdrs.AUTHORIZATION] = await self._authorization(request)
        response = await handler(request)
        self._take_challenge(response)  # a fresh nonce for the next request, if any
        return response


async def _body_bytes(request: ClientRequest) -> bytes:
    """The request body's bytes (for ``auth-int``), leaving it ready to be sent."""
    body = request.payload
    if body is None:
        return b""
    data = await body.read_all()
    if not body.rewind():
        await request.update_body(data)  # consumed by reading: send what was read
    return data


async def _finish(response: ClientResponse) -> None:
    """Done with a 401: its small body read (the connection reused), else closed.

    A 401 that came while the body was still going out stops that upload
    (the request is sent again, body and all).
    """
    if not response.upload_complete.done():
        response.close()
        return
    length = response.content_length
    if length is not None and length <= 2**16:
        try:
            await response.read()
        except (ClientError, OSError):
            pass
    response.release()
