"""Client cookie jars: CookieJar (RFC 6265 storage rules) and DummyCookieJar."""

from __future__ import annotations

import calendar
import ipaddress
import json
import math
import os
import pickle
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from typing import Any, Final

from yarl import URL

from ..abc import AbstractCookieJar

__all__ = ("CookieJar", "DummyCookieJar")

_NO_URL = URL()  # the default: a response from nowhere in particular
_FROM_COOKIE: Any = object()  # _store's default: the deadline comes from the cookie itself

# Saved as the absolute deadline ("expires_timestamp") instead, as aiohttp 3.14.
_RELATIVE_EXPIRY_ATTRS = frozenset({"max-age", "expires"})
_MORSEL_CORE = frozenset({"key", "value", "coded_value"})

_MAX_TIME = 2**40  # far future, and still a valid timestamp everywhere
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
    # RFC 6265 5.1.4: the directory of the request path
    path = url.raw_path
    if not path.startswith("/"):
        return "/"
    if path.count("/") <= 1:
        return "/"
    return path[: path.rfind("/")]


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


class CookieJar(AbstractCookieJar):
    """Stores cookies from responses and picks those to send with each request.

    ``unsafe=True`` accepts cookies from IP-address hosts (refused by
    default, as browsers do). ``quote_cookie=False`` sends values as they
    were received instead of re-quoting them. ``treat_as_secure_origin``
    lists origins (``http://localhost:8080``) whose plain-http requests may
    carry Secure cookies.
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
    def quote_cookie(self) -> bool:
        """Whether values are quoted when sent."""
        return self._quote_cookie

    # -- storage ----------------------------------------------------------------

    def save(self, file_path: str | os.PathLike[str]) -> None:
        """Write the cookies to a file as JSON, in aiohttp 3.14's format.

        Either library loads the other's files. The file is created readable
        by its owner only: cookies are often credentials.
        """
        data: dict[str, dict[str, dict[str, str | bool | float]]] = {}
        for (domain, path), cookie in self._cookies.items():
            # aiohttp keys its buckets by the path without a trailing slash.
            bucket = data.setdefault(f"{domain}|{path.rstrip('/')}", {})
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
        self._cookies = loaded._cookies
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
        """Remove every cookie, or those ``predicate`` is true for."""
        if predicate is None:
            self._cookies.clear()
            self._host_only.clear()
            self._expirations.clear()
            return
        for (domain, path), cookie in list(self._cookies.items()):
            for name, morsel in list(cookie.items()):
                if predicate(morsel):
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
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return bool(self._cookies)  # cheap: may count cookies that expired meanwhile

    # -- receiving ----------------------------------------------------------------

    def update_cookies(self, cookies: LooseCookies, response_url: URL = _NO_URL) -> None:
        """Store cookies set by a response from ``response_url``."""
        hostname = response_url.raw_host
        if not self._unsafe and hostname is not None and _is_ip(hostname):
            return  # RFC 6265 forbids domain cookies for IPs; browsers refuse them all
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, cookie in items:
            if not isinstance(cookie, Morsel):
                tmp: SimpleCookie = SimpleCookie()
                try:
                    tmp[name] = cookie
                except CookieError:
                    continue
                cookie = tmp[name]
            self._store(name, cookie, response_url, hostname)
        self._expire()

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Store the cookies of ``Set-Cookie`` header values."""
        for header in headers:
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(header)
            except CookieError:
                continue
            self.update_cookies(parsed, response_url)

    def _store(
        self,
        name: str,
        cookie: Morsel[str],
        url: URL,
        hostname: str | None,
        *,
        deadline: float | None = _FROM_COOKIE,
    ) -> None:
        domain = cookie["domain"]
        if domain.startswith("."):
            domain = domain[1:]  # a leading dot is ignored (RFC 6265 5.2.3)
        if domain.endswith("."):
            return  # RFC 6265 5.2.3: an empty or trailing-dot domain is ignored
        host_only = False
        if not domain:
            if hostname is not None:
                domain = hostname
                host_only = True
            # else: no URL and no Domain: a shared cookie ("" domain), sent to
            # every host, as aiohttp's update_cookies() without a URL does.
        elif hostname is not None and not _domain_match(domain, hostname):
            return  # a site may only set cookies for itself or its parents
        path = cookie["path"]
        if not path or not path.startswith("/"):
            path = _default_path(url)
        stored: Morsel[str] = Morsel()
        stored.set(cookie.key, cookie.value, cookie.coded_value)
        for attr in ("expires", "max-age", "secure", "httponly", "samesite", "comment", "version"):
            if cookie[attr]:
                stored[attr] = cookie[attr]
        stored["domain"] = domain
        stored["path"] = path
        key = (domain, path, name)
        expires_at = self._expiry(cookie) if deadline is _FROM_COOKIE else deadline
        self._cookies.setdefault((domain, path), SimpleCookie())[name] = stored
        if host_only:
            self._host_only.add(key)
        else:
            self._host_only.discard(key)
        if expires_at is None:
            self._expirations.pop(key, None)
        else:
            self._expirations[key] = expires_at

    @staticmethod
    def _expiry(cookie: Morsel[str]) -> float | None:
        max_age = cookie["max-age"]
        if max_age:
            try:
                seconds = int(max_age)
            except ValueError:
                pass
            else:
                return time.time() + seconds if seconds > 0 else 0.0  # max-age wins (5.3)
        expires = cookie["expires"]
        if expires:
            when = parse_cookie_date(expires)
            if when is not None:
                return min(when, _MAX_TIME)  # an int, saved as aiohttp saves it
        return None

    # -- sending ------------------------------------------------------------------

    def filter_cookies(self, request_url: URL = _NO_URL) -> BaseCookie[str]:
        """The cookies to send with a request to ``request_url``."""
        self._expire()
        filtered: SimpleCookie | BaseCookie[str] = (
            SimpleCookie() if self._quote_cookie else BaseCookie()
        )
        if not self._cookies:
            return filtered
        hostname = request_url.raw_host or ""
        is_not_secure = request_url.scheme not in ("https", "wss")
        if is_not_secure and self._secure_origins:
            is_not_secure = request_url.origin() not in self._secure_origins
        path = request_url.raw_path or "/"
        matched: list[tuple[int, Morsel[str]]] = []
        for (domain, cookie_path), cookie in self._cookies.items():
            if domain and not _domain_match(domain, hostname):
                continue  # ("" is a shared cookie: every host)
            if not _path_match(path, cookie_path):
                continue
            for name, morsel in cookie.items():
                if (domain, cookie_path, name) in self._host_only and domain != hostname:
                    continue
                if is_not_secure and morsel["secure"]:
                    continue
                matched.append((len(cookie_path), morsel))
        # RFC 6265 5.4: longer paths first; the first of a name wins.
        matched.sort(key=lambda item: -item[0])
        for _, morsel in matched:
            if morsel.key in filtered:
                continue
            if self._quote_cookie:
                filtered[morsel.key] = morsel.value
            else:
                raw: Morsel[str] = Morsel()
                raw.set(morsel.key, morsel.value, morsel.value)
                dict.__setitem__(filtered, morsel.key, raw)
        return filtered


def _morsel_from_record(bucket: str, name: str, record: Any) -> Morsel[str] | None:
    """The Morsel a saved record describes; None for a name this jar cannot hold."""
    if not isinstance(record, dict) or not all(
        isinstance(record.get(field), str) for field in _MORSEL_CORE
    ):
        raise ValueError(f"Malformed cookie file: bad record {name!r} in {bucket!r}")
    morsel: Morsel[str] = Morsel()
    try:
        morsel.set(record["key"], record["value"], record["coded_value"])
    except CookieError:
        return None  # a name SimpleCookie refuses: update_cookies() drops it too
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
    def quote_cookie(self) -> bool:
        """Always True."""
        return True

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
        """Drop the cookies."""

    def filter_cookies(self, request_url: URL = _NO_URL) -> BaseCookie[str]:
        """Nothing to send."""
        return SimpleCookie()
