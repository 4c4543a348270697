"""Ready-made middlewares (``normalize_path_middleware``) and the ``middleware`` marker."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable

from ..typedefs import Handler
from .app import middleware
from .exceptions import HTTPMove, HTTPPermanentRedirect
from .request import Request
from .response import StreamResponse

__all__ = ("forwarded_middleware", "middleware", "normalize_path_middleware")

_MULTIPLE_SLASHES = re.compile(r"//+")


def normalize_path_middleware(
    *,
    append_slash: bool = True,
    remove_slash: bool = False,
    merge_slashes: bool = True,
    redirect_class: type[HTTPMove] = HTTPPermanentRedirect,
) -> Callable[[Request, Handler], Awaitable[StreamResponse]]:
    """Redirect a path that does not match to a normalized one that does.

    Only when the original path finds no route, these are tried in order:
    merged slashes (``//a//b`` → ``/a/b``), then with a slash appended (or
    removed), then both; the first that matches a route is redirected to with
    ``redirect_class`` (308 by default), query string kept.
    """
    if append_slash and remove_slash:
        raise ValueError("Cannot both remove and append slash")

    @middleware
    async def impl(request: Request, handler: Handler) -> StreamResponse:
        if request.match_info.http_exception is None:
            return await handler(request)
        path = request.raw_path
        query = ""
        if "?" in path:
            path, query = path.split("?", 1)
            query = "?" + query
        candidates: list[str] = []
        if merge_slashes:
            candidates.append(_MULTIPLE_SLASHES.sub("/", path))
        if append_slash and not path.endswith("/"):
            candidates.append(path + "/")
        elif remove_slash and path.endswith("/") and len(path) > 1:
            candidates.append(path[:-1])
        if merge_slashes and (append_slash or remove_slash):
            merged = _MULTIPLE_SLASHES.sub("/", path)
            if append_slash and not merged.endswith("/"):
                candidates.append(merged + "/")
            elif remove_slash and merged.endswith("/") and len(merged) > 1:
                candidates.append(merged[:-1])
        router = request.app.router
        for candidate in candidates:
            if candidate == path:
                continue
            clone = request.clone(rel_url=candidate)
            match = router.resolve_path(
                request.method, clone.rel_url.path_safe, request.headers.get("Host")
            )
            if match.http_exception is None:
                raise redirect_class(candidate + query)
        return await handler(request)

    return impl


# RFC 7239 4: forwarded-pair = token "=" value, value = token / quoted-string
# (RFC 9110 5.6.2, 5.6.4; obs-text left out, its encoding is unknown), plus
# an optional ":port" after a token value, as aiohttp allows.
_TCHAR = r"!#$%&'*+.^_`|~0-9A-Za-z-"
_QUOTED_STRING = r'"(?:\\[\t !-~]|[\t !#-\[\]-~])*"'
_FORWARDED_PAIR = re.compile(rf"([{_TCHAR}]+)=([{_TCHAR}]+|{_QUOTED_STRING})(:[0-9]{{1,4}})?")
_QUOTED_PAIR = re.compile(r"\\([\t !-~])")
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_forwarded(values: Iterable[str]) -> list[dict[str, str]]:
    """The elements of ``Forwarded`` headers (RFC 7239 4), nearest proxy last.

    Read as aiohttp's ``request.forwarded`` reads them: one element per
    comma-separated forwarded-element, each a dict of its parameters (names
    lower-cased, the last of a name wins, extension parameters kept);
    quoted values are unquoted and their quoted-pairs unescaped, so a quoted
    ``,`` or ``;`` does not split anything. Whitespace between parts is
    allowed. Where the syntax breaks, the rest of that element is skipped up
    to the next comma (the parameters before stay). Values are not checked
    further (``for``, ``host``, ``proto`` are the proxies' strings).
    """
    elements: list[dict[str, str]] = []
    for value in values:
        element: dict[str, str] = {}
        elements.append(element)
        pos, end = 0, len(value)
        after_pair = False  # a pair must be followed by ";", "," or the end
        while pos < end:
            match = None if after_pair else _FORWARDED_PAIR.match(value, pos)
            if match is not None:
                name, pair_value, port = match.groups()
                if pair_value.startswith('"'):
                    pair_value = _QUOTED_PAIR.sub(r"\1", pair_value[1:-1])
                element[name.lower()] = pair_value + (port or "")
                pos = match.end()
                after_pair = True
                continue
            char = value[pos]
            if char == ",":
                element = {}
                elements.append(element)
                after_pair = False
            elif char == ";":
                after_pair = False
            elif char not in " \t":
                # Bad syntax: skip to the next element.
                comma = value.find(",", pos)
                if comma < 0:
                    break
                pos = comma
                continue
            pos += 1
    return elements


def _address(value: str) -> str:
    """The IP of a ``for=`` value or an X-Forwarded-For entry (ports and brackets dropped)."""
    value = value.strip()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def forwarded_middleware(
    trusted_proxies: Iterable[str] = ("127.0.0.1", "::1"),
) -> Callable[[Request, Handler], Awaitable[StreamResponse]]:
    """Take scheme, host and client address from proxy headers, from trusted proxies only.

    ``trusted_proxies`` are addresses or networks (``10.0.0.0/8``). When the
    connecting peer is one of them, the ``Forwarded`` header (RFC 7239) or
    else ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` are read from the
    nearest hop outwards, through trusted hops only: the first untrusted
    address is the client. The handler gets ``request.clone(scheme=, host=,
    remote=)``; headers from anyone else are ignored.
    """
    networks: list[_Network] = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    @middleware
    async def impl(request: Request, handler: Handler) -> StreamResponse:
        if not trusted(request.remote):
            return await handler(request)
        headers = request.headers
        hops: list[dict[str, str]]
        if "Forwarded" in headers:
            hops = parse_forwarded(headers.getall("Forwarded"))
        else:
            chain = [a for v in headers.getall("X-Forwarded-For", ()) for a in v.split(",")]
            protos = [
                p.strip() for v in headers.getall("X-Forwarded-Proto", ()) for p in v.split(",")
            ]
            hosts = [
                h.strip() for v in headers.getall("X-Forwarded-Host", ()) for h in v.split(",")
            ]
            hops = [{"for": a.strip()} for a in chain]
            if hops and protos:
                hops[0]["proto"] = protos[0]
            if hops and hosts:
                hops[0]["host"] = hosts[0]
        changes: dict[str, str] = {}
        for hop in reversed(hops):
            address = _address(hop.get("for", ""))
            if address:
                changes["remote"] = address
            for key in ("proto", "host"):
                if key in hop:
                    changes["scheme" if key == "proto" else key] = hop[key]
            if not trusted(address):
                break  # this hop is the client: what is further left is theirs to invent
        if not changes:
            return await handler(request)
        scheme = changes.get("scheme", "").lower()
        clone = request.clone(
            scheme=scheme if scheme in ("http", "https", "ws", "wss") else None,
            host=changes.get("host") or None,
            remote=changes.get("remote") or None,
        )
        return await handler(clone)  # type: ignore[arg-type]

    return impl
