"""Client cookie jars: CookieJar (RFC 6265 storage rules) and DummyCookieJar.

Set-Cookie fields are parsed by aiohttp's rules (:func:`parse_set_cookie_headers`)
and cookies go back out as aiohttp writes them, so a server sees the same
Cookie header from either library.
"""

from __future__ import annotations

import calendar
import datetime
import ipaddress
import json
import logging
import math
import os
import pickle
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.cookies import BaseCookie, Morsel, SimpleCookie
from types import MappingProxyType
from typing import Any, Final

from yarl import URL

from ..abc import AbstractCookieJar
from ..http.cookies import COOKIE_NAME, unquote_cookie_value

__all__ = ("CookieJar", "DummyCookieJar", "parse_set_cookie_headers", "unquote_cookie_value")

#: Where refused Set-Cookie fields are reported.
logger: Final = logging.getLogger("anyiohttp.client")

_NO_URL = URL()  # the default: a response from nowhere in particular
_FROM_COOKIE: Any = object()  # _store's default: the deadline comes from the cookie itself

# Saved as the absolute deadline ("expires_timestamp") instead, as aiohttp 3.14.
_RELATIVE_EXPIRY_ATTRS = frozenset({"max-age", "expires"})
_MORSEL_CORE = frozenset({"key", "value", "coded_value"})

# The last second a datetime can hold: deadlines are capped there, as aiohttp
# caps them (so saved files agree).
_MAX_TIME: Final = int(datetime.datetime.max.replace(tzinfo=datetime.UTC).timestamp()) - 1
_DATE_TOKENS = re.compile(
    r"[\x09\x20-\x2F\x3B-\x40\x5B-\x60\x7B-\x7E]*([^\x09\x20-\x2F\x3B-\x40\x5B-\x60\x7B-\x7E]+)"
)
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
)}  # fmt: skip

CookieItem = str | Morsel[str]
LooseCookies = Mapping[str, CookieItem] | Iterable[tuple[str, CookieItem]] | BaseCookie[str]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _domain_match(domain: str, host: str) -> bool:
    # "The domain string and the string are identical, or the domain string is
    # a suffix of the string, the last character of the string that is not
    # included in the domain string is '.', and the string is a host name"
    # -- RFC 6265 5.1.3
    if host == domain:
        return True
    return host.endswith("." + domain) and not _is_ip(host)


def _path_match(req_path: str, cookie_path: str) -> bool:
    # RFC 6265 5.1.4
    if not req_path.startswith("/"):
        return False
    if req_path == cookie_path:
        return True
    if not req_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or req_path[len(cookie_path)] == "/"


def _default_path(url: URL) -> str:
    # RFC 6265 5.1.4: the directory of the request path (decoded, as aiohttp)
    path = url.path
    if not path.startswith("/"):
        return "/"
    return "/" + path[1 : path.rfind("/")]


def parse_cookie_date(value: str) -> int | None:
    """Parse a cookie-date (RFC 6265 5.1.1) into a POSIX timestamp."""
    hour = minute = second = day = month = year = None
    found_time = found_day = found_month = found_year = False
    for match in _DATE_TOKENS.finditer(value):
        token = match.group(1)
        if not found_time:
            time_match = re.fullmatch(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?", token)
            if time_match:
                found_time = True
                hour, minute, second = (int(x) for x in time_match.groups())
                continue
        if not found_day:
            day_match = re.fullmatch(r"(\d{1,2})(?:\D.*)?", token)
            if day_match:
                found_day = True
                day = int(day_match.group(1))
                continue
        if not found_month and token[:3].lower() in _MONTHS:
            found_month = True
            month = _MONTHS[token[:3].lower()]
            continue
        if not found_year:
            year_match = re.fullmatch(r"(\d{2,4})(?:\D.*)?", token)
            if year_match:
                found_year = True
                year = int(year_match.group(1))
    if not (found_time and found_day and found_month and found_year):
        return None
    assert year is not None and day is not None and month is not None
    assert hour is not None and minute is not None and second is not None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    if year < 1601 or not 1 <= day <= 31 or hour > 23 or minute > 59 or second > 59:
        return None
    return calendar.timegm((year, month, day, hour, minute, second, -1, -1, -1))


# -- Set-Cookie parsing (aiohttp's rules: one cookie per field, lenient names) -------

# A Set-Cookie field with a control character other than HTAB is refused whole.
_FORBIDDEN_IN_FIELD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A cookie-pair whose value is a quoted string that holds a ";".
_QUOTED_PAIR = re.compile(r'[ \t]*([^=;]*?)[ \t]*=[ \t]*("(?:[^"\\]|\\.)*")[ \t]*(?:;|$)')
# One attribute: a name, maybe "=" and a value (a quoted string, a cookie date
# with its comma and spaces, or a run of visible characters), ended by
# whitespace, ";" or the end. Whitespace alone may separate attributes.
_ATTRIBUTE = re.compile(
    r"\s*(?P<name>[!#-:<>-\[\]-~]+)"
    r"(?:\s*=\s*(?P<value>"
    r'"(?:[^"\\]|\\.)*"'
    r'|"[^";]*'
    r"|\w{3,9},\s[\w\s-]{9,11}\s[\d:]{8}\s(?:GMT|[+-]\d{4})"
    r"|\w{3}\s+\w{3}\s+[\s\d]\d\s+\d{2}:\d{2}:\d{2}\s+\d{4}"
    r"|[!#-:<-\[\]-~]*"
    r"))?\s*(?:\s+|;|$)",
    re.ASCII,
)
_NEXT_ATTRIBUTE = re.compile(r"[^;\s]", re.ASCII)

_KNOWN_ATTRIBUTES: Final = frozenset(Morsel._reserved)  # type: ignore[attr-defined]  # typeshed lacks it
_FLAG_ATTRIBUTES: Final = frozenset(Morsel._flags)  # type: ignore[attr-defined]

# Limits RFC 6265 6.1 lets an implementation set (aiohttp's).
_MAX_COOKIES_PER_RESPONSE: Final = 50
_MAX_PAIR_LENGTH: Final = 4096
_MAX_ATTRIBUTE_LENGTH: Final = 1024
_MAX_ATTRIBUTES: Final = 32


def _utf8_length(text: str) -> int | None:
    """The UTF-8 length of ``text``; None when it cannot be encoded (a lone surrogate)."""
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _raw_morsel(key: str, value: str, coded_value: str) -> Morsel[str]:
    """A Morsel holding exactly these strings.

    ``Morsel.set`` refuses the names aiohttp accepts (braces and the like);
    the pickling state is the documented way around its checks.
    """
    morsel: Morsel[str] = Morsel()
    morsel.__setstate__({"key": key, "value": value, "coded_value": coded_value})  # type: ignore[attr-defined]
    return morsel


def parse_set_cookie_headers(headers: Iterable[str]) -> list[tuple[str, Morsel[str]]]:
    """The cookies of ``Set-Cookie`` field values, by aiohttp's rules.

    One cookie per field (a comma never splits one); names with braces,
    brackets and the like are accepted, an illegal name is logged ("Can
    not load cookies: ...") and skipped, as are fields with control
    characters, oversized pairs and values. Known attributes are kept,
    unknown ones ignored (RFC 6265 5.2); at most 50 cookies are taken.
    """
    parsed: list[tuple[str, Morsel[str]]] = []
    for header in headers:
        if len(parsed) >= _MAX_COOKIES_PER_RESPONSE:
            break
        cookie = _parse_set_cookie(header)
        if cookie is not None:
            parsed.append(cookie)
    return parsed


def _parse_set_cookie(header: str) -> tuple[str, Morsel[str]] | None:
    if not header or _FORBIDDEN_IN_FIELD.search(header) is not None:
        return None
    pair_end = header.find(";")
    if pair_end < 0:
        pair_end = len(header)
    key = coded_value = ""
    attributes_at = pair_end + 1
    quoted = None
    if '"' in header[:pair_end]:
        # A quoted value may hold ";" (aiohttp has always accepted it).
        quoted = _QUOTED_PAIR.match(header)
        if quoted is not None and ";" not in quoted.group(2):
            quoted = None
    if quoted is not None:
        key, coded_value = quoted.group(1), quoted.group(2)
        attributes_at = quoted.end()
    else:
        key, sep, coded_value = header[:pair_end].partition("=")
        if not sep:
            return None
    key = key.strip(" \t")
    coded_value = coded_value.strip(" \t")
    if not key:
        return None
    if COOKIE_NAME.fullmatch(key) is None:
        logger.warning("Can not load cookies: Illegal cookie name %r", key)
        return None
    length = _utf8_length(key + coded_value)
    if length is None or length > _MAX_PAIR_LENGTH:
        return None
    value = unquote_cookie_value(coded_value)
    if _CONTROL.search(value) is not None:
        return None
    morsel = _raw_morsel(key, value, coded_value)
    _apply_attributes(morsel, header[attributes_at:])
    return key, morsel


def _apply_attributes(morsel: Morsel[str], text: str) -> None:
    """Set the known attributes found in ``text`` (what follows the cookie-pair)."""
    pos = 0
    for _ in range(_MAX_ATTRIBUTES):
        if pos >= len(text):
            return
        match = _ATTRIBUTE.match(text, pos)
        if match is None:
            # Not an attribute: skip to the one after the next ";".
            semicolon = text.find(";", pos)
            start = _NEXT_ATTRIBUTE.search(text, semicolon + 1) if semicolon >= 0 else None
            if start is None:
                return
            pos = start.start()
            continue
        pos = match.end()
        name = match.group("name").lower()
        if name not in _KNOWN_ATTRIBUTES:
            continue  # "ignore the cookie-av" -- RFC 6265 5.2
        if name in _FLAG_ATTRIBUTES:
            dict.__setitem__(morsel, name, True)  # a flag's value means nothing
            continue
        value = match.group("value") or ""
        length = _utf8_length(value)
        if length is None or length > _MAX_ATTRIBUTE_LENGTH:
            continue
        value = unquote_cookie_value(value)
        if _CONTROL.search(value) is None:
            dict.__setitem__(morsel, name, value)


def _sendable(cookie: Morsel[str]) -> bool:
    """Whether the cookie can go into a Cookie header (no control characters, encodable)."""
    text = f"{cookie.key}={cookie.value}{cookie.coded_value}"
    return _CONTROL.search(text) is None and _utf8_length(text) is not None


_VALUE_ENCODER: Final = SimpleCookie()


class CookieJar(AbstractCookieJar):
    """Stores cookies from responses and picks those to send with each request.

    ``unsafe=True`` accepts cookies from IP-address hosts (refused by
    default, as browsers do). ``quote_cookie=False`` sends values as they
    were received instead of re-quoting them. ``treat_as_secure_origin``
    lists origins (``http://localhost:8080``) whose plain-http requests may
    carry Secure cookies.

    Cookies are kept per ``(domain, path)`` with the path's trailing slash
    taken off, as aiohttp keys them (:attr:`cookies`).
    """

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: URL | str | Iterable[URL | str] | None = None,
    ) -> None:
        self._cookies: dict[tuple[str, str], SimpleCookie] = {}
        self._host_only: set[tuple[str, str, str]] = set()
        self._expirations: dict[tuple[str, str, str], float] = {}
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        if treat_as_secure_origin is None:
            origins: list[URL] = []
        elif isinstance(treat_as_secure_origin, URL | str):
            origins = [URL(str(treat_as_secure_origin)).origin()]
        else:
            origins = [URL(str(u)).origin() for u in treat_as_secure_origin]
        self._secure_origins = origins

    @property
    def unsafe(self) -> bool:
        """Whether cookies from (and to) IP-address hosts are accepted."""
        return self._unsafe

    @property
    def quote_cookie(self) -> bool:
        """Whether values are quoted when sent."""
        return self._quote_cookie

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        """The origins whose plain-http requests may carry Secure cookies."""
        return frozenset(self._secure_origins)

    @property
    def cookies(self) -> MappingProxyType[tuple[str, str], SimpleCookie]:
        """The stored cookies by ``(domain, path)``: a live, read-only view."""
        return MappingProxyType(self._cookies)

    @property
    def host_only_cookies(self) -> frozenset[tuple[str, str, str]]:
        """The ``(domain, path, name)`` of the cookies sent to their exact host only."""
        return frozenset(self._host_only)

    # -- storage ----------------------------------------------------------------

    def save(self, file_path: str | os.PathLike[str]) -> None:
        """Write the cookies to a file as JSON, in aiohttp 3.14's format.

        Either library loads the other's files. The file is created readable
        by its owner only: cookies are often credentials.
        """
        data: dict[str, dict[str, dict[str, str | bool | float]]] = {}
        for (domain, path), cookie in self._cookies.items():
            bucket = data.setdefault(f"{domain}|{path}", {})
            for name, morsel in cookie.items():
                record: dict[str, str | bool | float] = {
                    "key": morsel.key,
                    "value": morsel.value,
                    "coded_value": morsel.coded_value,
                }
                for attr, value in morsel.items():
                    if value and attr not in _RELATIVE_EXPIRY_ATTRS:
                        record[attr] = value
                key = (domain, path, name)
                if key in self._host_only:
                    # Without the mark it would load as a domain cookie, sent to subdomains.
                    record["host_only"] = True
                expires_at = self._expirations.get(key)
                if expires_at is not None:
                    record["expires_timestamp"] = expires_at
                bucket[name] = record
        with open(
            file_path,
            "w",
            encoding="utf-8",
            opener=lambda path, flags: os.open(path, flags, 0o600),
        ) as f:
            json.dump(data, f, indent=2)

    def load(self, file_path: str | os.PathLike[str]) -> None:
        """Replace the jar's cookies with those of a file written by :meth:`save`.

        Reads aiohttp 3.14's JSON format; a file that is not JSON is taken for
        a pickle written by an older version and unpickled with only the
        cookie types allowed (anything else raises ``pickle.UnpicklingError``
        before it runs), so an untrusted file cannot run code. Cookies go
        through the same acceptance rules as :meth:`update_cookies`. A malformed
        file raises ValueError and leaves the jar as it was.
        """
        try:
            with open(file_path, encoding="utf-8") as f:
                data = json.load(f)
        except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError
            pass
        else:
            self._adopt(self._jar_from_records(data))
            return
        with open(file_path, "rb") as f:
            legacy = _CookieUnpickler(f).load()
        if not isinstance(legacy, Mapping):
            raise ValueError("Malformed cookie file: expected a mapping of cookies")
        loaded = self._empty_copy()
        for key, cookie in legacy.items():
            if not (isinstance(key, tuple) and key and isinstance(key[0], str)):
                raise ValueError(f"Malformed cookie file: bad key {key!r}")
            if not isinstance(cookie, Mapping):
                raise ValueError(f"Malformed cookie file: bad cookies for {key!r}")
            url = URL.build(scheme="https", host=key[0]) if key[0] else _NO_URL
            loaded.update_cookies([(n, m) for n, m in cookie.items() if isinstance(m, Morsel)], url)
        self._adopt(loaded)

    def _empty_copy(self) -> CookieJar:
        jar = CookieJar(unsafe=self._unsafe, quote_cookie=self._quote_cookie)
        jar._secure_origins = self._secure_origins
        return jar

    def _adopt(self, loaded: CookieJar) -> None:
        # Refilled in place, so a view taken from ``cookies`` stays live.
        self._cookies.clear()
        self._cookies.update(loaded._cookies)
        self._host_only = loaded._host_only
        self._expirations = loaded._expirations

    def _jar_from_records(self, data: Any) -> CookieJar:
        """A jar filled from aiohttp's JSON records (this one is left alone)."""
        if not isinstance(data, dict):
            raise ValueError("Malformed cookie file: expected a JSON object")
        loaded = self._empty_copy()
        for bucket_key, records in data.items():
            domain, sep, _ = bucket_key.partition("|")
            if not sep or not isinstance(records, dict):
                raise ValueError(f"Malformed cookie file: bad entry {bucket_key!r}")
            try:
                url = URL.build(scheme="https", host=domain) if domain else _NO_URL
            except (TypeError, ValueError) as exc:
                raise ValueError(f"Malformed cookie file: bad domain {domain!r}") from exc
            hostname = url.raw_host
            if not loaded._unsafe and hostname is not None and _is_ip(hostname):
                continue  # refused as update_cookies() refuses them
            for name, record in records.items():
                morsel = _morsel_from_record(bucket_key, name, record)
                if morsel is None:
                    continue
                raw_deadline = record.get("expires_timestamp")
                deadline: Any = _FROM_COOKIE
                if raw_deadline is not None:
                    try:
                        deadline = float(raw_deadline)
                    except (OverflowError, TypeError, ValueError):
                        deadline = math.nan
                    if not math.isfinite(deadline):
                        raise ValueError(
                            f"Cookie {name!r} in {bucket_key!r}: "
                            "expiration timestamp must be a finite number"
                        )
                loaded._store(name, morsel, url, hostname, deadline=deadline)
        loaded._expire()
        return loaded

    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        """Remove every cookie, or those ``predicate`` is true for (and the expired ones)."""
        if predicate is None:
            self._cookies.clear()
            self._host_only.clear()
            self._expirations.clear()
            return
        now = time.time()
        for (domain, path), cookie in list(self._cookies.items()):
            for name, morsel in list(cookie.items()):
                when = self._expirations.get((domain, path, name))
                if (when is not None and when <= now) or predicate(morsel):
                    self._delete(domain, path, name)

    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""
        self.clear(lambda morsel: _domain_match(domain, morsel["domain"]))

    def _delete(self, domain: str, path: str, name: str) -> None:
        cookie = self._cookies.get((domain, path))
        if cookie is not None:
            cookie.pop(name, None)
            if not cookie:
                del self._cookies[(domain, path)]
        self._host_only.discard((domain, path, name))
        self._expirations.pop((domain, path, name), None)

    def _expire(self) -> None:
        now = time.time()
        for key, when in list(self._expirations.items()):
            if when <= now:
                self._delete(*key)

    def __iter__(self) -> Iterator[Morsel[str]]:
        self._expire()
        for cookie in self._cookies.values():
            yield from cookie.values()

    def __len__(self) -> int:
        # Expired cookies are purged first (aiohttp's count keeps them until
        # something else purges).
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return bool(self._cookies)  # cheap: may count cookies that expired meanwhile

    # -- receiving ----------------------------------------------------------------

    def update_cookies(self, cookies: LooseCookies, response_url: URL = _NO_URL) -> None:
        """Store cookies set by a response from ``response_url`` (Morsels are copied).

        A plain value is quoted as SimpleCookie quotes it; its name must be
        one SimpleCookie takes (else ``CookieError``, as aiohttp).
        """
        hostname = response_url.raw_host
        if not self._unsafe and hostname is not None and _is_ip(hostname):
            return  # RFC 6265 forbids domain cookies for IPs; browsers refuse them all
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, cookie in items:
            if not isinstance(cookie, Morsel):
                tmp: SimpleCookie = SimpleCookie()
                tmp[name] = cookie  # an illegal name raises CookieError, as in aiohttp
                cookie = tmp[name]
            if not _sendable(cookie):
                continue  # it could never go out in a Cookie header
            self._store(name, cookie, response_url, hostname)
        self._expire()

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Store the cookies of ``Set-Cookie`` header values (aiohttp's parsing rules)."""
        hostname = response_url.raw_host
        if not self._unsafe and hostname is not None and _is_ip(hostname):
            return  # refused before the fields are even parsed
        for name, morsel in parse_set_cookie_headers(headers):
            self._store(name, morsel, response_url, hostname)
        self._expire()

    def _store(
        self,
        name: str,
        morsel: Morsel[str],
        url: URL,
        hostname: str | None,
        *,
        deadline: float | None = _FROM_COOKIE,
    ) -> None:
        cookie = morsel.copy()  # the caller's Morsel stays as it was
        domain = cookie["domain"]
        if domain.endswith("."):
            domain = cookie["domain"] = ""  # the attribute is ignored (RFC 6265 5.2.3)
        elif domain.startswith("."):
            domain = cookie["domain"] = domain[1:]  # a leading dot is ignored (5.2.3)
        if domain and hostname and not _domain_match(domain, hostname):
            return  # a site may only set cookies for itself or its parents
        path = cookie["path"]
        if not path or not path.startswith("/"):
            path = cookie["path"] = _default_path(url)
        path = path.rstrip("/")  # aiohttp's key: "/docs/" and "/docs" share a bucket
        host_only = not domain and hostname is not None
        if host_only:
            assert hostname is not None
            domain = cookie["domain"] = hostname
        # else: no URL and no Domain: a shared cookie ("" domain), sent to
        # every host, as aiohttp's update_cookies() without a URL does.
        key = (domain, path, name)
        expires_at = self._expiry(cookie) if deadline is _FROM_COOKIE else deadline
        self._cookies.setdefault((domain, path), SimpleCookie())
        dict.__setitem__(self._cookies[(domain, path)], name, cookie)
        if host_only:
            self._host_only.add(key)
        else:
            self._host_only.discard(key)  # a Domain cookie replaces a host-only one
        if expires_at is None:
            self._expirations.pop(key, None)  # a replacement inherits no expiry (5.3)
        else:
            self._expirations[key] = expires_at

    @staticmethod
    def _expiry(cookie: Morsel[str]) -> float | None:
        """The deadline the cookie's Max-Age or Expires gives; an invalid one is dropped."""
        max_age = cookie["max-age"]
        if max_age:
            try:
                seconds = int(max_age)
            except ValueError:
                cookie["max-age"] = ""  # as aiohttp: invalid, so gone (and Expires unread)
                return None
            if seconds <= 0:
                return 0.0  # "the earliest representable date and time" -- RFC 6265 5.2.2
            return min(time.time() + min(seconds, _MAX_TIME), _MAX_TIME)
        expires = cookie["expires"]
        if expires:
            when = parse_cookie_date(expires)
            if when is None:
                cookie["expires"] = ""
                return None
            return when
        return None

    # -- sending ------------------------------------------------------------------

    def filter_cookies(self, request_url: URL = _NO_URL) -> BaseCookie[str]:
        """The cookies to send with a request to ``request_url``, as aiohttp sends them.

        With ``quote_cookie``, a value received quoted goes back exactly as
        received and any other is quoted as SimpleCookie quotes; without, the
        value goes out bare. When several cookies of a name match, the most
        specific (domain, then path) wins; the order is aiohttp's, from the
        least specific to the most.
        """
        filtered: BaseCookie[str] = BaseCookie()
        self._expire()
        if not self._cookies:
            return filtered
        hostname = request_url.raw_host or ""
        is_ip = _is_ip(hostname) if hostname else False
        is_not_secure = request_url.scheme not in ("https", "wss")
        if is_not_secure and self._secure_origins:
            try:
                is_not_secure = request_url.origin() not in self._secure_origins
            except ValueError:
                pass
        path = request_url.path or "/"
        matched: list[tuple[tuple[int, int, int], int, Morsel[str]]] = []
        for (domain, key_path), cookie in self._cookies.items():
            if domain:
                if is_ip and not (self._unsafe and domain == hostname):
                    continue
                if not _domain_match(domain, hostname):
                    continue
            for name, morsel in cookie.items():
                if (domain, key_path, name) in self._host_only and domain != hostname:
                    continue
                if domain and not _path_match(path, morsel["path"] or "/"):
                    continue
                if not domain and key_path:
                    continue  # a shared cookie goes out from the root path only
                if is_not_secure and morsel["secure"]:
                    continue
                rank = (1 if domain else 0, len(domain), len(key_path))
                matched.append((rank, len(matched), morsel))
        matched.sort(key=lambda item: (item[0], item[1]))
        selected: dict[str, Morsel[str]] = {}
        for _, _, morsel in matched:
            selected.pop(morsel.key, None)  # the more specific one wins, and goes last
            selected[morsel.key] = self._outgoing(morsel)
        dict.update(filtered, selected)  # BaseCookie.__setitem__ would re-encode
        return filtered

    def _outgoing(self, cookie: Morsel[str]) -> Morsel[str]:
        """The Morsel to send for a stored cookie: name, value and how it is written."""
        if self._quote_cookie:
            if cookie.coded_value[:1] == '"':
                # Received quoted: some servers want it back exactly so.
                return _raw_morsel(cookie.key, cookie.value, cookie.coded_value)
            value, coded = _VALUE_ENCODER.value_encode(cookie.value)
            return _raw_morsel(cookie.key, value, coded)
        return _raw_morsel(cookie.key, cookie.value, cookie.value)


def _morsel_from_record(bucket: str, name: str, record: Any) -> Morsel[str] | None:
    """The Morsel a saved record describes."""
    if not isinstance(record, dict) or not all(
        isinstance(record.get(field), str) for field in _MORSEL_CORE
    ):
        raise ValueError(f"Malformed cookie file: bad record {name!r} in {bucket!r}")
    # As received, even a name SimpleCookie would refuse (aiohttp's jar keeps those).
    morsel = _raw_morsel(record["key"], record["value"], record["coded_value"])
    for attr in morsel:
        if attr in record and attr not in _MORSEL_CORE:
            morsel[attr] = record[attr]
    if record.get("host_only"):
        morsel["domain"] = ""  # stored again as host-only for the bucket's domain
    return morsel


class _CookieUnpickler(pickle._Unpickler):
    """Unpickles the cookie files older versions wrote, and nothing else.

    Only the types such a file holds may be looked up: any other global (a
    function to call, a class with side effects) raises UnpicklingError
    before anything runs. The pure-Python unpickler is used because every
    implementation routes its lookups through :meth:`find_class`.
    """

    _ALLOWED: Final = frozenset(
        {
            ("http.cookies", "SimpleCookie"),
            ("http.cookies", "BaseCookie"),
            ("http.cookies", "Morsel"),
            ("collections", "defaultdict"),
            ("builtins", "dict"),
            ("builtins", "tuple"),
            ("builtins", "set"),
            ("builtins", "frozenset"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        """Only the cookie types; anything else is refused."""
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(
                f"Forbidden class in a cookie file: {module}.{name}; "
                "CookieJar.load() only unpickles cookie types"
            )
        return super().find_class(module, name)


class DummyCookieJar(AbstractCookieJar):
    """A jar that keeps nothing (for sessions that must not store cookies)."""

    @property
    def unsafe(self) -> bool:
        """Always False."""
        return False

    @property
    def quote_cookie(self) -> bool:
        """Always True."""
        return True

    @property
    def cookies(self) -> MappingProxyType[tuple[str, str], SimpleCookie]:
        """Always empty."""
        return MappingProxyType({})

    @property
    def host_only_cookies(self) -> frozenset[tuple[str, str, str]]:
        """Always empty."""
        return frozenset()

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False

    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        """Nothing to clear."""

    def clear_domain(self, domain: str) -> None:
        """Nothing to clear."""

    def update_cookies(self, cookies: Any, response_url: URL = _NO_URL) -> None:
        """Drop the cookies."""

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Drop the cookies (without parsing them)."""

    def filter_cookies(self, request_url: URL = _NO_URL) -> BaseCookie[str]:
        """Nothing to send."""
        return SimpleCookie()
