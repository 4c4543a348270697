"""Small shared helpers: cached properties, content types, HTTP dates."""

from __future__ import annotations

import base64
import binascii
import email.utils
import socket
import time
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, overload

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

_T = TypeVar("_T")

__all__ = (
    "BasicAuth",
    "ContentTypeMixin",
    "ETag",
    "MimeType",
    "encode_basic_auth",
    "parse_content_type",
    "parse_http_date",
    "parse_mimetype",
    "reify",
    "rfc822_formatted_time",
)


class reify(Generic[_T]):
    """A read-only property computed once per instance and then cached.

    The value is kept in the instance's ``_cache`` dict so that the class
    can keep ``__slots__``-like discipline without a ``__dict__`` lookup miss.
    """

    __slots__ = ("__dict__", "name", "wrapped")

    def __init__(self, wrapped: Callable[[Any], _T]) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.name = wrapped.__name__

    @overload
    def __get__(self, inst: None, owner: type[Any]) -> reify[_T]: ...
    @overload
    def __get__(self, inst: object, owner: type[Any]) -> _T: ...
    def __get__(self, inst: object | None, owner: type[Any]) -> _T | reify[_T]:
        if inst is None:
            return self
        # The owner class keeps a _cache dict (a slot or attribute mypy cannot see here).
        cache: dict[str, Any] = inst._cache  # type: ignore[attr-defined]
        try:
            value: _T = cache[self.name]
            return value
        except KeyError:
            value = cache[self.name] = self.wrapped(inst)
            return value

    def __set__(self, inst: object, value: Any) -> None:
        raise AttributeError(f"{self.name} is read-only")


# -- content types ---------------------------------------------------------------


def parse_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """Split a Content-Type value into the lower-cased mime type and its parameters.

    An absent or empty header gives ``("application/octet-stream", {})`` as in
    aiohttp ("If the Content-Type is absent ... assume application/octet-stream"
    -- RFC 9110 8.3).
    """
    if not value:
        return "application/octet-stream", {}
    mimetype, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        key, sep, val = item.partition("=")
        key = key.strip().lower()
        if not key or not sep:
            continue
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params[key] = val
    return mimetype.strip().lower(), params


class ContentTypeMixin:
    """``content_type`` and ``charset`` from ``self.headers`` (parsed once)."""

    _content_type_parts: tuple[str, dict[str, str]] | None = None

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The message's headers (the class that mixes this in provides them)."""
        raise NotImplementedError

    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        parts = self._content_type_parts
        if parts is None:
            parts = self._content_type_parts = parse_content_type(self.headers.get("Content-Type"))
        return parts

    @property
    def content_type(self) -> str:
        """The mime type of the body (``application/octet-stream`` if absent)."""
        return self._parsed_content_type()[0]

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type."""
        return self._parsed_content_type()[1].get("charset")


@dataclass(frozen=True, slots=True)
class MimeType:
    """A parsed mime type: ``type/subtype+suffix; parameters``."""

    type: str
    subtype: str
    suffix: str
    parameters: MultiDictProxy[str]


def parse_mimetype(mimetype: str) -> MimeType:
    """Parse a mime type string into its parts (as ``aiohttp.helpers.parse_mimetype``)."""
    if not mimetype:
        return MimeType(type="", subtype="", suffix="", parameters=MultiDictProxy(MultiDict()))
    full, params = parse_content_type(mimetype)
    if full == "*":
        full = "*/*"
    mtype, _, stype = full.partition("/")
    stype, _, suffix = stype.partition("+")
    return MimeType(
        type=mtype,
        subtype=stype,
        suffix=suffix,
        parameters=MultiDictProxy(MultiDict(params)),
    )


# -- dates -----------------------------------------------------------------------

_date_cache: tuple[int, str] = (0, "")


def rfc822_formatted_time() -> str:
    """The current time as an HTTP-date, recomputed at most once per second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True))
    return _date_cache[1]


def format_http_date(value: datetime | float | int | str) -> str:
    """Format a datetime or a POSIX timestamp as an HTTP-date (RFC 9110 5.6.7)."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return email.utils.format_datetime(value.astimezone(UTC), usegmt=True)
    return email.utils.formatdate(float(value), usegmt=True)


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP-date into an aware UTC datetime; None when absent or invalid."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@dataclass(frozen=True, slots=True)
class ETag:
    """An entity tag: its value and whether it is weak."""

    value: str
    is_weak: bool = False


def encode_basic_auth(login: str, password: str = "", encoding: str = "utf-8") -> str:
    """The ``Authorization`` (or ``Proxy-Authorization``) value ``Basic <base64>``.

    As aiohttp's: RFC 7617 credentials, ``login:password`` encoded in
    ``encoding``; a ``:`` in ``login`` is a ValueError (it would end it).
    """
    if ":" in login:
        raise ValueError('A ":" is not allowed in login (RFC 7617#section-2)')
    creds = f"{login}:{password}".encode(encoding)
    return "Basic " + base64.b64encode(creds).decode("ascii")


class BasicAuth(namedtuple("BasicAuth", ["login", "password", "encoding"])):
    """HTTP Basic authentication credentials (RFC 7617): ``login``, ``password``, ``encoding``."""

    login: str
    password: str
    encoding: str

    @classmethod
    def _check(cls, login: str | None, password: str | None) -> None:
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError('A ":" is not allowed in login (RFC 1945#section-11.1)')

    def __new__(cls, login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
        cls._check(login, password)
        return super().__new__(cls, login, password, encoding)

    @classmethod
    def decode(cls, auth_header: str, encoding: str = "latin1") -> BasicAuth:
        """Parse an ``Authorization: Basic ...`` header value."""
        try:
            auth_type, encoded = auth_header.split(" ", 1)
        except ValueError:
            raise ValueError("Could not parse authorization header.") from None
        if auth_type.lower() != "basic":
            raise ValueError(f"Unknown authorization method {auth_type}")
        try:
            decoded = base64.b64decode(encoded.encode("ascii"), validate=True).decode(encoding)
        except binascii.Error:
            raise ValueError("Invalid base64 encoding.") from None
        try:
            username, password = decoded.split(":", 1)
        except ValueError:
            raise ValueError("Invalid credentials.") from None
        return cls(username, password, encoding=encoding)

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> BasicAuth | None:
        """Credentials from ``http://user:pass@host/``, or None."""
        if not isinstance(url, URL):
            raise TypeError("url should be yarl.URL instance")
        if url.raw_user is None and url.raw_password is None:
            return None
        return cls(url.user or "", url.password or "", encoding=encoding)

    def encode(self) -> str:
        """The ``Authorization`` header value."""
        return encode_basic_auth(self.login, self.password, self.encoding)


def ip_family(host: str) -> int:
    """The address family of an IP literal (``[...]`` allowed around IPv6), 0 for a name."""
    literal = host.strip("[]")
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, literal)
        except OSError:
            continue
        return family
    return 0
