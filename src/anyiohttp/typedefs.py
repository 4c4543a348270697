"""Type aliases under aiohttp's names, so annotations of ported code keep working.

``from aiohttp.typedefs import Handler, LooseHeaders`` becomes
``from anyiohttp.typedefs import ...``. These are annotations only: nothing
here is checked at run time. The server types (``Handler``, ``Middleware``)
name ``anyiohttp.web`` classes without importing the server, so the client
can use this module too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from http.cookies import BaseCookie, Morsel
from typing import TYPE_CHECKING, Any, TypeAlias

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, istr
from yarl import URL
from yarl import Query as _Query

if TYPE_CHECKING:
    from .web.request import Request
    from .web.response import StreamResponse

__all__ = (
    "DEFAULT_JSON_DECODER",
    "DEFAULT_JSON_ENCODER",
    "Byteish",
    "Handler",
    "JSONBytesEncoder",
    "JSONDecoder",
    "JSONEncoder",
    "LooseCookies",
    "LooseCookiesIterables",
    "LooseCookiesMappings",
    "LooseHeaders",
    "Middleware",
    "PathLike",
    "Query",
    "RawHeaders",
    "StrOrURL",
)

#: A URL query as yarl takes it (a str, a mapping or a sequence of pairs).
Query: TypeAlias = _Query

#: The JSON functions used when none is given (``json_response``, ``request.json``).
DEFAULT_JSON_ENCODER: Callable[[Any], str] = json.dumps
DEFAULT_JSON_DECODER: Callable[[str], Any] = json.loads

#: A bytes-like body or chunk: ``bytes``, ``bytearray`` or ``memoryview``.
Byteish: TypeAlias = bytes | bytearray | memoryview
#: A JSON encoder to ``str`` (``json_serialize=``, ``dumps=``), as ``json.dumps``.
JSONEncoder: TypeAlias = Callable[[Any], str]
#: A JSON encoder straight to ``bytes`` (``json_serialize_bytes=``), as ``orjson.dumps``.
JSONBytesEncoder: TypeAlias = Callable[[Any], bytes]
#: A JSON decoder from ``str`` (``loads=`` of ``json()``), as ``json.loads``.
JSONDecoder: TypeAlias = Callable[[str], Any]

#: Headers in any of the shapes the API accepts.
LooseHeaders: TypeAlias = (
    Mapping[str, str]
    | Mapping[istr, str]
    | CIMultiDict[str]
    | CIMultiDictProxy[str]
    | MultiDict[str]
    | MultiDictProxy[str]
    | Iterable[tuple[str | istr, str]]
)
#: Headers as they came off the wire.
RawHeaders: TypeAlias = tuple[tuple[bytes, bytes], ...]
#: A URL as a ``str`` or a ``yarl.URL``: what every request method takes.
StrOrURL: TypeAlias = str | URL

#: Cookies as a mapping of names to values (``str``, ``Morsel`` or ``BaseCookie``).
LooseCookiesMappings: TypeAlias = Mapping[str, str | BaseCookie[str] | Morsel[Any]]
#: Cookies as ``(name, value)`` pairs.
LooseCookiesIterables: TypeAlias = Iterable[tuple[str, str | BaseCookie[str] | Morsel[Any]]]
#: Cookies in any of the shapes ``ClientSession(cookies=...)`` accepts.
LooseCookies: TypeAlias = LooseCookiesMappings | LooseCookiesIterables | BaseCookie[str]

#: A request handler: ``async def handler(request) -> StreamResponse``.
Handler: TypeAlias = Callable[["Request"], Awaitable["StreamResponse"]]
#: A (new-style, ``@web.middleware``) middleware: ``async def mw(request, handler)``.
Middleware: TypeAlias = Callable[["Request", Handler], Awaitable["StreamResponse"]]

#: A file system path as a ``str`` or an ``os.PathLike`` (``add_static``, ``FileResponse``).
PathLike: TypeAlias = str | os.PathLike[str]
