"""Client cookie jars: CookieJar (RFC 6265 storage rules) and DummyCookieJar."""

from __future__ import annotations

import calendar
import ipaddress
import pickle
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from pathlib import Path
from typing import Any

from yarl import URL

from ..abc import AbstractCookieJar

__all__ = ("CookieJar", "DummyCookieJar")

_NO_URL = URL()  # the default: a response from nowhere in particular

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

    def save(self, file_path: str | Path) -> None:
        """Write the cookies to a file (pickle)."""
        with Path(file_path).open("wb") as f:
            pickle.dump(self._cookies, f, pickle.HIGHEST_PROTOCOL)

    def load(self, file_path: str | Path) -> None:
        """Read cookies saved by :meth:`save` (only load files you wrote)."""
        with Path(file_path).open("rb") as f:
            self._cookies = pickle.load(f)

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

    def _store(self, name: str, cookie: Morsel[str], url: URL, hostname: str | None) -> None:
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
        expires_at = self._expiry(cookie)
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
                return float(min(when, _MAX_TIME))
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
