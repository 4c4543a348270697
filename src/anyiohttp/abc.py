"""Abstract bases users subclass, as in ``aiohttp.abc``."""

from __future__ import annotations

import abc
import logging
import socket
from collections.abc import Callable, Iterable, Sized
from http.cookies import BaseCookie, Morsel, SimpleCookie
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypedDict

from yarl import URL

_NO_URL = URL()  # the default "response came from nowhere in particular"

if TYPE_CHECKING:
    from .web.request import BaseRequest
    from .web.response import StreamResponse

__all__ = ("AbstractAccessLogger", "AbstractCookieJar", "AbstractResolver", "ResolveResult")


class AbstractAccessLogger(abc.ABC):
    """Base for access loggers: ``log`` is called once per finished response.

    ``log`` runs in the connection's task after the response was sent; keep
    it quick (it delays the next request on that connection).
    """

    __slots__ = ("log_format", "logger")

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger
        self.log_format = log_format

    @abc.abstractmethod
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Log one request; ``time`` is the seconds it took."""

    @property
    def enabled(self) -> bool:
        """Whether logging is on (checked before building the log line)."""
        return True


class AbstractCookieJar(Sized, Iterable["Morsel[str]"]):
    """Base of client cookie jars (aiohttp's interface)."""

    @property
    @abc.abstractmethod
    def unsafe(self) -> bool:
        """Whether cookies of IP-address hosts are accepted."""

    @property
    @abc.abstractmethod
    def quote_cookie(self) -> bool:
        """Whether cookie values are quoted when sent."""

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        """Origins whose plain-http requests may carry Secure cookies (none by default)."""
        return frozenset()

    @property
    @abc.abstractmethod
    def cookies(self) -> MappingProxyType[tuple[str, str], SimpleCookie]:
        """The stored cookies by ``(domain, path)``."""

    @property
    @abc.abstractmethod
    def host_only_cookies(self) -> frozenset[tuple[str, str, str]]:
        """The ``(domain, path, name)`` of the host-only cookies."""

    @abc.abstractmethod
    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        """Remove all cookies, or those ``predicate`` is true for."""

    @abc.abstractmethod
    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of a domain and its subdomains."""

    @abc.abstractmethod
    def update_cookies(self, cookies: Any, response_url: URL = _NO_URL) -> None:
        """Store cookies a response set."""

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Store the cookies of ``Set-Cookie`` header values (parsed by aiohttp's rules)."""
        # Imported here: the parser lives with the client's jar, which imports this module.
        from .client.cookies import parse_set_cookie_headers

        cookies = parse_set_cookie_headers(headers)
        if cookies:
            self.update_cookies(cookies, response_url)

    @abc.abstractmethod
    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """The cookies to send to ``request_url``."""


class ResolveResult(TypedDict):
    """One address a resolver found, as aiohttp's: the connector connects to ``host``:``port``."""

    #: The name that was resolved.
    hostname: str
    #: The IP address.
    host: str
    #: The port to connect to (a resolver may change it, as SRV records do).
    port: int
    family: int
    proto: int
    flags: int


class AbstractResolver(abc.ABC):
    """Base of DNS resolvers (aiohttp's interface): a host name to the addresses to try."""

    @abc.abstractmethod
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host``, in the order to try them."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release resources."""
